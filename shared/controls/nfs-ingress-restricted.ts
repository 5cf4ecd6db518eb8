import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import { cidrContains, isWorld, parseCidr } from "./cidr.js";
import {
  describeReplacement,
  isAllTraffic,
  isNfsOnly,
  isTcp,
  sourceOf,
  undoCommands,
  withoutNfs,
} from "./nfs-rule-split.js";
import type { Finding, ReplacementRule } from "./types.js";

/**
 * efs-nfs-ingress-restricted: no security group on an EFS mount target lets NFS (TCP 2049) in from the internet
 * or from any source outside allowedNfsSources (default: the mount target VPC's own CIDR blocks). Rules that
 * reference another security group are allowed: they name instances, not address ranges.
 */
export const CONTROL = "efs-nfs-ingress-restricted" as const;
export const NFS_PORT = 2049;

export interface IngressRule {
  ruleId: string;
  protocol: string;
  fromPort?: number | undefined;
  toPort?: number | undefined;
  cidrIpv4?: string | undefined;
  cidrIpv6?: string | undefined;
  prefixListId?: string | undefined;
  referencedGroupId?: string | undefined;
  description?: string | undefined;
}

export interface MountTargetRef {
  mountTargetId: string;
  fileSystemId: string;
  /** The mount target's network interface, as EC2 lists it on the group. */
  networkInterfaceId?: string;
  /** True once EFS itself reported this mount target with this interface (DescribeMountTargets). */
  confirmedByEfs?: boolean;
}

/**
 * A network interface on the group that is not an EFS mount target, or that is described as one without being
 * one. Its free-text description is never shown: only what EC2 and EFS write.
 */
export interface OtherInterface {
  networkInterfaceId: string;
  /** EC2's InterfaceType: interface, lambda, network_load_balancer, vpc_endpoint, ... */
  interfaceType?: string;
  /** The instance it is attached to, when it is. */
  instanceId?: string;
  /** Set when the interface is described as a mount target's: the mount target it names, and why it is not one. */
  claims?: { mountTargetId: string; fileSystemId: string; why: string };
}

export interface SecurityGroupState {
  groupId: string;
  region: string;
  account?: string;
  vpcId?: string;
  /** Mount targets that carry this group; empty means the control does not apply. */
  mountTargets: MountTargetRef[];
  /**
   * Every other network interface that carries the group (instances, load balancers, Lambda, an interface that only
   * claims to be a mount target). Undefined when they were not read: the group is then taken to serve something
   * else too, so no rule broader than NFS is revoked whole.
   */
  otherInterfaces?: OtherInterface[];
  /** Ingress rules only; egress never lets NFS in. */
  rules: IngressRule[];
  /** The VPC's CIDR blocks, needed only when allowedNfsSources is "vpc". */
  vpcCidrs?: string[];
  tags?: Record<string, string>;
}

export type RuleProblem = "world-open" | "outside-allowed";

/** Does the rule let TCP 2049 in? Protocol -1 (all), tcp without ports and ranges that cover 2049 all do. */
export function coversNfs(rule: Pick<IngressRule, "protocol" | "fromPort" | "toPort">): boolean {
  if (isAllTraffic(rule.protocol)) return true;
  if (!isTcp(rule.protocol)) return false;
  const from = rule.fromPort === undefined ? -1 : Number(rule.fromPort);
  const to = rule.toPort === undefined ? -1 : Number(rule.toPort);
  if (from === -1 && to === -1) return true;
  return from <= NFS_PORT && NFS_PORT <= to;
}

export function describeRule(rule: IngressRule): string {
  const protocol = isAllTraffic(rule.protocol) ? "all traffic" : String(rule.protocol).toUpperCase();
  const ports =
    isAllTraffic(rule.protocol) || rule.fromPort === undefined || rule.fromPort === -1
      ? ""
      : rule.fromPort === rule.toPort
        ? ` port ${rule.fromPort}`
        : ` ports ${rule.fromPort}-${rule.toPort}`;
  return `${rule.ruleId}: ${protocol}${ports} from ${sourceOf(rule)}`;
}

/** An interface in words, from what EC2 and EFS write (never its free-text description). */
export function describeInterface(other: OtherInterface): string {
  const what = other.claims
    ? `described as mount target ${other.claims.mountTargetId} of ${other.claims.fileSystemId}, but ${other.claims.why}`
    : other.instanceId
      ? `instance ${other.instanceId}`
      : (other.interfaceType ?? "interface");
  return `${other.networkInterfaceId} (${what})`;
}

