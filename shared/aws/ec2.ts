import {
  AuthorizeSecurityGroupIngressCommand,
  type AuthorizeSecurityGroupIngressCommandOutput,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Filter,
  type IpPermission,
  type NetworkInterface,
  RevokeSecurityGroupIngressCommand,
  type RouteTable,
  type SecurityGroupRule,
  type Vpc,
} from "@aws-sdk/client-ec2";
import type { IngressRule } from "../controls/nfs-ingress-restricted.js";
import type { ReplacementRule } from "../controls/types.js";
import { awsErrorCode, call, toAwsCallError } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const ec2Client = perRegion((region) => new EC2Client(clientConfig(region)));

/**
 * AWS describes a mount target's network interface as "EFS mount target for fs-... (fsmt-...)"; the ids have the
 * patterns of the EFS API (8 to 40 hex digits).
 */
const MOUNT_TARGET_ENI = /^EFS mount target for (fs-[0-9a-f]{8,40}) \((fsmt-[0-9a-f]{8,40})\)$/;

/**
 * A network interface that carries a security group, as EC2 reports it. `describedAs` comes from the free-text
 * description, which anyone who may create an interface can write; `requesterManaged` only AWS sets (EC2 User
 * Guide, "Requester-managed network interfaces": a service created it, and no caller can change its description).
 */
export interface GroupInterface {
  networkInterfaceId: string;
  vpcId?: string;
  subnetId?: string;
  groupIds: string[];
  requesterManaged: boolean;
  interfaceType?: string;
  instanceId?: string;
  /** The mount target the description names, when it reads as AWS describes a mount target's interface. */
  describedAs?: { fileSystemId: string; mountTargetId: string };
}

export function toGroupInterface(eni: NetworkInterface): GroupInterface | undefined {
  if (!eni.NetworkInterfaceId) return undefined;
  const match = MOUNT_TARGET_ENI.exec(eni.Description ?? "");
  return {
    networkInterfaceId: eni.NetworkInterfaceId,
    ...(eni.VpcId ? { vpcId: eni.VpcId } : {}),
    ...(eni.SubnetId ? { subnetId: eni.SubnetId } : {}),
    groupIds: (eni.Groups ?? []).map((g) => g.GroupId).filter((g): g is string => typeof g === "string"),
    requesterManaged: eni.RequesterManaged === true,
    ...(eni.InterfaceType ? { interfaceType: eni.InterfaceType } : {}),
    ...(eni.Attachment?.InstanceId ? { instanceId: eni.Attachment.InstanceId } : {}),
    ...(match ? { describedAs: { fileSystemId: match[1] as string, mountTargetId: match[2] as string } } : {}),
  };
}

