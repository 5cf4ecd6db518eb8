import {
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  RevokeSecurityGroupIngressCommand,
} from "@aws-sdk/client-ec2";
import { ECSClient, RegisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import {
  CreateAccessPointCommand,
  CreateReplicationConfigurationCommand,
  DeleteFileSystemPolicyCommand,
  DescribeReplicationConfigurationsCommand,
  PutBackupPolicyCommand,
  PutFileSystemPolicyCommand,
} from "@aws-sdk/client-efs";
import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  KMSClient,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import { REGION, Seeder } from "../emulator/seed.js";
import {
  authorizeIngressEvent,
  createAccessPointEvent,
  createFileSystemEvent,
  createMountTargetEvent,
  createReplicationConfigurationEvent,
  deleteFileSystemPolicyEvent,
  kmsKeyEvent,
  modifyMountTargetSecurityGroupsEvent,
  modifyRulesEvent,
  putBackupPolicyEvent,
  putFileSystemPolicyEvent,
  putKeyPolicyEvent,
  registerTaskDefinitionEvent,
  scheduleKeyDeletionEvent,
} from "../events/build.js";
import { consoleDefaultPolicy } from "../shared/controls/policy.js";

/**
 * The account the call counts are measured in: one VPC over three AZs, one security group shared by every
 * mount target (NFS allowed from the VPC only, the usual setup), and `fileSystems` file systems, the first with a
 * mount target in each AZ and the others with one. The first is encrypted with a customer managed key (rotating
 * yearly), with the console's TLS policy and automatic backups on: the compliant state of every control. Growth is
 * measured by building it with 1 and with 200.
 */
export interface BenchAccount {
  seed: Seeder;
  kms: KMSClient;
  keyId: string;
  keyArn: string;
  size: number;
  vpcId: string;
  subnets: string[];
  groupId: string;
  insideRuleId: string;
  fileSystemId: string;
  mountTargetId: string;
  /** An interface the "shared group" path puts on the group (an instance's, say), until the next path. */
  sharedWith?: { networkInterfaceId: string };
}

export async function buildAccount(fileSystems: number): Promise<BenchAccount> {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId, "efs-shared");
  const insideRuleId = await seed.nfsFrom(groupId, "10.0.0.0/16");
  const kms = new KMSClient({ region: REGION });
  const key = (await kms.send(new CreateKeyCommand({ Description: "efs data" }))).KeyMetadata!;
  await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 365 }));
  const fileSystemId = await seed.fileSystem({ encrypted: true, kmsKeyId: key.Arn! });
  const mountTargets: string[] = [];
  for (const subnet of subnets) mountTargets.push(await seed.mountTarget(fileSystemId, subnet, [groupId]));
  const rest = Array.from({ length: fileSystems - 1 }, (_, i) => i);
  for (let i = 0; i < rest.length; i += 5) {
    await Promise.all(
      rest.slice(i, i + 5).map(async (n) => {
        const fs = await seed.fileSystem();
        try {
          await seed.mountTarget(fs, subnets[n % subnets.length] as string, [groupId]);
        } catch (error) {
          // A retried CreateMountTarget whose first attempt succeeded: the mount target is there.
          if ((error as { name?: string }).name !== "MountTargetConflict") throw error;
        }
      }),
    );
  }
  const account: BenchAccount = {
    seed,
    kms,
    keyId: key.KeyId!,
    keyArn: key.Arn!,
    size: fileSystems,
    vpcId,
    subnets,
    groupId,
    insideRuleId,
    fileSystemId,
    mountTargetId: mountTargets[0] as string,
  };
  await compliantFileSystem(account);
  return account;
}

/** Which way a trigger finds its resources; it decides how its calls may grow with the account (budgets.json). */
export type PathKind = "security-group" | "policy" | "key" | "task-definition";

export type PathName =
  | "compliant"
  | "remediation"
  | "remediation, private range"
  | "remediation, all traffic"
  | "remediation, shared group";

/**
 * The bench's stack configuration: the defaults, with the two opt-in remediations (efs-backup-enabled and
 * efs-key-usable alert by default) turned on, so that every trigger's remediation path is measured. Their default
 * alert path makes the same reads without the write.
 */