/**
 * True when every interface on the group is a mount target that EFS confirmed: a mount target accepts nothing but
 * NFS, so a rule broader than NFS lets nothing else reach anything and can be revoked whole.
 */
export function servesOnlyMountTargets(state: Pick<SecurityGroupState, "mountTargets" | "otherInterfaces">): boolean {
  return (
    state.otherInterfaces !== undefined &&
    state.otherInterfaces.length === 0 &&
    state.mountTargets.length > 0 &&
    state.mountTargets.every((m) => m.confirmedByEfs === true)
  );
}

/** True when the evaluation needs the VPC's CIDR blocks: default sources and a CIDR rule that is not world-open. */
export function needsVpcCidrs(rules: IngressRule[], config: Pick<GuardConfig, "allowedNfsSources">): boolean {
  if (config.allowedNfsSources !== "vpc") return false;
  return rules.some((rule) => {
    if (!coversNfs(rule)) return false;
    const text = rule.cidrIpv4 ?? rule.cidrIpv6;
    const cidr = text === undefined ? undefined : parseCidr(text);
    return cidr !== undefined && !isWorld(cidr);
  });
}

export function classifyRule(rule: IngressRule, allowed: string[]): RuleProblem | undefined {
  if (!coversNfs(rule)) return undefined;
  if (rule.referencedGroupId !== undefined && rule.cidrIpv4 === undefined && rule.cidrIpv6 === undefined) {
    return undefined;
  }
  if (rule.prefixListId !== undefined) return allowed.includes(rule.prefixListId) ? undefined : "outside-allowed";
  const text = rule.cidrIpv4 ?? rule.cidrIpv6;
  if (text === undefined) return undefined;
  const cidr = parseCidr(text);
  // A source the API returned but we cannot parse is treated as unknown, hence not allowed.
  if (cidr === undefined) return "outside-allowed";
  if (isWorld(cidr)) return "world-open";
  const inside = allowed.some((entry) => {
    const outer = parseCidr(entry);
    return outer !== undefined && cidrContains(outer, cidr);
  });
  return inside ? undefined : "outside-allowed";
}

/** How a rule that lets NFS in is dealt with: revoked, replaced by itself minus TCP 2049, or left (and why). */
export type RuleAction = "revoke" | "replace" | "leave";

const ALL_TRAFFIC_LEFT =
  "all traffic cannot be narrowed to leave out NFS alone (the remainder is every IP protocol besides TCP, one rule each), and the group also serves other interfaces, so revoking it would cut their traffic: move the mount targets to a group of their own, or replace the rule by the protocols those interfaces need";

/** At most this many other interfaces are named in a finding; the rest are counted. */
const NAMED_INTERFACES = 10;
/** Undo commands longer than this are replaced by a sentence (an alert must stay well within SNS's 256 KB). */
const MAX_UNDO_CHARS = 8000;

interface Handling {
  rule: IngressRule;
  problem: RuleProblem;
  action: RuleAction;
  replacements: ReplacementRule[];
}

/**
 * Never more than the NFS exposure: TCP 2049 alone is revoked; a broader rule (TCP ranges, TCP all ports, all
 * traffic) is revoked whole only when every interface on the group is a mount target EFS confirmed (they accept
 * nothing but NFS); otherwise a TCP rule is replaced by the same rule minus port 2049, and all traffic is left in
 * place and reported (see withoutNfs).
 */
function handle(rule: IngressRule, problem: RuleProblem, onlyMountTargets: boolean): Handling {
  if (isNfsOnly(rule) || onlyMountTargets) return { rule, problem, action: "revoke", replacements: [] };
  const replacements = withoutNfs(rule);
  if (replacements === undefined) return { rule, problem, action: "leave", replacements: [] };
  return { rule, problem, action: "replace", replacements };
}

function interfacesEvidence(others: OtherInterface[] | undefined) {
  if (others === undefined) return undefined;
  return {
    count: others.length,
    named: others.slice(0, NAMED_INTERFACES).map(describeInterface),
  };
}

