import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  type TaskDefinition,
} from "@aws-sdk/client-ecs";
import type { EfsVolume, TaskDefinitionFacts } from "../controls/clients-use-tls.js";
import { nonTlsVolumes } from "../controls/clients-use-tls.js";
import type { TlsClientCheck } from "../controls/tls-enforced.js";
import { AwsCallError } from "../runtime/errors.js";
import { call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

/** ECS read only: ListTaskDefinitions and DescribeTaskDefinition (efs-clients-use-tls, tlsEnforcement). */
export const ecsClient = perRegion((region) => new ECSClient(clientConfig(region)));

/** ListTaskDefinitions' largest page (Amazon ECS API reference, ListTaskDefinitions maxResults: 1-100). */
const PAGE = 100;

/** The part of DescribeTaskDefinition's answer the control reads; nothing else of it is trusted or kept. */
export function taskDefinitionFacts(td: TaskDefinition, region: string, asked: string): TaskDefinitionFacts {
  const arn = td.taskDefinitionArn ?? asked;
  const efsVolumes: EfsVolume[] = [];
  for (const v of td.volumes ?? []) {
    const efs = v.efsVolumeConfiguration;
    if (!efs?.fileSystemId) continue;
    efsVolumes.push({
      name: v.name ?? "",
      fileSystemId: efs.fileSystemId,
      ...(efs.transitEncryption ? { transitEncryption: efs.transitEncryption } : {}),
      ...(efs.authorizationConfig?.iam ? { iam: efs.authorizationConfig.iam } : {}),
      ...(efs.authorizationConfig?.accessPointId ? { accessPointId: efs.authorizationConfig.accessPointId } : {}),
    });
  }
  const account = arn.split(":")[4];
  return {
    arn,
    family: td.family ?? arn.split("/").at(-1)?.split(":")[0] ?? asked,
    revision: td.revision ?? 0,
    region,
    ...(account ? { account } : {}),
    status: td.status ?? "ACTIVE",
    ...(td.registeredBy ? { registeredBy: td.registeredBy } : {}),
    efsVolumes,
  };
}

/**
 * One task definition now. ECS answers ClientException ("Unable to describe task definition") for one that does
 * not exist (a deleted revision): reported as "missing" so the control says so instead of failing the event.
 */
export async function describeTaskDefinition(
  ecs: ECSClient,
  taskDefinition: string,
  region: string,
): Promise<TaskDefinitionFacts> {
  try {
    const out = await call("ecs:DescribeTaskDefinition", () =>
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })),
    );
    if (!out.taskDefinition)
      throw new AwsCallError("ecs:DescribeTaskDefinition", "Empty", "no taskDefinition", { retryable: true });
    return taskDefinitionFacts(out.taskDefinition, region, taskDefinition);
  } catch (error) {
    if (error instanceof AwsCallError && error.awsCode === "ClientException") {
      const family = taskDefinition.split("/").at(-1)?.split(":")[0] ?? taskDefinition;
      const revision = Number(taskDefinition.split(":").at(-1)) || 0;
      return { arn: taskDefinition, family, revision, region, status: "missing", efsVolumes: [] };
    }
    throw error;
  }
}

/**
 * The ARNs of the region's ACTIVE task definitions, newest first, at most `limit` (tlsClientCheckLimit): pages of
 * 100 followed until the limit. `truncated` says that more exist than were listed.
 */
export async function activeTaskDefinitionArns(
  ecs: ECSClient,
  limit: number,
): Promise<{ arns: string[]; truncated: boolean }> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await call("ecs:ListTaskDefinitions", () =>
      ecs.send(
        new ListTaskDefinitionsCommand({
          status: "ACTIVE",
          sort: "DESC",
          maxResults: Math.min(PAGE, limit - arns.length),
          ...(nextToken ? { nextToken } : {}),
        }),
      ),
    );
    arns.push(...(page.taskDefinitionArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken && arns.length < limit);
  return { arns: arns.slice(0, limit), truncated: nextToken !== undefined || arns.length > limit };
}

/** How many DescribeTaskDefinition calls are in flight at once (ECS throttles describe calls per account). */
const DESCRIBE_CONCURRENCY = 5;

export interface TaskDefinitionsRead {
  taskDefinitions: TaskDefinitionFacts[];
  /** More ACTIVE task definitions exist than were described (tlsClientCheckLimit). */
  truncated: boolean;
}

/** Every ACTIVE task definition (at most `limit`), described: the sweep's and the TLS check's one reading. */
export async function activeTaskDefinitions(
  ecs: ECSClient,
  region: string,
  limit: number,
): Promise<TaskDefinitionsRead> {
  const { arns, truncated } = await activeTaskDefinitionArns(ecs, limit);
  const taskDefinitions: TaskDefinitionFacts[] = new Array(arns.length);
  let next = 0;
  const worker = async () => {
    while (next < arns.length) {
      const i = next++;
      taskDefinitions[i] = await describeTaskDefinition(ecs, arns[i] as string, region);
    }
  };
  await Promise.all(Array.from({ length: Math.min(DESCRIBE_CONCURRENCY, arns.length) }, worker));
  return { taskDefinitions, truncated };
}

/** The active task definitions that mount `fileSystemId` without TLS: what the TLS deny would cut off. */
export function clientsWithoutTls(fileSystemId: string, read: TaskDefinitionsRead): TlsClientCheck {
  const clients = read.taskDefinitions
    .filter((td) => td.status === "ACTIVE")
    .map((td) => ({ td, volumes: nonTlsVolumes(td, fileSystemId) }))
    .filter(({ volumes }) => volumes.length > 0)
    .map(({ td, volumes }) => ({
      taskDefinitionArn: td.arn,
      volumes: volumes.map((v) => v.name),
      ...(td.registeredBy ? { registeredBy: td.registeredBy } : {}),
    }));
  return { checked: read.taskDefinitions.length, truncated: read.truncated, clients };
}