export const BENCH_CONFIG = { modes: { "efs-backup-enabled": "remediate", "efs-key-usable": "remediate" } } as const;

/** What the handler's report must show for the path to count: a cheap but wrong path is not a measurement. */
export const EXPECTED_OUTCOME: Record<PathName, string> = {
  compliant: "compliant",
  remediation: "remediated",
  "remediation, private range": "remediated",
  "remediation, all traffic": "remediated",
  "remediation, shared group": "remediated",
};

/**
 * Whether a report's outcomes (one per finding) are the path's: every finding compliant, or at least one
 * remediated and every other compliant or not applicable (an event can evaluate several controls of one resource;
 * a disabled key's rotation, for one, does not apply until the key is enabled again).
 */
export function outcomeMatches(path: PathName, outcomes: string[]): boolean {
  const wanted = EXPECTED_OUTCOME[path];
  if (outcomes.length === 0) return false;
  if (wanted === "compliant") return outcomes.every((o) => o === "compliant");
  return outcomes.includes(wanted) && outcomes.every((o) => [wanted, "compliant", "not-applicable"].includes(o));
}

export interface TriggerScenario {
  /** The function's entry, as in the template's EfsGuardEntry metadata. */
  function: string;
  /** eventSource short name and eventName, e.g. "ec2:AuthorizeSecurityGroupIngress". */
  trigger: string;
  kind: PathKind;
  /**
   * Brings the account into the state of the path (outside the counting window) and returns the CloudTrail
   * event that the change produces. After a remediation the handler has restored the compliant state.
   */
  paths: Partial<Record<PathName, (account: BenchAccount) => Promise<unknown>>>;
}

/**
 * Back to the account's usual group: only mount targets behind it, no rule but the VPC-internal one. Undoes the
 * "shared group" path, whose extra interface and narrowed rules would change what the next event costs (outside
 * the counting window, like every preparation).
 */
async function mountTargetsOnly(a: BenchAccount) {
  if (!a.sharedWith) return;
  const { networkInterfaceId } = a.sharedWith;
  a.sharedWith = undefined;
  const stray = (await a.seed.ingressRules(a.groupId))
    .map((r) => r.SecurityGroupRuleId as string)
    .filter((id) => id !== a.insideRuleId);
  if (stray.length > 0) {
    await a.seed.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: a.groupId, SecurityGroupRuleIds: stray }));
  }
  await a.seed.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: networkInterfaceId }));
}

/** Opens NFS on the shared group: from the world, or from a private range outside the VPC. */
async function open(account: BenchAccount, cidr: string) {
  await mountTargetsOnly(account);
  return { cidr, ruleId: await account.seed.nfsFrom(account.groupId, cidr) };
}

/**
 * All traffic from the world on the group of every mount target: revoked whole once EFS has confirmed every mount
 * target behind the group (one DescribeMountTargets per file system).
 */
async function openAllTraffic(a: BenchAccount) {
  await mountTargetsOnly(a);
  return { cidr: WORLD, protocol: "-1", ruleId: await a.seed.nfsFrom(a.groupId, WORLD, { protocol: "-1" }) };
}

/**
 * TCP 0-65535 from the world while the group also serves another interface: replaced by TCP 0-2048 and 2050-65535
 * (authorize, then revoke). The interface and the narrowed rules are removed before the next path.
 */
async function openOnSharedGroup(a: BenchAccount) {
  await mountTargetsOnly(a);
  const eni = await a.seed.ec2.send(
    new CreateNetworkInterfaceCommand({ SubnetId: a.subnets[0] as string, Groups: [a.groupId] }),
  );
  const ruleId = await a.seed.nfsFrom(a.groupId, WORLD, { from: 0, to: 65535 });
  a.sharedWith = { networkInterfaceId: eni.NetworkInterface?.NetworkInterfaceId as string };
  return { cidr: WORLD, ruleId, fromPort: 0, toPort: 65535 };
}

const WORLD = "0.0.0.0/0";
const PRIVATE_OUTSIDE = "192.168.0.0/16";

type OpenRule = { ruleId: string; cidr: string; protocol?: string; fromPort?: number; toPort?: number };

