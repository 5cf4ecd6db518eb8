import type { IngressRule } from "./nfs-ingress-restricted.js";
import type { ReplacementRule } from "./types.js";

/**
 * What is left of an ingress rule once NFS (TCP 2049) is taken out of it, and the AWS CLI commands that undo a
 * change. Pure: the evaluator plans with these, the alert quotes them.
 */
const NFS_PORT = 2049;
const LAST_PORT = 65535;

export function isTcp(protocol: string): boolean {
  const p = String(protocol).toLowerCase();
  return p === "tcp" || p === "6";
}

export function isAllTraffic(protocol: string): boolean {
  const p = String(protocol).toLowerCase();
  return p === "-1" || p === "all";
}

/** A TCP rule's ports; a rule without ports (or -1) means all of them. */
function tcpPorts(rule: Pick<IngressRule, "fromPort" | "toPort">): [number, number] {
  const from = rule.fromPort === undefined || Number(rule.fromPort) === -1 ? 0 : Number(rule.fromPort);
  const to = rule.toPort === undefined || Number(rule.toPort) === -1 ? LAST_PORT : Number(rule.toPort);
  return [from, to];
}

/** TCP port 2049 and nothing else: revoking it takes nothing but NFS away. */
export function isNfsOnly(rule: IngressRule): boolean {
  if (!isTcp(rule.protocol)) return false;
  const [from, to] = tcpPorts(rule);
  return from === NFS_PORT && to === NFS_PORT;
}

/**
 * The rule minus TCP port 2049, as rules a security group can hold: the TCP ports below and above 2049, with the
 * same source and the same description. Empty for TCP 2049 alone.
 *
 * Undefined for protocol -1 ("all traffic"): what it allows besides NFS is TCP without 2049 and every other IP
 * protocol (UDP, ICMP, ICMPv6, ESP, GRE, SCTP, ...: 255 protocol numbers besides TCP). A security group rule names
 * one protocol or all of them, so the exact remainder would take 257 rules, beyond the 60 a group holds by default
 * (Amazon VPC quotas); any shorter list (TCP, UDP and ICMP, say) would cut the other protocols for whatever else
 * the group serves. Such a rule is not narrowed.
 */
export function withoutNfs(rule: IngressRule): ReplacementRule[] | undefined {
  if (!isTcp(rule.protocol)) return undefined;
  const [from, to] = tcpPorts(rule);
  const source = {
    ...(rule.cidrIpv4 !== undefined ? { cidrIpv4: rule.cidrIpv4 } : {}),
    ...(rule.cidrIpv6 !== undefined ? { cidrIpv6: rule.cidrIpv6 } : {}),
    ...(rule.prefixListId !== undefined ? { prefixListId: rule.prefixListId } : {}),
    ...(rule.description !== undefined ? { description: rule.description } : {}),
  };
  const parts: ReplacementRule[] = [];
  if (from < NFS_PORT)
    parts.push({ replaces: rule.ruleId, fromPort: from, toPort: Math.min(to, NFS_PORT - 1), ...source });
  if (to > NFS_PORT)
    parts.push({ replaces: rule.ruleId, fromPort: Math.max(from, NFS_PORT + 1), toPort: to, ...source });
  return parts;
}

export function sourceOf(rule: Pick<IngressRule, "cidrIpv4" | "cidrIpv6" | "prefixListId" | "referencedGroupId">) {
  return rule.cidrIpv4 ?? rule.cidrIpv6 ?? rule.prefixListId ?? rule.referencedGroupId ?? "?";
}

export function describeReplacement(rule: ReplacementRule): string {
  const ports = rule.fromPort === rule.toPort ? `port ${rule.fromPort}` : `ports ${rule.fromPort}-${rule.toPort}`;
  return `TCP ${ports} from ${sourceOf(rule)}`;
}

type Permission = Record<string, unknown>;

/** One rule as the IpPermissions JSON that authorize-security-group-ingress and revoke-... take. */
function permission(
  protocol: string,
  ports: [number, number] | undefined,
  rule: Pick<IngressRule, "cidrIpv4" | "cidrIpv6" | "prefixListId" | "referencedGroupId" | "description">,
): Permission {
  const described = (entry: Record<string, string>) =>
    rule.description !== undefined ? { ...entry, Description: rule.description } : entry;
  const source: Permission =
    rule.cidrIpv4 !== undefined
      ? { IpRanges: [described({ CidrIp: rule.cidrIpv4 })] }
      : rule.cidrIpv6 !== undefined
        ? { Ipv6Ranges: [described({ CidrIpv6: rule.cidrIpv6 })] }
        : rule.prefixListId !== undefined
          ? { PrefixListIds: [described({ PrefixListId: rule.prefixListId })] }
          : { UserIdGroupPairs: [described({ GroupId: rule.referencedGroupId ?? "" })] };
  return { IpProtocol: protocol, ...(ports ? { FromPort: ports[0], ToPort: ports[1] } : {}), ...source };
}

function originalPermission(rule: IngressRule): Permission {
  if (isAllTraffic(rule.protocol)) return permission("-1", undefined, rule);
  return permission(isTcp(rule.protocol) ? "tcp" : String(rule.protocol), tcpPorts(rule), rule);
}

/** POSIX shell single quotes: the JSON holds descriptions that anyone who may edit a rule wrote. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The commands that put the group back as it was: re-authorize the revoked rules first, then revoke the ones EFS
 * Guard added (in that order no traffic is cut in between).
 */
export function undoCommands(
  region: string,
  groupId: string,
  revoked: IngressRule[],
  added: ReplacementRule[],
): string[] {
  const cli = (verb: string, permissions: Permission[]) =>
    `aws ec2 ${verb}-security-group-ingress --region ${region} --group-id ${groupId} --ip-permissions ${shellQuote(JSON.stringify(permissions))}`;
  const commands = [cli("authorize", revoked.map(originalPermission))];
  if (added.length > 0)
    commands.push(
      cli(
        "revoke",
        added.map((r) => permission("tcp", [r.fromPort, r.toPort], r)),
      ),
    );
  return commands;
}
