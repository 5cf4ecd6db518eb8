import { DescribeMountTargetSecurityGroupsCommand, EFSClient } from "@aws-sdk/client-efs";
import { awsErrorCode, call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const efsClient = perRegion((region) => new EFSClient(clientConfig(region)));

/** The security groups on a mount target now; undefined when the mount target no longer exists. */
export async function mountTargetSecurityGroups(efs: EFSClient, mountTargetId: string): Promise<string[] | undefined> {
  try {
    const out = await call("efs:DescribeMountTargetSecurityGroups", () =>
      efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: mountTargetId })),
    );
    return out.SecurityGroups ?? [];
  } catch (error) {
    if (awsErrorCode((error as { cause?: unknown }).cause) === "MountTargetNotFound") return undefined;
    throw error;
  }
}
