import {
  CreateAccessPointCommand,
  type LifecyclePolicy,
  PutFileSystemPolicyCommand,
  PutLifecycleConfigurationCommand,
} from "@aws-sdk/client-efs";
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type SFNClient } from "@aws-sdk/client-sfn";
import type { FunctionHost } from "../../emulator/host.js";
import { Seeder, type SeedFileSystemSettings } from "../../emulator/seed.js";

/**
 * An unencrypted file system with the surroundings a migration must reproduce: two mount targets (one for a One Zone
 * file system, in its zone), a policy, an access point, a lifecycle rule (or the given ones) and tags.
 */
export async function unencryptedFileSystem(
  tags: Record<string, string> = {},
  options: {
    region?: string;
    settings?: SeedFileSystemSettings;
    lifecycle?: LifecyclePolicy[];
  } = {},
) {
  const seed = new Seeder(options.region);
  const { vpcId, subnets } = await seed.vpc();
  const groupId = await seed.securityGroup(vpcId);
  const otherGroup = await seed.securityGroup(vpcId);
  const fileSystemId = await seed.fileSystem({
    tags: { Name: "winterday-shared", team: "data", ...tags },
    ...(options.settings ? { settings: options.settings } : {}),
  });
  const oneZone = Boolean(options.settings?.AvailabilityZoneName);
  const mountTargets = [await seed.mountTarget(fileSystemId, subnets[0]!, [groupId])];
  if (!oneZone) mountTargets.push(await seed.mountTarget(fileSystemId, subnets[1]!, [groupId, otherGroup]));
  const arn = `arn:aws:elasticfilesystem:${seed.region}:123456789012:file-system/${fileSystemId}`;
  const policy = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AppMount",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::123456789012:role/app" },
        Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        Resource: arn,
      },
    ],
  });
  await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fileSystemId, Policy: policy }));
  const ap = await seed.efs.send(
    new CreateAccessPointCommand({
      ClientToken: `ap-${fileSystemId}`,
      FileSystemId: fileSystemId,
      PosixUser: { Uid: 1000, Gid: 1000 },
      RootDirectory: { Path: "/app", CreationInfo: { OwnerUid: 1000, OwnerGid: 1000, Permissions: "750" } },
      Tags: [{ Key: "Name", Value: "app" }],
    }),
  );
  await seed.efs.send(
    new PutLifecycleConfigurationCommand({
      FileSystemId: fileSystemId,
      LifecyclePolicies: options.lifecycle ?? [{ TransitionToIA: "AFTER_30_DAYS" }],
    }),
  );
  return {
    seed,
    vpcId,
    subnets,
    groupId,
    otherGroup,
    fileSystemId,
    arn,
    mountTargets,
    policy,
    accessPointId: ap.AccessPointId!,
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function executionEnded(sfn: SFNClient, executionArn: string, timeoutMs = 45_000) {
  return waitFor(
    `${executionArn} to end`,
    async () => {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return out.status === "RUNNING" ? undefined : out;
    },
    timeoutMs,
  );
}

export async function historyOf(sfn: SFNClient, executionArn: string) {
  return (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
}

/** Collects alerts as they arrive (the queue is drained on read). */
export class AlertInbox {
  readonly received: { message: any; attributes: Record<string, string> }[] = [];
  /** Alerts already returned by next(): each is returned once. */
  private readonly taken = new Set<object>();
  constructor(private readonly host: FunctionHost) {}
  async next(outcome: string, fileSystemId: string, timeoutMs = 45_000) {
    return waitFor(
      `alert ${outcome} for ${fileSystemId}`,
      async () => {
        this.received.push(...(await this.host.alerts()));
        const found = this.received.find(
          (a) =>
            !this.taken.has(a) &&
            a.attributes.outcome === outcome &&
            a.message.metadata.additionalContext.resource === fileSystemId,
        );
        if (found) this.taken.add(found);
        return found;
      },
      timeoutMs,
    );
  }
  of(fileSystemId: string) {
    return this.received.filter((a) => a.message.metadata.additionalContext.resource === fileSystemId);
  }
}
