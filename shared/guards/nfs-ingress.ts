import type { EC2Client } from "@aws-sdk/client-ec2";
import type { EFSClient } from "@aws-sdk/client-efs";
import { NFS_INGRESS_EVENTS } from "../../events/patterns.js";
import {
  ec2Client,
  ingressRules,
  mountTargetGroupIds,
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
 */
export async function assessSecurityGroup(
  ec2: EC2Client,
  groupId: string,
  region: string,
  config: GuardConfig,
  clock: Clock,
): Promise<Finding> {
  const { mountTargets, vpcId } = await mountTargetsOfGroup(ec2, groupId);
  if (mountTargets.length === 0) return evaluate({ groupId, region, mountTargets, rules: [] }, config, clock);
  const rules = await ingressRules(ec2, groupId);
  const cidrs = vpcId && needsVpcCidrs(rules, config) ? await vpcCidrs(ec2, vpcId) : undefined;
  const finding = evaluate(
    { groupId, region, mountTargets, rules, ...(vpcId ? { vpcId } : {}), ...(cidrs ? { vpcCidrs: cidrs } : {}) },
    config,
    clock,
  );
  if (finding.verdict === "non-compliant") finding.tags = await securityGroupTags(ec2, groupId);
  return finding;
}

export function nfsIngressGuard(clients: NfsClients = defaultClients): Guard {
  return {
    name: "nfs-ingress",
    events: NFS_INGRESS_EVENTS,
    async assess(trigger: Trigger, region: string, config: GuardConfig, clock: Clock) {
      if (config.modes[CONTROL] === "off") return [];
      const ec2 = clients.ec2(region);
      let groups: string[];
      if (trigger.type === "security-group") groups = [trigger.groupId];
      else if (trigger.type === "mount-target")
        groups = (await mountTargetSecurityGroups(clients.efs(region), trigger.mountTargetId)) ?? [];
      else return [];
      const findings: Finding[] = [];
      for (const groupId of groups) findings.push(await assessSecurityGroup(ec2, groupId, region, config, clock));
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
