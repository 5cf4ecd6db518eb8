import type { EC2Client } from "@aws-sdk/client-ec2";
import type { EFSClient } from "@aws-sdk/client-efs";
import { NFS_INGRESS_EVENTS } from "../../events/patterns.js";
import {
  ec2Client,
  type GroupInterface,
  groupInterfaces,
  ingressRules,
  mountTargetGroupIds,
  replaceIngressRules,
  securityGroupTags,
  vpcCidrs,
} from "../aws/ec2.js";
import { efsClient, mountTargetInterfaceIds, mountTargetSecurityGroups } from "../aws/efs.js";
import type { GuardConfig } from "../config/schema.js";
import {
  CONTROL,
  evaluate,
  type MountTargetRef,
  NFS_PORT,
  needsVpcCidrs,
  type OtherInterface,
  type SecurityGroupState,
} from "../controls/nfs-ingress-restricted.js";
import { isNfsOnly } from "../controls/nfs-rule-split.js";
import type { Finding, RemediationPlan } from "../controls/types.js";
import type { Trigger } from "../events/triggers.js";
import { mapLimit } from "../pipeline/concurrency.js";
import type { Guard } from "../pipeline/types.js";
import type { Clock } from "../runtime/clock.js";
import { GuardError } from "../runtime/errors.js";
import { logger } from "../runtime/logger.js";

export interface NfsClients {
  ec2: (region: string) => EC2Client;
  efs: (region: string) => EFSClient;
}

const defaultClients: NfsClients = { ec2: ec2Client, efs: efsClient };

/** The interfaces on one group, sorted by what EC2 says they are. Nothing here is confirmed by EFS yet. */
export interface GroupView {
  vpcId?: string;
  /** Requester-managed interfaces described as mount targets' (AWS wrote both; EFS is asked before acting). */
  mountTargets: MountTargetRef[];
  /** Everything else on the group, interfaces that only claim to be a mount target's among them. */
  others: OtherInterface[];
}

/**
 * What the interfaces carrying `groupId` are. A mount target's interface is requester-managed (EFS created it, and
 * no caller can create one, nor change its description: EC2 User Guide, "Requester-managed network
 * interfaces"); an interface a caller created with the same description is just another interface on the group.
 */
export function groupView(interfaces: GroupInterface[], groupId: string): GroupView {
  const view: GroupView = { mountTargets: [], others: [] };
  for (const eni of interfaces) {
    if (!eni.groupIds.includes(groupId)) continue;
    if (eni.vpcId) view.vpcId = eni.vpcId;
    if (eni.describedAs && eni.requesterManaged) {
      view.mountTargets.push({ ...eni.describedAs, networkInterfaceId: eni.networkInterfaceId });
      continue;
    }
    view.others.push({
      networkInterfaceId: eni.networkInterfaceId,
      ...(eni.interfaceType ? { interfaceType: eni.interfaceType } : {}),
      ...(eni.instanceId ? { instanceId: eni.instanceId } : {}),
      ...(eni.describedAs
        ? { claims: { ...eni.describedAs, why: "it is not requester-managed: a caller created it" } }
        : {}),
    });
  }
  return view;
}

export interface Confirmation {
  /** Mount targets EFS reported with exactly these interfaces. */
  confirmed: MountTargetRef[];
  /** Interfaces EFS does not report as the mount target they name. */
  refuted: OtherInterface[];
  /** Mount targets not asked about: the verdict did not need them. */
  unchecked: MountTargetRef[];
}

/**
 * Holds the interfaces that claim a mount target of `fileSystemId` against EFS's record of that file system's
 * mount targets (undefined: the file system does not exist). Pure.
 */
export function confirmAgainst(
  claims: MountTargetRef[],
  fileSystemId: string,
  record: Map<string, string> | undefined,
): Pick<Confirmation, "confirmed" | "refuted"> {
  const result: Pick<Confirmation, "confirmed" | "refuted"> = { confirmed: [], refuted: [] };
  for (const claim of claims) {
    const reported = record?.get(claim.mountTargetId);
    if (reported !== undefined && reported === claim.networkInterfaceId) {
      result.confirmed.push({ ...claim, confirmedByEfs: true });
      continue;
    }
    const why =
      record === undefined
        ? `EFS has no file system ${fileSystemId}`
        : reported === undefined
          ? `EFS reports no mount target ${claim.mountTargetId} for ${fileSystemId}`
          : `EFS reports ${claim.mountTargetId} with interface ${reported}`;
    result.refuted.push({
      networkInterfaceId: claim.networkInterfaceId ?? "?",
      claims: { mountTargetId: claim.mountTargetId, fileSystemId: claim.fileSystemId, why },
    });
  }
  return result;
}