function nfsSecurityGroupPaths(event: (a: BenchAccount, rule: OpenRule) => unknown) {
  return {
    compliant: async (a: BenchAccount) => {
      await mountTargetsOnly(a);
      return event(a, { ruleId: a.insideRuleId, cidr: "10.0.0.0/16" });
    },
    remediation: async (a: BenchAccount) => event(a, await open(a, WORLD)),
    "remediation, private range": async (a: BenchAccount) => event(a, await open(a, PRIVATE_OUTSIDE)),
    "remediation, all traffic": async (a: BenchAccount) => event(a, await openAllTraffic(a)),
    "remediation, shared group": async (a: BenchAccount) => event(a, await openOnSharedGroup(a)),
  };
}

function nfsMountTargetPaths(event: (a: BenchAccount) => unknown) {
  return {
    compliant: async (a: BenchAccount) => {
      await mountTargetsOnly(a);
      return event(a);
    },
    remediation: async (a: BenchAccount) => {
      await open(a, WORLD);
      return event(a);
    },
    "remediation, private range": async (a: BenchAccount) => {
      await open(a, PRIVATE_OUTSIDE);
      return event(a);
    },
    "remediation, all traffic": async (a: BenchAccount) => {
      await openAllTraffic(a);
      return event(a);
    },
    "remediation, shared group": async (a: BenchAccount) => {
      await openOnSharedGroup(a);
      return event(a);
    },
  };
}

const NFS = "functions/nfs-ingress/handler.ts";
const FILE_SYSTEM = "functions/file-system/handler.ts";
const KMS_KEY = "functions/kms-key/handler.ts";
const EFS_ACCESS = "functions/efs-access/handler.ts";
const ECS_CLIENTS = "functions/ecs-clients/handler.ts";
const MOUNT_TARGETS = "functions/mount-targets/handler.ts";

/** A new revision of a task definition that mounts the account's file system with TLS, and ECS's event for it. */
async function registerTlsClient(a: BenchAccount) {
  const request = {
    family: "bench-client",
    containerDefinitions: [{ name: "app", image: "public.ecr.aws/docker/library/nginx:latest", memory: 128 }],
    volumes: [
      { name: "data", efsVolumeConfiguration: { fileSystemId: a.fileSystemId, transitEncryption: "ENABLED" as const } },
    ],
  };
  const out = await new ECSClient({ region: REGION }).send(new RegisterTaskDefinitionCommand(request));
  return registerTaskDefinitionEvent(request, out.taskDefinition as unknown as Record<string, unknown>);
}

/**
 * The account's file system replicated in its own region (a guarded region: the roles' region fence denies the
 * others) onto the account's customer managed key, once; the event names it.
 */
async function replicateOnCustomerKey(a: BenchAccount) {
  const existing = await a.seed.efs
    .send(new DescribeReplicationConfigurationsCommand({ FileSystemId: a.fileSystemId }))
    .then((out) => out.Replications?.[0])
    .catch(() => undefined);
  const config =
    existing ??
    (await a.seed.efs.send(
      new CreateReplicationConfigurationCommand({
        SourceFileSystemId: a.fileSystemId,
        Destinations: [{ Region: REGION, KmsKeyId: a.keyArn }],
      }),
    ));
  const destination = config.Destinations?.[0]?.FileSystemId ?? "";
  return createReplicationConfigurationEvent(a.fileSystemId, { region: REGION, fileSystemId: destination });
}

const fsArn = (a: BenchAccount) => `arn:aws:elasticfilesystem:${REGION}:123456789012:file-system/${a.fileSystemId}`;
const appStatement = (a: BenchAccount) => ({
  Sid: "AppRole",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::123456789012:role/app" },
  Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
  Resource: fsArn(a),
});

async function putPolicy(a: BenchAccount, policy: unknown): Promise<string> {
  const Policy = JSON.stringify(policy);
  await a.seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: a.fileSystemId, Policy }));
  return Policy;
}

async function backups(a: BenchAccount, Status: "ENABLED" | "DISABLED") {
  await a.seed.efs.send(new PutBackupPolicyCommand({ FileSystemId: a.fileSystemId, BackupPolicy: { Status } }));
}

/** The first file system's compliant state: the console's TLS policy, automatic backups on. */
async function compliantFileSystem(a: BenchAccount): Promise<string> {
  await backups(a, "ENABLED");
  return putPolicy(a, consoleDefaultPolicy(fsArn(a)));
}

