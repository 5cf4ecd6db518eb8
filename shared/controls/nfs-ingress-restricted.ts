import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import { cidrContains, isWorld, parseCidr } from "./cidr.js";
import type { Finding } from "./types.js";

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
}

export interface SecurityGroupState {
  groupId: string;
  region: string;
  account?: string;
  vpcId?: string;
  /** Mount targets that carry this group; empty means the control does not apply. */
  mountTargets: MountTargetRef[];
  /** Ingress rules only; egress never lets NFS in. */
  rules: IngressRule[];
  /** The VPC's CIDR blocks, needed only when allowedNfsSources is "vpc". */
  vpcCidrs?: string[];
  tags?: Record<string, string>;
}

export type RuleProblem = "world-open" | "outside-allowed";

/** Does the rule let TCP 2049 in? Protocol -1 (all), tcp without ports and ranges that cover 2049 all do. */
export function coversNfs(rule: Pick<IngressRule, "protocol" | "fromPort" | "toPort">): boolean {
  const protocol = String(rule.protocol).toLowerCase();
  if (protocol === "-1" || protocol === "all") return true;
  if (protocol !== "tcp" && protocol !== "6") return false;
  const from = rule.fromPort === undefined ? -1 : Number(rule.fromPort);
  const to = rule.toPort === undefined ? -1 : Number(rule.toPort);
  if (from === -1 && to === -1) return true;
  return from <= NFS_PORT && NFS_PORT <= to;
}

export function describeRule(rule: IngressRule): string {
  const protocol = String(rule.protocol) === "-1" ? "all traffic" : String(rule.protocol).toUpperCase();
  const ports =
    String(rule.protocol) === "-1" || rule.fromPort === undefined || rule.fromPort === -1
      ? ""
      : rule.fromPort === rule.toPort
        ? ` port ${rule.fromPort}`
        : ` ports ${rule.fromPort}-${rule.toPort}`;
  const source = rule.cidrIpv4 ?? rule.cidrIpv6 ?? rule.prefixListId ?? rule.referencedGroupId ?? "?";
  return `${rule.ruleId}: ${protocol}${ports} from ${source}`;
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
      evidence: {},
    };
  }
  const allowed = config.allowedNfsSources === "vpc" ? (state.vpcCidrs ?? []) : config.allowedNfsSources;
  const offending = state.rules
    .map((rule) => ({ rule, problem: classifyRule(rule, allowed) }))
    .filter((r): r is { rule: IngressRule; problem: RuleProblem } => r.problem !== undefined);
  const evidence = {
    vpcId: state.vpcId,
    fileSystems,
    mountTargets: state.mountTargets.map((m) => m.mountTargetId).sort(),
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
  const worldOpen = offending.some((o) => o.problem === "world-open");
  const rules = offending.map((o) => describeRule(o.rule));
  return {
    control: CONTROL,
    resource,
    verdict: "non-compliant",
    severity: worldOpen ? "critical" : "high",
    summary: `${state.groupId} lets NFS (TCP 2049) in from ${worldOpen ? "the internet" : "outside the allowed sources"} on the mount targets of ${fileSystems.join(", ")}`,
    evidence: {
      ...evidence,
      offendingRules: offending.map((o) => ({ ...o.rule, problem: o.problem })),
    },
    ...(state.tags ? { tags: state.tags } : {}),
    plan: {
      kind: "revoke-ingress",
      groupId: state.groupId,
      ruleIds: offending.map((o) => o.rule.ruleId),
      rules,
      describe: `revoke ${rules.length} rule(s) on ${state.groupId}: ${rules.join("; ")}`,
      done: `revoked ${rules.length} rule(s) on ${state.groupId}: ${rules.join("; ")}`,
      undo: `To restore, re-authorize the revoked rule(s) on ${state.groupId} (${rules.join("; ")}), then exempt the group or EFS Guard will revoke them again.`,
    },
  };
}
