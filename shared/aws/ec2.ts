import {
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import type { IngressRule, MountTargetRef } from "../controls/nfs-ingress-restricted.js";
import { awsErrorCode, call, toAwsCallError } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const ec2Client = perRegion((region) => new EC2Client(clientConfig(region)));

/** AWS describes a mount target's network interface as "EFS mount target for fs-... (fsmt-...)". */
const MOUNT_TARGET_ENI = /^EFS mount target for (fs-[0-9a-f]+) \((fsmt-[0-9a-f]+)\)$/;

export interface MountTargetsOfGroup {
  vpcId?: string;
  mountTargets: MountTargetRef[];
}

/** A mount target's network interface: which mount target, in which VPC, with which security groups now. */
export interface MountTargetInterface extends MountTargetRef {
  vpcId?: string;
  groupIds: string[];
}

/**
 * The mount-target network interfaces that carry any of the groups: one filtered call (paginated) whatever the
 * number of file systems in the account, instead of listing every file system's mount targets.
 */
export async function mountTargetInterfaces(ec2: EC2Client, groupIds: string[]): Promise<MountTargetInterface[]> {
  const out: MountTargetInterface[] = [];
  let NextToken: string | undefined;
  do {
    const page = await call("ec2:DescribeNetworkInterfaces", () =>
      ec2.send(
        new DescribeNetworkInterfacesCommand({
          Filters: [
            { Name: "group-id", Values: groupIds },
            { Name: "description", Values: ["EFS mount target for *"] },
          ],
          NextToken,
        }),
      ),
    );
    for (const eni of page.NetworkInterfaces ?? []) {
      const match = MOUNT_TARGET_ENI.exec(eni.Description ?? "");
      if (!match) continue;
      out.push({
        fileSystemId: match[1] as string,
        mountTargetId: match[2] as string,
        ...(eni.VpcId ? { vpcId: eni.VpcId } : {}),
        groupIds: (eni.Groups ?? []).map((g) => g.GroupId).filter((g): g is string => typeof g === "string"),
      });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** Which mount targets carry a security group, found through their network interfaces (one filtered call). */
export async function mountTargetsOfGroup(ec2: EC2Client, groupId: string): Promise<MountTargetsOfGroup> {
  return groupView(await mountTargetInterfaces(ec2, [groupId]), groupId);
}

/** The mount targets among `interfaces` that carry `groupId`, and their VPC. */
export function groupView(interfaces: MountTargetInterface[], groupId: string): MountTargetsOfGroup {
  const result: MountTargetsOfGroup = { mountTargets: [] };
  for (const eni of interfaces) {
    if (!eni.groupIds.includes(groupId)) continue;
    result.mountTargets.push({ fileSystemId: eni.fileSystemId, mountTargetId: eni.mountTargetId });
    if (eni.vpcId) result.vpcId = eni.vpcId;
  }
  return result;
}

/** Every security group that sits on some mount target in the region (one paginated, filtered call). */
export async function mountTargetGroupIds(ec2: EC2Client): Promise<string[]> {
  const groups = new Set<string>();
  let NextToken: string | undefined;
  do {
    const page = await call("ec2:DescribeNetworkInterfaces", () =>
      ec2.send(
        new DescribeNetworkInterfacesCommand({
          Filters: [{ Name: "description", Values: ["EFS mount target for *"] }],
          NextToken,
        }),
      ),
    );
    for (const eni of page.NetworkInterfaces ?? []) {
      if (!MOUNT_TARGET_ENI.test(eni.Description ?? "")) continue;
      for (const group of eni.Groups ?? []) if (group.GroupId) groups.add(group.GroupId);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return [...groups].sort();
}

function toIngressRule(rule: SecurityGroupRule): IngressRule {
  return {
    ruleId: rule.SecurityGroupRuleId ?? "",
    protocol: rule.IpProtocol ?? "-1",
    fromPort: rule.FromPort,
    toPort: rule.ToPort,
    cidrIpv4: rule.CidrIpv4,
    cidrIpv6: rule.CidrIpv6,
    prefixListId: rule.PrefixListId,
    referencedGroupId: rule.ReferencedGroupInfo?.GroupId,
    description: rule.Description,
  };
}

export async function ingressRules(ec2: EC2Client, groupId: string): Promise<IngressRule[]> {
  const rules: IngressRule[] = [];
  let NextToken: string | undefined;
  do {
    const page = await call("ec2:DescribeSecurityGroupRules", () =>
      ec2.send(
        new DescribeSecurityGroupRulesCommand({
          Filters: [{ Name: "group-id", Values: [groupId] }],
          NextToken,
          MaxResults: 1000,
        }),
      ),
    );
    for (const rule of page.SecurityGroupRules ?? []) {
      if (!rule.IsEgress && rule.SecurityGroupRuleId) rules.push(toIngressRule(rule));
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return rules;
}

export async function vpcCidrs(ec2: EC2Client, vpcId: string): Promise<string[]> {
  const out = await call("ec2:DescribeVpcs", () => ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })));
  const vpc = out.Vpcs?.[0];
  if (!vpc) return [];
  const v4 = (vpc.CidrBlockAssociationSet ?? [])
    .filter((a) => (a.CidrBlockState?.State ?? "associated") === "associated")
    .map((a) => a.CidrBlock);
  const v6 = (vpc.Ipv6CidrBlockAssociationSet ?? [])
    .filter((a) => (a.Ipv6CidrBlockState?.State ?? "associated") === "associated")
    .map((a) => a.Ipv6CidrBlock);
  const all = [...v4, ...v6, vpc.CidrBlock].filter((c): c is string => typeof c === "string");
  return [...new Set(all)];
}

export async function securityGroupTags(ec2: EC2Client, groupId: string): Promise<Record<string, string>> {
  const out = await call("ec2:DescribeSecurityGroups", () =>
    ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })),
  );
  const tags: Record<string, string> = {};
  for (const tag of out.SecurityGroups?.[0]?.Tags ?? []) {
    if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? "";
  }
  return tags;
}

export type WriteOutcome = { status: "done" } | { status: "already-done"; detail: string };

const GONE = new Set(["InvalidPermission.NotFound", "InvalidSecurityGroupRuleId.NotFound"]);

/**
 * Revokes exactly the given rules by id. A rule that is already gone (a duplicate delivery, or someone fixed it
 * first) is success: the remaining ones are re-read and revoked, so one missing id never blocks the others.
 */
export async function revokeIngressRules(ec2: EC2Client, groupId: string, ruleIds: string[]): Promise<WriteOutcome> {
  try {
    const out = await ec2.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ruleIds }),
    );
    if (out.Return === false || (out.UnknownIpPermissions?.length ?? 0) > 0) {
      throw toAwsCallError("ec2:RevokeSecurityGroupIngress", {
        name: "RevokeNotConfirmed",
        message: "EC2 did not confirm the revocation",
      });
    }
    return { status: "done" };
  } catch (error) {
    if (!GONE.has(awsErrorCode(error))) throw toAwsCallError("ec2:RevokeSecurityGroupIngress", error);
  }
  const present = new Set((await ingressRules(ec2, groupId)).map((r) => r.ruleId));
  const remaining = ruleIds.filter((id) => present.has(id));
  if (remaining.length === 0) return { status: "already-done", detail: "the rules were already revoked" };
  await call("ec2:RevokeSecurityGroupIngress", () =>
    ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: remaining })),
  );
  return { status: "done" };
}