/** The key's compliant state: enabled, not pending deletion, rotating yearly. */
async function compliantKey(a: BenchAccount) {
  const state = (await a.kms.send(new DescribeKeyCommand({ KeyId: a.keyId }))).KeyMetadata?.KeyState;
  if (state === "PendingDeletion") await a.kms.send(new CancelKeyDeletionCommand({ KeyId: a.keyId }));
  if (state !== "Enabled") await a.kms.send(new EnableKeyCommand({ KeyId: a.keyId }));
  await a.kms.send(new EnableKeyRotationCommand({ KeyId: a.keyId, RotationPeriodInDays: 365 }));
}

/**
 * The first file system's compliant state for the access controls as well: client access (root included) only for
 * a named role, and the TLS deny, so every file-system control is compliant too.
 */
async function iamOnlyPolicy(a: BenchAccount): Promise<string> {
  const root = { ...appStatement(a), Sid: "AppRoot", Action: "elasticfilesystem:ClientRootAccess" };
  const tls = consoleDefaultPolicy(fsArn(a)).Statement as unknown[];
  return putPolicy(a, { Version: "2012-10-17", Statement: [appStatement(a), root, tls[1]] });
}

/** An access point that enforces uid 1001 in /app, and its CreateAccessPoint event. */
async function compliantAccessPoint(a: BenchAccount) {
  const out = await a.seed.efs.send(
    new CreateAccessPointCommand({
      FileSystemId: a.fileSystemId,
      ClientToken: `bench-${Math.random().toString(36).slice(2)}`,
      PosixUser: { Uid: 1001, Gid: 1001 },
      RootDirectory: { Path: "/app" },
    }),
  );
  return createAccessPointEvent({
    accessPointId: out.AccessPointId!,
    fileSystemId: a.fileSystemId,
    posixUser: { uid: 1001, gid: 1001 },
    rootDirectory: "/app",
  });
}

const keyRef = (a: BenchAccount) => ({ sent: a.keyId, keyArn: a.keyArn });
const created = (a: BenchAccount) =>
  createFileSystemEvent({ fileSystemId: a.fileSystemId, encrypted: true, kmsKeyId: a.keyArn });

/** CreateFileSystem on the file system in its compliant state (the file-system and ecs-clients rows). */
async function createdCompliant(a: BenchAccount) {
  await compliantFileSystem(a);
  return created(a);
}

/**
 * One row per trigger. New functions add their rows here (the lead adds them at merge); a function without rows
 * still gets its bundle and import time measured, and the bench says its calls are not measured.
 */
