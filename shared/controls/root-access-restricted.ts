import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import {
  type FileSystemFacts,
  fileSystemResource,
  isGone,
  label,
  notApplicable,
  policyProblem,
} from "./file-system.js";
import { deniesUnnamed, parsePolicy, unnamedGrants } from "./policy.js";
import type { Finding } from "./types.js";

/**
 * efs-root-access-restricted: `elasticfilesystem:ClientRootAccess` is not granted to every principal, so EFS
 * squashes root (uid 0 becomes the anonymous user) for every client not named. Without a policy EFS grants root
 * to every client; an Allow to `*` / {"AWS":"*"} / NotPrincipal counts unless a principal condition narrows it
 * (aws:PrincipalArn, aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:PrincipalAccount), or a Deny for everyone
 * takes ClientRootAccess back from every principal not named (no condition, or only StringNotEquals/ArnNotLike...
 * on those keys). Alert only: which clients need root is the owner's decision.
 */
export const CONTROL = "efs-root-access-restricted" as const;

const ROOT = "elasticfilesystem:ClientRootAccess";

export interface RootAccessState {
  fileSystem: FileSystemFacts;
  policy: string | undefined;
}

export function evaluate(state: RootAccessState, _config: GuardConfig, _clock: Clock): Finding {
  const fs = state.fileSystem;
  if (isGone(fs)) return notApplicable(CONTROL, fs);
  const base = { control: CONTROL, resource: fileSystemResource(fs) };
  const tags = fs.tags ? { tags: fs.tags } : {};
  const parsed = parsePolicy(state.policy);
  if (parsed.status === "none")
    return policyProblem(CONTROL, fs, {
      none: true,
      consequence: "every NFS client that reaches a mount target has root access",
    });
  if (parsed.status === "invalid") {
    return policyProblem(CONTROL, fs, { none: false, detail: parsed.detail, question: "who has root access" });
  }
  const denied = parsed.statements.some((s) => deniesUnnamed(s, ROOT, fs.arn));
  const grants = unnamedGrants(parsed.statements, fs.arn, [ROOT]);
  if (grants.length === 0) {
    return {
      ...base,
      verdict: "compliant",
      severity: "info",
      summary: `the policy of ${label(fs)} grants root access only to named principals (root is squashed for the others)`,
      evidence: { hasPolicy: true, deniedToUnnamed: denied },
    };
  }
  return {
    ...base,
    verdict: "non-compliant",
    severity: "medium",
    summary: `the policy of ${label(fs)} grants ClientRootAccess to every principal without a principal condition (statement ${grants.map((g) => g.statement).join(", ")}): root is not squashed for any client`,
    evidence: { grants },
    ...tags,
  };
}