/** DescribeMountTargets calls in flight at once when every file system behind a group must be asked. */
export const CONFIRM_CONCURRENCY = 4;

/**
 * Asks EFS about the mount targets the interfaces claim: one DescribeMountTargets per file system, in id order,
 * until one is confirmed; or, when `every` is set, for all of them (a few at a time).
 */
async function confirmWithEfs(efs: EFSClient, claims: MountTargetRef[], every: boolean): Promise<Confirmation> {
  const byFileSystem = new Map<string, MountTargetRef[]>();
  for (const claim of claims) {
    byFileSystem.set(claim.fileSystemId, [...(byFileSystem.get(claim.fileSystemId) ?? []), claim]);
  }
  const fileSystems = [...byFileSystem.keys()].sort();
  const check = async (fileSystemId: string) =>
    confirmAgainst(
      byFileSystem.get(fileSystemId) ?? [],
      fileSystemId,
      await mountTargetInterfaceIds(efs, fileSystemId),
    );
  const result: Confirmation = { confirmed: [], refuted: [], unchecked: [] };
  const add = (checked: Pick<Confirmation, "confirmed" | "refuted">) => {
    result.confirmed.push(...checked.confirmed);
    result.refuted.push(...checked.refuted);
  };
  if (every) {
    for (const checked of await mapLimit(fileSystems, CONFIRM_CONCURRENCY, check)) add(checked);
    return result;
  }
  for (const fileSystemId of fileSystems) {
    if (result.confirmed.length > 0) result.unchecked.push(...(byFileSystem.get(fileSystemId) ?? []));
    else add(await check(fileSystemId));
  }
  return result;
}

/**
 * Reads one security group the way the control needs it, with as few calls as the verdict allows: every interface
 * on the group (one filtered DescribeNetworkInterfaces), its rules, the VPC CIDRs only when a rule has to be
 * compared with them. A compliant group costs nothing more. Before a non-compliant finding is reported or acted
 * upon, EFS must confirm that the group really is on a mount target (its own record of the mount target with that
 * interface id, one DescribeMountTargets per file system): for a rule broader than NFS on a group that serves
 * nothing but mount targets, every one of them, since that decides whether the rule may be revoked whole; the
 * group's tags, for exemptions, are read at the same time (a refuted group wastes that one read).
 *
 * With `allowedNfsSources: "vpc"` (the default) the VPC's CIDRs are read together with the rules, once the
 * interfaces name the VPC: the usual mount-target group allows NFS from inside the VPC, which takes the CIDRs to
 * judge, so waiting for the rules to ask for them costs a round trip for one call that is nearly always made. A group
 * without a CIDR rule pays one DescribeVpcs it did not need.
 */
export async function assessSecurityGroup(
  clients: { ec2: EC2Client; efs: EFSClient },
  groupId: string,
  region: string,
  config: GuardConfig,
  clock: Clock,
  known?: GroupInterface[],
  /** The sweep's: the rules and VPC CIDRs read in batches for every group of the region (shared/aws/inventory.ts). */
  reads: { rules?: typeof ingressRules; cidrs?: typeof vpcCidrs } = {},
): Promise<Finding> {
  const { ec2, efs } = clients;
  const readCidrs = reads.cidrs ?? vpcCidrs;
  const view = groupView(known ?? (await groupInterfaces(ec2, [groupId])), groupId);
  const notOnMountTarget = (others: OtherInterface[]) =>
    evaluate({ groupId, region, mountTargets: [], otherInterfaces: others, rules: [] }, config, clock);
  if (view.mountTargets.length === 0) return notOnMountTarget(view.others);
  const early = view.vpcId && config.allowedNfsSources === "vpc" ? readCidrs(ec2, view.vpcId) : undefined;
  early?.catch(() => undefined); // judged below, only if the rules need the CIDRs
  const rules = await (reads.rules ?? ingressRules)(ec2, groupId);
  const cidrs = view.vpcId && needsVpcCidrs(rules, config) ? await (early ?? readCidrs(ec2, view.vpcId)) : undefined;
  const base: Omit<SecurityGroupState, "mountTargets" | "otherInterfaces"> = {
    groupId,
    region,
    rules,
    ...(view.vpcId ? { vpcId: view.vpcId } : {}),
    ...(cidrs ? { vpcCidrs: cidrs } : {}),
  };
  const seen = evaluate({ ...base, mountTargets: view.mountTargets, otherInterfaces: view.others }, config, clock);
  if (seen.verdict !== "non-compliant") return seen;

  const offending = (seen.evidence.offendingRules as Parameters<typeof isNfsOnly>[0][] | undefined) ?? [];
  const every = view.others.length === 0 && offending.some((rule) => !isNfsOnly(rule));
  // The tags are needed for every finding EFS confirms: asked at the same time as EFS, not after it.
  const tags = securityGroupTags(ec2, groupId);
  tags.catch(() => undefined); // awaited below, only if EFS confirms a mount target
  const { confirmed, refuted, unchecked } = await confirmWithEfs(efs, view.mountTargets, every);
  const others = [...view.others, ...refuted];
  if (refuted.length > 0) {
    logger.warn("interfaces described as mount targets are not mount targets", {
      control: CONTROL,
      resource: groupId,
      region,
      interfaces: refuted.map((r) => ({ networkInterfaceId: r.networkInterfaceId, ...r.claims })),
    });
  }
  if (confirmed.length === 0) return notOnMountTarget(others);
  const finding = evaluate(
    { ...base, mountTargets: [...confirmed, ...unchecked], otherInterfaces: others },
    config,
    clock,
  );
  if (finding.verdict === "non-compliant") finding.tags = await tags;
  return finding;
}

