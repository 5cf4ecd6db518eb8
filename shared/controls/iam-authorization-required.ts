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
import { narrowingCondition, parsePolicy, statementName, unnamedGrants } from "./policy.js";
import type { Finding } from "./types.js";

/**
 * efs-iam-authorization-required: an NFS client needs an IAM identity to mount or write. That takes a file system
 * policy (without one, EFS grants every client that reaches a mount target full access), and no Allow of
 * ClientMount or ClientWrite to every principal (`*`, {"AWS":"*"}, NotPrincipal) unless a principal condition
 * (aws:PrincipalArn, aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:PrincipalAccount with fixed values) narrows
 * it: a client that does not sign its mount with IAM credentials has no principal, so such a condition can only
 * match an IAM identity. Network conditions (AccessedViaMountTarget, SourceVpc) do not count: the console's
 * default pair (any client through a mount target) is non-compliant here, medium. Alert only: requiring IAM would
 * cut off every client that mounts without `-o iam`.
 */
export const CONTROL = "efs-iam-authorization-required" as const;

const ACTIONS = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"] as const;

export interface IamAuthorizationState {
  fileSystem: FileSystemFacts;
  policy: string | undefined;
}

export function evaluate(state: IamAuthorizationState, _config: GuardConfig, _clock: Clock): Finding {
  const fs = state.fileSystem;
  if (isGone(fs)) return notApplicable(CONTROL, fs);
  const base = { control: CONTROL, resource: fileSystemResource(fs) };
  const tags = fs.tags ? { tags: fs.tags } : {};
  const parsed = parsePolicy(state.policy);
  if (parsed.status === "none")
    return policyProblem(CONTROL, fs, {
      none: true,
      consequence: "every NFS client that reaches a mount target may mount and write without an IAM identity",
    });
  if (parsed.status === "invalid") {
    return policyProblem(CONTROL, fs, { none: false, detail: parsed.detail, question: "whether clients need IAM" });
  }
  // An unconditional Deny (or Deny unless a named principal) takes an action back from unnamed clients.
  const open = unnamedGrants(parsed.statements, fs.arn, ACTIONS);
  if (open.length === 0) {
    return {
      ...base,
      verdict: "compliant",
      severity: "info",
      summary: `the policy of ${label(fs)} grants mount and write only to IAM identities`,
      evidence: { hasPolicy: true },
    };
  }
  const viaMountTarget = open.every((g) => {
    const statement = parsed.statements.find((s, i) => statementName(s, i) === g.statement);
    return statement !== undefined && narrowingCondition(statement.Condition) !== undefined;
  });
  const actions = [...new Set(open.flatMap((g) => g.actions))];
  return {
    ...base,
    verdict: "non-compliant",
    severity: "medium",
    summary: `the policy of ${label(fs)} grants ${actions.join(", ")} to every principal without a principal condition (statement ${open.map((g) => g.statement).join(", ")})${viaMountTarget ? ": any client that reaches a mount target, with or without IAM" : ""}`,
    evidence: { grants: open },
    ...tags,
  };
}
