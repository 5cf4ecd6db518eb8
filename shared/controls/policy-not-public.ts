import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import { type FileSystemFacts, fileSystemResource, isGone, label, notApplicable } from "./file-system.js";
import { CLIENT_ACTIONS, parsePolicy, publicGrants } from "./policy.js";
import type { Finding } from "./types.js";

/**
 * efs-policy-not-public: no Allow statement grants client access to everyone (Principal "*" / {"AWS":"*"}, or
 * NotPrincipal) without a condition that narrows who or where from: elasticfilesystem:AccessedViaMountTarget
 * true, aws:SourceVpc, aws:SourceVpce, aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceAccount,
 * aws:SourceIp, ... The console's default pair (Allow via mount target) is not public. Alert only: which
 * principals should have access is the owner's decision.
 */
export const CONTROL = "efs-policy-not-public" as const;

export interface PublicState {
  fileSystem: FileSystemFacts;
  policy: string | undefined;
}

export function evaluate(state: PublicState, _config: GuardConfig, _clock: Clock): Finding {
  const fs = state.fileSystem;
  if (isGone(fs)) return notApplicable(CONTROL, fs);
  const base = { control: CONTROL, resource: fileSystemResource(fs) };
  const parsed = parsePolicy(state.policy);
  if (parsed.status === "none") {
    return {
      ...base,
      verdict: "compliant",
      severity: "info",
      summary: `${label(fs)} has no file system policy: access is limited to clients that reach a mount target`,
      evidence: { hasPolicy: false },
    };
  }
  const tags = fs.tags ? { tags: fs.tags } : {};
  if (parsed.status === "invalid") {
    return {
      ...base,
      verdict: "non-compliant",
      severity: "medium",
      summary: `the policy of ${label(fs)} cannot be read (${parsed.detail}): EFS Guard cannot tell whether it is public`,
      evidence: { problem: "invalid", detail: parsed.detail },
      ...tags,
    };
  }
  const grants = publicGrants(parsed.statements, fs.arn);
  if (grants.length === 0) {
    return {
      ...base,
      verdict: "compliant",
      severity: "info",
      summary: `the policy of ${label(fs)} grants nothing to everyone without a narrowing condition`,
      evidence: { hasPolicy: true },
    };
  }
  const actions = [...new Set(grants.flatMap((g) => g.actions))];
  const writes = actions.some((a) => a !== CLIENT_ACTIONS[0]);
  return {
    ...base,
    verdict: "non-compliant",
    severity: writes ? "critical" : "high",
    summary: `the policy of ${label(fs)} grants ${actions.join(", ")} to everyone without a narrowing condition (statement ${grants.map((g) => g.statement).join(", ")})`,
    evidence: { publicStatements: grants },
    ...tags,
  };
}
