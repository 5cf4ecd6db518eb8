import {
  authorizeIngressEvent,
  createMountTargetEvent,
  modifyMountTargetSecurityGroupsEvent,
  modifyRulesEvent,
} from "../events/build.js";
import { Seeder } from "../test/support/seed.js";

/**
 * The account the call counts are measured in: one VPC over three AZs, one security group shared by every
 * mount target (NFS allowed from the VPC only, the usual setup), and `fileSystems` file systems, the first with a
 * mount target in each AZ and the others with one. Growth is measured by building it with 1 and with 200.
 */
export interface BenchAccount {
  seed: Seeder;
  size: number;
  vpcId: string;
  subnets: string[];
  groupId: string;
  insideRuleId: string;
  fileSystemId: string;
  mountTargetId: string;
}

export async function buildAccount(fileSystems: number): Promise<BenchAccount> {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId, "efs-shared");
  const insideRuleId = await seed.nfsFrom(groupId, "10.0.0.0/16");
  const fileSystemId = await seed.fileSystem();
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
  return {
    seed,
    size: fileSystems,
    vpcId,
    subnets,
    groupId,
    insideRuleId,
    fileSystemId,
    mountTargetId: mountTargets[0] as string,
  };
}

/** Which way a trigger finds its resources; it decides how its calls may grow with the account (budgets.json). */
export type PathKind = "security-group" | "policy" | "key";

export type PathName = "compliant" | "remediation" | "remediation, private range";

/** What the handler's report must show for the path to count: a cheap but wrong path is not a measurement. */
export const EXPECTED_OUTCOME: Record<PathName, string> = {
  compliant: "compliant",
  remediation: "remediated",
  "remediation, private range": "remediated",
};

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

/** Opens NFS on the shared group: from the world, or from a private range outside the VPC. */
async function open(account: BenchAccount, cidr: string) {
  return { cidr, ruleId: await account.seed.nfsFrom(account.groupId, cidr) };
}

const WORLD = "0.0.0.0/0";
const PRIVATE_OUTSIDE = "192.168.0.0/16";

function nfsSecurityGroupPaths(event: (a: BenchAccount, rule: { ruleId: string; cidr: string }) => unknown) {
  return {
    compliant: async (a: BenchAccount) => event(a, { ruleId: a.insideRuleId, cidr: "10.0.0.0/16" }),
    remediation: async (a: BenchAccount) => event(a, await open(a, WORLD)),
    "remediation, private range": async (a: BenchAccount) => event(a, await open(a, PRIVATE_OUTSIDE)),
  };
}

function nfsMountTargetPaths(event: (a: BenchAccount) => unknown) {
  return {
    compliant: async (a: BenchAccount) => event(a),
    remediation: async (a: BenchAccount) => {
      await open(a, WORLD);
      return event(a);
    },
    "remediation, private range": async (a: BenchAccount) => {
      await open(a, PRIVATE_OUTSIDE);
      return event(a);
    },
  };
}

const NFS = "functions/nfs-ingress/handler.ts";

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
        IpProtocol: "tcp",
        FromPort: 2049,
        ToPort: 2049,
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
];
