import { PutBackupPolicyCommand, PutFileSystemPolicyCommand } from "@aws-sdk/client-efs";
import { CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from "@aws-sdk/client-kms";
import { REGION, Seeder } from "../emulator/seed.js";
import { consoleDefaultPolicy } from "../shared/controls/policy.js";
import { mapLimit } from "../shared/pipeline/concurrency.js";

/**
 * A compliant account for the sweep at scale (issue 17): `fileSystems` file systems on `keys` customer managed keys
 * (round robin, each key rotating yearly), every one with a compliant policy (compliantPolicy) and automatic backups on; every
 * `mountTargetEvery`-th one (default 10) with a mount target in one of three subnets behind one of `groups`
 * security groups (NFS from the VPC only). The sweep's calls do not depend on the number of mount targets (their
 * interfaces are read in batches); seeding one per file system would only double the seeding time. Seeded through
 * the SDK as a user would, SEED_CONCURRENCY requests at a time (moto answers about 100 calls/s whatever the
 * concurrency: 2,000 file systems take about a minute; the test and the bench report the time).
 */
export interface SweepAccount {
  fileSystems: string[];
  keys: string[];
  groups: string[];
  seededInMs: number;
}

export const SEED_CONCURRENCY = 16;

/**
 * Compliant under every policy control: the console's pair (clients through a mount target, the TLS deny) with the
 * client grant also narrowed to the account's own principals (aws:PrincipalAccount), so that mounting needs an IAM
 * identity (efs-iam-authorization-required) and root is not every client's (efs-root-access-restricted).
 */
export function compliantPolicy(fileSystemArn: string): ReturnType<typeof consoleDefaultPolicy> {
  const policy = consoleDefaultPolicy(fileSystemArn);
  const account = fileSystemArn.split(":")[4] as string;
  const [allow, ...rest] = policy.Statement as Record<string, unknown>[];
  const condition = allow?.Condition as Record<string, unknown>;
  return {
    ...policy,
    Statement: [
      { ...allow, Condition: { ...condition, StringEquals: { "aws:PrincipalAccount": account } } },
      ...rest,
    ] as typeof policy.Statement,
  };
}

export async function buildSweepAccount(
  fileSystems: number,
  keys: number,
  options: { groups?: number; region?: string; mountTargetEvery?: number } = {},
): Promise<SweepAccount> {
  const started = performance.now();
  const region = options.region ?? REGION;
  const seed = new Seeder(region);
  const kms = new KMSClient({ region });
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groups = await mapLimit(Array.from({ length: options.groups ?? 3 }), SEED_CONCURRENCY, async (_, i) => {
    const groupId = await seed.securityGroup(vpcId, `efs-sweep-${i}`);
    await seed.nfsFrom(groupId, "10.0.0.0/16");
    return groupId;
  });
  const keyArns = await mapLimit(Array.from({ length: keys }), SEED_CONCURRENCY, async () => {
    const key = (await kms.send(new CreateKeyCommand({ Description: "efs data" }))).KeyMetadata!;
    await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 365 }));
    return key.Arn!;
  });
  const ids = await mapLimit(Array.from({ length: fileSystems }), SEED_CONCURRENCY, async (_, i) => {
    const fileSystemId = await seed.fileSystem({ encrypted: true, kmsKeyId: keyArns[i % keyArns.length] as string });
    const arn = `arn:aws:elasticfilesystem:${region}:123456789012:file-system/${fileSystemId}`;
    await seed.efs.send(
      new PutFileSystemPolicyCommand({ FileSystemId: fileSystemId, Policy: JSON.stringify(compliantPolicy(arn)) }),
    );
    await seed.efs.send(
      new PutBackupPolicyCommand({ FileSystemId: fileSystemId, BackupPolicy: { Status: "ENABLED" } }),
    );
    if (i % (options.mountTargetEvery ?? 10) !== 0) return fileSystemId;
    try {
      await seed.mountTarget(fileSystemId, subnets[i % subnets.length] as string, [
        groups[i % groups.length] as string,
      ]);
    } catch (error) {
      // A retried CreateMountTarget whose first attempt succeeded: the mount target is there.
      if ((error as { name?: string }).name !== "MountTargetConflict") throw error;
    }
    return fileSystemId;
  });
  return { fileSystems: ids, keys: keyArns, groups, seededInMs: Math.round(performance.now() - started) };
}
