import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const cloudFormationClient = perRegion((region) => new CloudFormationClient(clientConfig(region)));

/** When the stack was first created, as CloudFormation records it (stable across updates). */
export async function stackCreationTime(cfn: CloudFormationClient, stackId: string): Promise<Date> {
  const out = await call("cloudformation:DescribeStacks", () =>
    cfn.send(new DescribeStacksCommand({ StackName: stackId })),
  );
  const created = out.Stacks?.[0]?.CreationTime;
  if (!created) throw new Error(`DescribeStacks named no creation time for ${stackId}`);
  return created;
}