/**
 * The groups on a mount target now, each with every interface that carries it. When the event names the groups
 * the caller set, one DescribeNetworkInterfaces call on those groups returns the mount target's own interface
 * (with its current groups) and every other interface behind them; it is used only when the re-read confirms that
 * the (requester-managed) interface carries no group outside that call. Otherwise (no hint, the groups changed
 * since, the interface is not there) EFS is asked for the mount target's groups, one call more.
 */
async function groupsOfMountTarget(
  clients: NfsClients,
  region: string,
  trigger: Extract<Trigger, { type: "mount-target" }>,
): Promise<{ groupId: string; known?: GroupInterface[] }[]> {
  const ec2 = clients.ec2(region);
  const hint = trigger.securityGroups ?? [];
  if (hint.length > 0) {
    const interfaces = await groupInterfaces(ec2, hint);
    const own = interfaces.find((i) => i.requesterManaged && i.describedAs?.mountTargetId === trigger.mountTargetId);
    if (own && own.groupIds.length > 0 && own.groupIds.every((g) => hint.includes(g))) {
      return own.groupIds.map((groupId) => ({ groupId, known: interfaces }));
    }
  }
  const groups = (await mountTargetSecurityGroups(clients.efs(region), trigger.mountTargetId)) ?? [];
  return groups.map((groupId) => ({ groupId }));
}

/**
 * The plan as it may be executed: every rule it adds narrows one of the rules it revokes and leaves TCP 2049 out.
 * The evaluator only writes such plans; this keeps a plan from anywhere else from opening a port.
 */
function checkPlan(plan: Extract<RemediationPlan, { kind: "revoke-ingress" }>): void {
  for (const rule of plan.add ?? []) {
    const sources = [rule.cidrIpv4, rule.cidrIpv6, rule.prefixListId].filter((s) => s !== undefined);
    const valid =
      plan.ruleIds.includes(rule.replaces) &&
      Number.isInteger(rule.fromPort) &&
      Number.isInteger(rule.toPort) &&
      rule.fromPort >= 0 &&
      rule.fromPort <= rule.toPort &&
      rule.toPort <= 65535 &&
      !(rule.fromPort <= NFS_PORT && NFS_PORT <= rule.toPort) &&
      sources.length === 1;
    if (!valid) {
      throw new GuardError("REMEDIATION_FAILED", `refusing a plan that would add ${JSON.stringify(rule)}`);
    }
  }
}

export function nfsIngressGuard(clients: NfsClients = defaultClients): Guard {
  return {
    name: "nfs-ingress",
    controls: [CONTROL],
    events: NFS_INGRESS_EVENTS,
    async assess(trigger: Trigger, region: string, config: GuardConfig, clock: Clock) {
      if (config.modes[CONTROL] === "off") return [];
      const regional = { ec2: clients.ec2(region), efs: clients.efs(region) };
      let groups: { groupId: string; known?: GroupInterface[] }[];
      if (trigger.type === "security-group") groups = [{ groupId: trigger.groupId }];
      else if (trigger.type === "mount-target") groups = await groupsOfMountTarget(clients, region, trigger);
      else return [];
      const findings: Finding[] = [];
      for (const { groupId, known } of groups) {
        findings.push(await assessSecurityGroup(regional, groupId, region, config, clock, known));
      }
      return findings;
    },
    async inventory(region: string, config: GuardConfig) {
      if (config.modes[CONTROL] === "off") return [];
      const groups = await mountTargetGroupIds(clients.ec2(region));
      return groups.map((groupId) => ({ type: "security-group" as const, groupId }));
    },
    async remediate(plan, region) {
      if (plan.kind !== "revoke-ingress") throw new Error(`nfs-ingress cannot execute ${plan.kind}`);
      checkPlan(plan);
      return replaceIngressRules(clients.ec2(region), plan.groupId, plan.ruleIds, plan.add ?? []);
    },
  };
}
