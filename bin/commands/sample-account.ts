import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { Seeder } from "../../emulator/seed.js";
import {
  authorizeIngressEvent,
  createFileSystemEvent,
  createMountTargetEvent,
  kmsKeyEvent,
} from "../../events/build.js";

export const SAMPLE_REGION = "us-east-1";

/** The demo's account: what `efs-guard demo` tells the story of and `efs-guard emulator` seeds. */
export interface SampleAccount {
  vpcId: string;
  subnets: string[];
  groupId: string;
  /** The VPC-internal NFS rule (stays) and the world-open one (the guard revokes it). */
  inside: string;
  open: string;
  fileSystemId: string;
  mountTargets: { id: string; subnet: string }[];
  key: { keyId: string; arn: string };
  seed: Seeder;
}

/**
 * A VPC over three AZs; an unencrypted file system (no policy, no backups) mounted in all three through one group
 * that lets NFS in from the VPC and from 0.0.0.0/0; a customer managed key with rotation off, for the migration.
 */
export async function seedSampleAccount(): Promise<SampleAccount> {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.20.0.0/16");
  const groupId = await seed.securityGroup(vpcId, "shared-efs");
  const inside = await seed.nfsFrom(groupId, "10.20.0.0/16");
  const open = await seed.nfsFrom(groupId, "0.0.0.0/0");
  const fileSystemId = await seed.fileSystem({ tags: { Name: "winterday-shared", team: "platform" } });
  const mountTargets: { id: string; subnet: string }[] = [];
  for (const subnet of subnets) {
    mountTargets.push({ id: await seed.mountTarget(fileSystemId, subnet, [groupId]), subnet });
  }
  const kms = new KMSClient({ region: SAMPLE_REGION });
  const key = (await kms.send(new CreateKeyCommand({ Description: "winterday data key (EFS Guard migrations)" })))
    .KeyMetadata!;
  return {
    vpcId,
    subnets,
    groupId,
    inside,
    open,
    fileSystemId,
    mountTargets,
    key: { keyId: key.KeyId!, arn: key.Arn! },
    seed,
  };
}

/** The CloudTrail events (EventBridge envelopes) the changes that built the sample account produce. */
export function sampleTrail(account: SampleAccount) {
  const { fileSystemId, groupId, open, key } = account;
  return [
    createFileSystemEvent({ fileSystemId, encrypted: false, tags: { Name: "winterday-shared" } }),
    ...account.mountTargets.map((m) =>
      createMountTargetEvent({ fileSystemId, mountTargetId: m.id, subnetId: m.subnet, securityGroups: [groupId] }),
    ),
    authorizeIngressEvent({ groupId, ruleId: open, cidr: "0.0.0.0/0" }),
    kmsKeyEvent("DisableKeyRotation", { sent: key.keyId, keyArn: key.arn }),
  ];
}
