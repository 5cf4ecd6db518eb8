import type { EC2Client } from "@aws-sdk/client-ec2";
import type { EFSClient } from "@aws-sdk/client-efs";
import { NFS_INGRESS_EVENTS } from "../../events/patterns.js";
import {
  ec2Client,
  groupView,
  ingressRules,
  type MountTargetsOfGroup,
  mountTargetGroupIds,
  mountTargetInterfaces,
  mountTargetsOfGroup,
  revokeIngressRules,
  securityGroupTags,
  vpcCidrs,
} from "../aws/ec2.js";
import { efsClient, mountTargetSecurityGroups } from "../aws/efs.js";
import type { GuardConfig } from "../config/schema.js";
import { CONTROL, evaluate, needsVpcCidrs } from "../controls/nfs-ingress-restricted.js";
import type { Finding } from "../controls/types.js";
import type { Trigger } from "../events/triggers.js";
import type { Guard } from "../pipeline/types.js";
import type { Clock } from "../runtime/clock.js";

export interface NfsClients {
  ec2: (region: string) => EC2Client;
  efs: (region: string) => EFSClient;
}

const defaultClients: NfsClients = { ec2: ec2Client, efs: efsClient };

/**
 * Reads one security group the way the control needs it, with as few calls as the verdict allows: the mount
 * targets behind the group (one filtered DescribeNetworkInterfaces), its rules, the VPC CIDRs only when a rule
 * has to be compared with them, and the group's tags only when there is something to exempt.
 *
 * With `allowedNfsSources: "vpc"` (the default) the VPC's CIDRs are read together with the rules, once the mount
 * targets name the VPC: the usual mount-target group allows NFS from inside the VPC, which takes the CIDRs to judge,
 * so waiting for the rules to ask for them costs a round trip for one call that is nearly always made. A group
 * without a CIDR rule pays one DescribeVpcs it did not need.
 */
export async function assessSecurityGroup(
  ec2: EC2Client,
  groupId: string,
  region: string,
  config: GuardConfig,
  clock: Clock,
  known?: MountTargetsOfGroup,
): Promise<Finding> {
  const { mountTargets, vpcId } = known ?? (await mountTargetsOfGroup(ec2, groupId));
  if (mountTargets.length === 0) return evaluate({ groupId, region, mountTargets, rules: [] }, config, clock);
  const early = vpcId && config.allowedNfsSources === "vpc" ? vpcCidrs(ec2, vpcId) : undefined;
  early?.catch(() => undefined); // judged below, only if the rules need the CIDRs
  const rules = await ingressRules(ec2, groupId);
  const cidrs = vpcId && needsVpcCidrs(rules, config) ? await (early ?? vpcCidrs(ec2, vpcId)) : undefined;
  const finding = evaluate(
    { groupId, region, mountTargets, rules, ...(vpcId ? { vpcId } : {}), ...(cidrs ? { vpcCidrs: cidrs } : {}) },
    config,
    clock,
  );
  if (finding.verdict === "non-compliant") finding.tags = await securityGroupTags(ec2, groupId);
  return finding;
}

/**
 * The groups on a mount target now, each with every mount target that carries it. When the event names the
 * groups the caller set, one DescribeNetworkInterfaces call on those groups returns the mount target's own
 * interface (with its current groups) and every other mount target behind them; it is used only when the re-read
 * confirms that the interface carries no group outside that call. Otherwise (no hint, the groups changed since,
 * the interface is not there) EFS is asked for the mount target's groups, one call more.
 */
async function groupsOfMountTarget(
  clients: NfsClients,
  region: string,
  trigger: Extract<Trigger, { type: "mount-target" }>,
): Promise<{ groupId: string; known?: MountTargetsOfGroup }[]> {
  const ec2 = clients.ec2(region);
  const hint = trigger.securityGroups ?? [];
  if (hint.length > 0) {
    const interfaces = await mountTargetInterfaces(ec2, hint);
    const own = interfaces.find((i) => i.mountTargetId === trigger.mountTargetId);
    if (own && own.groupIds.length > 0 && own.groupIds.every((g) => hint.includes(g))) {
      return own.groupIds.map((groupId) => ({ groupId, known: groupView(interfaces, groupId) }));
    }
  }
  const groups = (await mountTargetSecurityGroups(clients.efs(region), trigger.mountTargetId)) ?? [];
  return groups.map((groupId) => ({ groupId }));
}

export function nfsIngressGuard(clients: NfsClients = defaultClients): Guard {
  return {
    name: "nfs-ingress",
    events: NFS_INGRESS_EVENTS,
    async assess(trigger: Trigger, region: string, config: GuardConfig, clock: Clock) {
      if (config.modes[CONTROL] === "off") return [];
      const ec2 = clients.ec2(region);
      let groups: { groupId: string; known?: MountTargetsOfGroup }[];
      if (trigger.type === "security-group") groups = [{ groupId: trigger.groupId }];
      else if (trigger.type === "mount-target") groups = await groupsOfMountTarget(clients, region, trigger);
      else return [];
      const findings: Finding[] = [];
      for (const { groupId, known } of groups) {
        findings.push(await assessSecurityGroup(ec2, groupId, region, config, clock, known));
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
      return revokeIngressRules(clients.ec2(region), plan.groupId, plan.ruleIds);
    },
  };
}