export const SCENARIOS: TriggerScenario[] = [
  {
    function: NFS,
    trigger: "ec2:AuthorizeSecurityGroupIngress",
    kind: "security-group",
    paths: nfsSecurityGroupPaths((a, rule) => authorizeIngressEvent({ groupId: a.groupId, ...rule })),
  },
  {
    function: NFS,
    trigger: "ec2:ModifySecurityGroupRules",
    kind: "security-group",
    paths: nfsSecurityGroupPaths((a, rule) =>
      modifyRulesEvent(a.groupId, rule.ruleId, {
        IpProtocol: rule.protocol ?? "tcp",
        ...(rule.protocol === "-1" ? {} : { FromPort: rule.fromPort ?? 2049, ToPort: rule.toPort ?? 2049 }),
        CidrIpv4: rule.cidr,
      }),
    ),
  },
  {
    function: NFS,
    trigger: "elasticfilesystem:CreateMountTarget",
    kind: "security-group",
    paths: nfsMountTargetPaths((a) =>
      createMountTargetEvent({
        fileSystemId: a.fileSystemId,
        mountTargetId: a.mountTargetId,
        subnetId: a.subnets[0] as string,
        securityGroups: [a.groupId],
      }),
    ),
  },
  {
    function: NFS,
    trigger: "elasticfilesystem:ModifyMountTargetSecurityGroups",
    kind: "security-group",
    paths: nfsMountTargetPaths((a) => modifyMountTargetSecurityGroupsEvent(a.mountTargetId, [a.groupId])),
  },
  // tlsEnforcement "unless-clients-break" (the default): efs-tls-enforced on its events is the ecs-clients
  // function's (below); the file-system function evaluates the other controls of these events.
  {
    function: FILE_SYSTEM,
    trigger: "elasticfilesystem:CreateFileSystem",
    kind: "policy",
    paths: {
      compliant: createdCompliant,
      remediation: async (a) => {
        await backups(a, "DISABLED");
        return created(a);
      },
    },
  },
  {
    function: FILE_SYSTEM,
    trigger: "elasticfilesystem:PutFileSystemPolicy",
    kind: "policy",
    // efs-policy-not-public is alert only: no remediation path.
    paths: { compliant: async (a) => putFileSystemPolicyEvent(a.fileSystemId, await compliantFileSystem(a)) },
  },
  // efs-tls-enforced with the lookup of the ECS clients the deny would cut off (the bench's file system has mount
  // targets). Each ACTIVE task definition of the region adds one DescribeTaskDefinition; at this point the account
  // has none (the RegisterTaskDefinition row below registers the first).
  {
    function: ECS_CLIENTS,
    trigger: "elasticfilesystem:CreateFileSystem",
    kind: "policy",
    paths: {
      compliant: createdCompliant,
      remediation: async (a) => {
        await a.seed.efs.send(new DeleteFileSystemPolicyCommand({ FileSystemId: a.fileSystemId }));
        return created(a);
      },
    },
  },
  {
    function: ECS_CLIENTS,
    trigger: "elasticfilesystem:PutFileSystemPolicy",
    kind: "policy",
    paths: {
      compliant: async (a) => putFileSystemPolicyEvent(a.fileSystemId, await compliantFileSystem(a)),
      remediation: async (a) => {
        const policy = await putPolicy(a, { Version: "2012-10-17", Statement: [appStatement(a)] });
        return putFileSystemPolicyEvent(a.fileSystemId, policy);
      },
    },
  },
  {
    function: ECS_CLIENTS,
    trigger: "elasticfilesystem:DeleteFileSystemPolicy",
    kind: "policy",
    paths: {
      // A late event: the policy was put back before the guard read it.
      compliant: async (a) => {
        await compliantFileSystem(a);
        return deleteFileSystemPolicyEvent(a.fileSystemId);
      },
      remediation: async (a) => {
        await a.seed.efs.send(new DeleteFileSystemPolicyCommand({ FileSystemId: a.fileSystemId }));
        return deleteFileSystemPolicyEvent(a.fileSystemId);
      },
    },
  },
  {
    function: FILE_SYSTEM,
    trigger: "elasticfilesystem:PutBackupPolicy",
    kind: "policy",
    paths: {
      compliant: async (a) => {
        await backups(a, "ENABLED");
        return putBackupPolicyEvent(a.fileSystemId, "ENABLED");
      },
      remediation: async (a) => {
        await backups(a, "DISABLED");
        return putBackupPolicyEvent(a.fileSystemId, "DISABLED");
      },
    },
  },
  {
    function: KMS_KEY,
    trigger: "kms:DisableKeyRotation",
    kind: "key",
    paths: {
      compliant: async (a) => {
        await compliantKey(a);
        return kmsKeyEvent("DisableKeyRotation", keyRef(a));
      },
      remediation: async (a) => {
        await a.kms.send(new DisableKeyRotationCommand({ KeyId: a.keyId }));
        return kmsKeyEvent("DisableKeyRotation", keyRef(a));
      },
    },
  },
  {
    function: KMS_KEY,
    trigger: "kms:DisableKey",
    kind: "key",
    paths: {
      compliant: async (a) => {
        await compliantKey(a);
        return kmsKeyEvent("DisableKey", keyRef(a));
      },
      remediation: async (a) => {
        await a.kms.send(new DisableKeyCommand({ KeyId: a.keyId }));
        return kmsKeyEvent("DisableKey", keyRef(a));
      },
    },
  },
  {
    function: KMS_KEY,
    trigger: "kms:ScheduleKeyDeletion",
    kind: "key",
    paths: {
      compliant: async (a) => {
        await compliantKey(a);
        return scheduleKeyDeletionEvent(keyRef(a));
      },
      remediation: async (a) => {
        const out = await a.kms.send(new ScheduleKeyDeletionCommand({ KeyId: a.keyId, PendingWindowInDays: 30 }));
        return scheduleKeyDeletionEvent(keyRef(a), 30, out.DeletionDate!);
      },
    },
  },
  {
    function: KMS_KEY,
    trigger: "elasticfilesystem:CreateFileSystem",
    kind: "key",
    paths: {
      compliant: async (a) => {
        await compliantKey(a);
        return createFileSystemEvent({ fileSystemId: a.fileSystemId, kmsKeyId: a.keyId, kmsKeyArn: a.keyArn });
      },
      remediation: async (a) => {
        await a.kms.send(new DisableKeyRotationCommand({ KeyId: a.keyId }));
        return createFileSystemEvent({ fileSystemId: a.fileSystemId, kmsKeyId: a.keyId, kmsKeyArn: a.keyArn });
      },
    },
  },
  // efs-key-policy-restricted is alert only: the compliant path (its alert path adds ListResourceTags, as above).
  {
    function: KMS_KEY,
    trigger: "kms:PutKeyPolicy",
    kind: "key",
    paths: {
      compliant: async (a) => {
        await compliantKey(a);
        const policy = JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "Enable IAM User Permissions",
              Effect: "Allow",
              Principal: { AWS: "arn:aws:iam::123456789012:root" },
              Action: "kms:*",
              Resource: "*",
            },
          ],
        });
        await a.kms.send(new PutKeyPolicyCommand({ KeyId: a.keyId, PolicyName: "default", Policy: policy }));
        return putKeyPolicyEvent(keyRef(a), policy);
      },
    },
  },
  // The access function's controls are alert only: a compliant path each (its alert path makes the same reads, but
  // for CreateFileSystem's efs-key-policy-restricted, whose alert adds the key's ListResourceTags, as in kms-key).
  {
    function: EFS_ACCESS,
    trigger: "elasticfilesystem:CreateFileSystem",
    kind: "policy",
    paths: {
      compliant: async (a) => {
        await iamOnlyPolicy(a);
        return created(a);
      },
    },
  },
  {
    function: EFS_ACCESS,
    trigger: "elasticfilesystem:PutFileSystemPolicy",
    kind: "policy",
    paths: { compliant: async (a) => putFileSystemPolicyEvent(a.fileSystemId, await iamOnlyPolicy(a)) },
  },
  {
    function: EFS_ACCESS,
    trigger: "elasticfilesystem:DeleteFileSystemPolicy",
    kind: "policy",
    paths: {
      // A late event: the policy was put back before the guard read it.
      compliant: async (a) => {
        await iamOnlyPolicy(a);
        return deleteFileSystemPolicyEvent(a.fileSystemId);
      },
    },
  },
  {
    function: EFS_ACCESS,
    trigger: "elasticfilesystem:CreateAccessPoint",
    kind: "policy",
    paths: { compliant: compliantAccessPoint },
  },
  {
    // One DescribeTaskDefinition whatever the number of file systems: the event names the revision.
    function: ECS_CLIENTS,
    trigger: "ecs:RegisterTaskDefinition",
    kind: "task-definition",
    paths: { compliant: registerTlsClient },
  },
  {
    // efs-mount-target-private: DescribeMountTargets of the file system (3 mount targets), then DescribeSubnets and
    // DescribeRouteTables of its VPC at once: 3 reads whatever the number of file systems. Its EC2 triggers are not
    // measured here: their alert path publishes one alert per exposed file system of the subnet or table (the
    // bench's subnets hold a third of the account's mount targets each), and a private table gives no finding.
    function: MOUNT_TARGETS,
    trigger: "elasticfilesystem:CreateMountTarget",
    kind: "security-group",
    paths: {
      compliant: async (a) =>
        createMountTargetEvent({
          fileSystemId: a.fileSystemId,
          mountTargetId: a.mountTargetId,
          subnetId: a.subnets[0] as string,
          securityGroups: [a.groupId],
        }),
    },
  },
  // Last: its replica adds a file system to the account, which no scenario above may count.
  {
    function: EFS_ACCESS,
    trigger: "elasticfilesystem:CreateReplicationConfiguration",
    kind: "policy",
    paths: { compliant: replicateOnCustomerKey },
  },
];