export function evaluate(state: SecurityGroupState, config: GuardConfig, _clock: Clock): Finding {
  const resource = {
    type: "security-group" as const,
    id: state.groupId,
    region: state.region,
    ...(state.account ? { account: state.account } : {}),
  };
  const fileSystems = [...new Set(state.mountTargets.map((m) => m.fileSystemId))].sort();
  if (state.mountTargets.length === 0) {
    return {
      control: CONTROL,
      resource,
      verdict: "not-applicable",
      severity: "info",
      summary: `${state.groupId} is not attached to any EFS mount target`,
      evidence: {
        ...(state.otherInterfaces?.some((o) => o.claims)
          ? { notMountTargets: state.otherInterfaces.filter((o) => o.claims).map(describeInterface) }
          : {}),
      },
    };
  }
  const allowed = config.allowedNfsSources === "vpc" ? (state.vpcCidrs ?? []) : config.allowedNfsSources;
  const offending = state.rules
    .map((rule) => ({ rule, problem: classifyRule(rule, allowed) }))
    .filter((r): r is { rule: IngressRule; problem: RuleProblem } => r.problem !== undefined);
  const others = interfacesEvidence(state.otherInterfaces);
  const evidence = {
    vpcId: state.vpcId,
    fileSystems,
    mountTargets: state.mountTargets.map((m) => m.mountTargetId).sort(),
    mountTargetsConfirmedByEfs: state.mountTargets
      .filter((m) => m.confirmedByEfs)
      .map((m) => m.mountTargetId)
      .sort(),
    ...(others ? { otherInterfaces: others } : {}),
    allowedNfsSources: config.allowedNfsSources === "vpc" ? { vpc: allowed } : allowed,
  };
  if (offending.length === 0) {
    return {
      control: CONTROL,
      resource,
      verdict: "compliant",
      severity: "info",
      summary: `NFS ingress on ${state.groupId} is limited to allowed sources`,
      evidence,
    };
  }
  const onlyMountTargets = servesOnlyMountTargets(state);
  const handled = offending.map((o) => handle(o.rule, o.problem, onlyMountTargets));
  const revoked = handled.filter((h) => h.action !== "leave");
  const left = handled.filter((h) => h.action === "leave");
  const add = revoked.flatMap((h) => h.replacements);
  const worldOpen = offending.some((o) => o.problem === "world-open");
  const leftText =
    left.length > 0 ? `; left in place: ${left.map((h) => describeRule(h.rule)).join("; ")} (${ALL_TRAFFIC_LEFT})` : "";
  const alsoServes =
    others && others.count > 0 && (add.length > 0 || left.length > 0)
      ? `. The group also serves ${others.named.join(", ")}${others.count > others.named.length ? ` and ${others.count - others.named.length} more interface(s)` : ""}, so rules broader than NFS are not revoked whole`
      : "";
  const finding: Finding = {
    control: CONTROL,
    resource,
    verdict: "non-compliant",
    severity: worldOpen ? "critical" : "high",
    summary: `${state.groupId} lets NFS (TCP 2049) in from ${worldOpen ? "the internet" : "outside the allowed sources"} on the mount targets of ${fileSystems.join(", ")}${leftText}`,
    evidence: {
      ...evidence,
      offendingRules: handled.map((h) => ({ ...h.rule, problem: h.problem, action: h.action })),
    },
    ...(state.tags ? { tags: state.tags } : {}),
  };
  if (revoked.length === 0) return finding;

  const rules = revoked.map((h) => describeRule(h.rule));
  const added = add.map(describeReplacement);
  const replacedIds = revoked.filter((h) => h.action === "replace").map((h) => h.rule.ruleId);
  const revokeText = `${rules.length} rule(s) on ${state.groupId}: ${rules.join("; ")}`;
  const addText =
    add.length > 0
      ? `${added.length} rule(s) in place of ${replacedIds.join(", ")} (the same rule(s) without TCP 2049, same source and description): ${added.join("; ")}`
      : "";
  const commands = undoCommands(
    state.region,
    state.groupId,
    revoked.map((h) => h.rule),
    add,
  );
  const undoCommandsText = commands.join(" ; then ");
  const undo =
    undoCommandsText.length <= MAX_UNDO_CHARS
      ? `To restore, re-authorize the revoked rule(s)${add.length > 0 ? ", then revoke the rules EFS Guard added" : ""}: ${undoCommandsText}. Then exempt the group, or EFS Guard will act again.`
      : `To restore, re-authorize the revoked rule(s) on ${state.groupId} (${rules.join("; ")})${add.length > 0 ? `, then revoke the rules EFS Guard added (${added.join("; ")})` : ""}. Then exempt the group, or EFS Guard will act again.`;
  finding.plan = {
    kind: "revoke-ingress",
    groupId: state.groupId,
    ruleIds: revoked.map((h) => h.rule.ruleId),
    rules,
    ...(add.length > 0 ? { add, added } : {}),
    describe: `${add.length > 0 ? `add ${addText}, then revoke ${revokeText}` : `revoke ${revokeText}`}${leftText}${alsoServes}`,
    done: `${add.length > 0 ? `added ${addText}, then revoked ${revokeText}` : `revoked ${revokeText}`}${leftText}${alsoServes}`,
    undo,
  };
  return finding;
}
