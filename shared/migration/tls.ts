import { assessTls, mergeTlsDeny, parsePolicy, TLS_STATEMENT_SID } from "../controls/policy.js";

/**
 * The TLS part of the replacement's policy. The migration asks the efs-tls-enforced control's question with the
 * control's own reading of the policy (shared/controls/policy.ts), so a replacement the workflow verifies is one the
 * guard finds compliant.
 */
export const TLS_DENY_SID = TLS_STATEMENT_SID;

/** True when the policy denies every client action on this file system to every request made without TLS. */
export function policyEnforcesTls(policy: string | undefined, fileSystemArn: string): boolean {
  const parsed = parsePolicy(policy);
  return parsed.status === "ok" && assessTls(parsed.statements, fileSystemArn).enforced;
}

/**
 * The source's policy for the new file system: references to the source's ARN point at the new one, and the TLS
 * denial is merged in when missing (every other statement kept). With no policy, the console's default (clients may
 * mount, write and use root through a mount target) plus the denial, so that adding the denial does not lock every
 * client out. A policy that cannot be read, or would grow past EFS's limit, stops the step: it is never replaced.
 */
export function policyForReplacement(
  sourcePolicy: string | undefined,
  sourceArn: string,
  destinationArn: string,
): { policy: string; tlsStatementAdded: boolean } {
  const rewritten = sourcePolicy?.split(sourceArn).join(destinationArn);
  const merged = mergeTlsDeny(rewritten, destinationArn);
  switch (merged.status) {
    case "compliant":
      return { policy: rewritten as string, tlsStatementAdded: false };
    case "merged":
      return { policy: merged.policy, tlsStatementAdded: true };
    case "invalid":
    case "too-large":
      throw new Error(`the source's file system policy cannot be carried over: ${merged.detail}`);
  }
}