async function describeInterfaces(ec2: EC2Client, Filters: Filter[]): Promise<GroupInterface[]> {
  const out: GroupInterface[] = [];
  let NextToken: string | undefined;
  do {
    const page = await call("ec2:DescribeNetworkInterfaces", () =>
      ec2.send(new DescribeNetworkInterfacesCommand({ Filters, NextToken })),
    );
    for (const eni of page.NetworkInterfaces ?? []) {
      const found = toGroupInterface(eni);
      if (found) out.push(found);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/**
 * Every network interface that carries any of the groups, mount targets or not: one filtered call (paginated)
 * whatever the number of file systems. The guard needs them all: which are mount targets decides whether the
 * control applies, and whether anything else sits behind the group decides how a rule broader than NFS is fixed.
 */
export async function groupInterfaces(ec2: EC2Client, groupIds: string[]): Promise<GroupInterface[]> {
  return describeInterfaces(ec2, [{ Name: "group-id", Values: groupIds }]);
}

/**
 * Every security group on a requester-managed interface described as a mount target's, in the region (one
 * paginated call, filtered by EC2): the sweep's and scan's inventory. An interface a caller created, whatever its
 * description, is not requester-managed and does not bring its groups in; the assessment then asks EFS before
 * anything is reported or changed.
 */
export async function mountTargetGroupIds(ec2: EC2Client): Promise<string[]> {
  const groups = new Set<string>();
  for (const eni of await mountTargetInterfaces(ec2)) for (const group of eni.groupIds) groups.add(group);
  return [...groups].sort();
}

/**
 * The requester-managed interfaces described as a mount target's, in the region (one paginated, filtered call), or
 * only those of `narrow` (subnet-id, vpc-id filters).
 */
export async function mountTargetInterfaces(ec2: EC2Client, narrow: Filter[] = []): Promise<GroupInterface[]> {
  const interfaces = await describeInterfaces(ec2, [
    { Name: "requester-managed", Values: ["true"] },
    { Name: "description", Values: ["EFS mount target for *"] },
    ...narrow,
  ]);
  return interfaces.filter((eni) => eni.requesterManaged && eni.describedAs);
}

/** A subnet as efs-mount-target-private needs it: MapPublicIpOnLaunch and its tags (the control's exemption). */
export interface SubnetInfo {
  subnetId: string;
  vpcId?: string;
  mapPublicIpOnLaunch: boolean;
  tags: Record<string, string>;
}

/** DescribeSubnets by ids or by filter (paginated). A subnet that no longer exists is simply absent. */
export async function describeSubnets(
  ec2: EC2Client,
  by: { subnetIds: string[] } | { filters: Filter[] },
): Promise<SubnetInfo[]> {
  const out: SubnetInfo[] = [];
  let NextToken: string | undefined;
  // By ids, a deleted subnet would fail the whole call (InvalidSubnetID.NotFound): the ids go in a filter instead.
  const Filters = "subnetIds" in by ? [{ Name: "subnet-id", Values: by.subnetIds }] : by.filters;
  do {
    const page = await call("ec2:DescribeSubnets", () =>
      ec2.send(new DescribeSubnetsCommand({ ...(Filters.length > 0 ? { Filters } : {}), NextToken })),
    );
    for (const subnet of page.Subnets ?? []) {
      if (!subnet.SubnetId) continue;
      const tags: Record<string, string> = {};
      for (const tag of subnet.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? "";
      out.push({
        subnetId: subnet.SubnetId,
        ...(subnet.VpcId ? { vpcId: subnet.VpcId } : {}),
        mapPublicIpOnLaunch: subnet.MapPublicIpOnLaunch === true,
        tags,
      });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** A route table with what decides which subnets use it. */
export interface RouteTableInfo {
  routeTableId: string;
  vpcId?: string;
  main: boolean;
  /** Subnets explicitly associated with the table. */
  subnetIds: string[];
  /** Association id -> subnet id, or "main" for the VPC's main association. */
  associations: Record<string, string>;
  routes: { destination: string; target: string; state?: string }[];
}

export function toRouteTableInfo(table: RouteTable): RouteTableInfo | undefined {
  if (!table.RouteTableId) return undefined;
  const associations: Record<string, string> = {};
  const subnetIds: string[] = [];
  let main = false;
  for (const a of table.Associations ?? []) {
    const state = a.AssociationState?.State ?? "associated";
    if (state !== "associated" && state !== "associating") continue;
    if (a.Main) main = true;
    if (a.SubnetId) subnetIds.push(a.SubnetId);
    if (a.RouteTableAssociationId) associations[a.RouteTableAssociationId] = a.Main ? "main" : (a.SubnetId ?? "");
  }
  const routes = (table.Routes ?? []).map((r) => ({
    destination: r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock ?? r.DestinationPrefixListId ?? "",
    target:
      r.GatewayId ??
      r.NatGatewayId ??
      r.TransitGatewayId ??
      r.VpcPeeringConnectionId ??
      r.EgressOnlyInternetGatewayId ??
      r.NetworkInterfaceId ??
      "",
    ...(r.State ? { state: r.State } : {}),
  }));
  return {
    routeTableId: table.RouteTableId,
    ...(table.VpcId ? { vpcId: table.VpcId } : {}),
    main,
    subnetIds,
    associations,
    routes,
  };
}

/** DescribeRouteTables with filters (paginated): `route-table-id`, `vpc-id`, or none for the whole region. */
export async function describeRouteTables(ec2: EC2Client, Filters: Filter[]): Promise<RouteTableInfo[]> {
  const out: RouteTableInfo[] = [];
  let NextToken: string | undefined;
  do {
    const page = await call("ec2:DescribeRouteTables", () =>
      ec2.send(new DescribeRouteTablesCommand({ ...(Filters.length > 0 ? { Filters } : {}), NextToken })),
    );
    for (const table of page.RouteTables ?? []) {
      const info = toRouteTableInfo(table);
      if (info) out.push(info);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** The table each subnet uses: its explicit association, else its VPC's main table. Pure. */
export function effectiveTables(
  tables: readonly RouteTableInfo[],
  subnets: readonly { subnetId: string; vpcId?: string }[],
): Map<string, RouteTableInfo> {
  const out = new Map<string, RouteTableInfo>();
  for (const subnet of subnets) {
    const table =
      tables.find((t) => t.subnetIds.includes(subnet.subnetId)) ??
      tables.find((t) => t.main && t.vpcId !== undefined && t.vpcId === subnet.vpcId);
    if (table) out.set(subnet.subnetId, table);
  }
  return out;
}

export function toIngressRule(rule: SecurityGroupRule): IngressRule {
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
  return vpc ? vpcCidrsOf(vpc) : [];
}

/** A VPC's associated IPv4 and IPv6 CIDR blocks, as DescribeVpcs reports them. */
export function vpcCidrsOf(vpc: Vpc): string[] {
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

export type WriteOutcome = { status: "done"; detail?: string } | { status: "already-done"; detail: string };

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

function toIpPermission(rule: ReplacementRule): IpPermission {
  const description = rule.description !== undefined ? { Description: rule.description } : {};
  return {
    IpProtocol: "tcp",
    FromPort: rule.fromPort,
    ToPort: rule.toPort,
    ...(rule.cidrIpv4 !== undefined ? { IpRanges: [{ CidrIp: rule.cidrIpv4, ...description }] } : {}),
    ...(rule.cidrIpv6 !== undefined ? { Ipv6Ranges: [{ CidrIpv6: rule.cidrIpv6, ...description }] } : {}),
    ...(rule.prefixListId !== undefined
      ? { PrefixListIds: [{ PrefixListId: rule.prefixListId, ...description }] }
      : {}),
  };
}

/** The same traffic: protocol, ports and source. EC2 does not count the description in a rule's identity. */
function sameTraffic(rule: IngressRule, wanted: ReplacementRule): boolean {
  return (
    rule.protocol === "tcp" &&
    rule.fromPort === wanted.fromPort &&
    rule.toPort === wanted.toPort &&
    rule.cidrIpv4 === wanted.cidrIpv4 &&
    rule.cidrIpv6 === wanted.cidrIpv6 &&
    rule.prefixListId === wanted.prefixListId
  );
}

const AUTHORIZE_ATTEMPTS = 3;

/**
 * Authorizes the rules the group does not have yet and returns the ids of those it added. One call for all of
 * them; when EC2 answers InvalidPermission.Duplicate (one of them is there already: a duplicate delivery added it
 * first, or the owner has the same rule), the rules are re-read and only the missing ones are sent again.
 */
async function authorizeMissing(ec2: EC2Client, groupId: string, rules: ReplacementRule[]): Promise<string[]> {
  const added: string[] = [];
  let missing = rules;
  for (let attempt = 0; attempt < AUTHORIZE_ATTEMPTS && missing.length > 0; attempt++) {
    let out: AuthorizeSecurityGroupIngressCommandOutput;
    try {
      out = await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: missing.map(toIpPermission) }),
      );
    } catch (error) {
      if (awsErrorCode(error) !== "InvalidPermission.Duplicate") {
        throw toAwsCallError("ec2:AuthorizeSecurityGroupIngress", error);
      }
      const present = await ingressRules(ec2, groupId);
      missing = missing.filter((wanted) => !present.some((rule) => sameTraffic(rule, wanted)));
      continue;
    }
    if (out.Return === false) {
      throw toAwsCallError("ec2:AuthorizeSecurityGroupIngress", {
        name: "AuthorizeNotConfirmed",
        message: "EC2 did not confirm the new rules",
      });
    }
    for (const rule of out.SecurityGroupRules ?? []) if (rule.SecurityGroupRuleId) added.push(rule.SecurityGroupRuleId);
    return added;
  }
  if (missing.length > 0) {
    // Rules keep appearing and vanishing under us: someone else is editing the group. Nothing is revoked.
    throw toAwsCallError("ec2:AuthorizeSecurityGroupIngress", {
      name: "ConcurrentModification",
      message: `the group's rules changed during ${AUTHORIZE_ATTEMPTS} attempts to add ${missing.length} rule(s)`,
      $retryable: true,
    });
  }
  return added;
}

/**
 * Narrows or revokes: first authorizes the rules that replace part of a revoked one (so that no traffic but NFS
 * is ever cut, not even for a moment), then revokes the rules by id. Under duplicate delivery both steps are
 * idempotent: a replacement already there is not added again, a rule already revoked counts as done. If adding
 * fails (the group's rules quota, say), nothing is revoked.
 */
export async function replaceIngressRules(
  ec2: EC2Client,
  groupId: string,
  ruleIds: string[],
  add: ReplacementRule[],
): Promise<WriteOutcome> {
  const added = add.length > 0 ? await authorizeMissing(ec2, groupId, add) : [];
  const revoked = await revokeIngressRules(ec2, groupId, ruleIds);
  const addedText = added.length > 0 ? `new rule id(s): ${added.join(", ")}` : undefined;
  if (revoked.status === "done") return { status: "done", ...(addedText ? { detail: addedText } : {}) };
  if (added.length === 0) return revoked;
  // The rule was gone before EFS Guard revoked it, yet its narrowed form was just added: either a duplicate
  // delivery finished first (it added them too: nothing to undo) or someone revoked the rule meanwhile.
  return {
    status: "done",
    detail: `${revoked.detail}; the narrowed rule(s) EFS Guard added are kept (${added.join(", ")}): revoke them if the original rule was removed on purpose`,
  };
}
