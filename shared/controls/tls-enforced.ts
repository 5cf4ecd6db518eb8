import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import { type FileSystemFacts, fileSystemResource, isGone, label, notApplicable } from "./file-system.js";
import { mergeTlsDeny } from "./policy.js";
import type { Finding } from "./types.js";

/**
 * efs-tls-enforced: the file system policy denies every NFS client request made without TLS (aws:SecureTransport
 * false), for every principal and every client action. Read semantically: only Deny statements for everyone,
 * covering ClientMount, ClientWrite and ClientRootAccess (together), on this file system, whose only condition is
 * aws:SecureTransport false, count. The remediation merges one Deny into the policy, or writes the console's pair
 * when there is no policy.
 */
export const CONTROL = "efs-tls-enforced" as const;

export interface TlsState {
  fileSystem: FileSystemFacts;
  /** The policy text; undefined when the file system has none (the default policy applies). */
  policy: string | undefined;
}

export function evaluate(state: TlsState, _config: GuardConfig, _clock: Clock): Finding {
  const fs = state.fileSystem;
  if (isGone(fs)) return notApplicable(CONTROL, fs);
  const resource = fileSystemResource(fs);
  const merge = mergeTlsDeny(state.policy, fs.arn);
  const base = { control: CONTROL, resource };
  if (merge.status === "compliant") {
    return {
      ...base,
      verdict: "compliant",
      severity: "info",
      summary: `the policy of ${label(fs)} denies every request without TLS`,
      evidence: { denyingStatements: merge.assessment.denyingStatements },
    };
  }
  const tags = fs.tags ? { tags: fs.tags } : {};
  if (merge.status === "invalid" || merge.status === "too-large") {
    // Never overwrite what cannot be merged: the alert asks a person to fix it.
    const why =
      merge.status === "invalid"
        ? `its policy cannot be read (${merge.detail}), so EFS Guard will not merge into it or overwrite it`
        : `${merge.detail}, so EFS Guard will not write it`;
    return {
      ...base,
      verdict: "non-compliant",
      severity: "high",
      summary: `TLS is not enforced on ${label(fs)}: ${why}`,
      evidence: { problem: merge.status, detail: merge.detail, policyLength: state.policy?.length ?? 0 },
      ...tags,
    };
  }
  const none = state.policy === undefined;
  const uncovered = merge.assessment.uncovered;
  return {
    ...base,
    verdict: "non-compliant",
    severity: "high",
    summary: none
      ? `${label(fs)} has no file system policy: NFS clients may connect without TLS`
      : `the policy of ${label(fs)} does not deny non-TLS access for ${uncovered.join(", ")}`,
    evidence: { hasPolicy: !none, uncoveredActions: uncovered, denyingStatements: merge.assessment.denyingStatements },
    ...tags,
    plan: {
      kind: "put-file-system-policy",
      fileSystemId: fs.fileSystemId,
      ...(fs.arn ? { fileSystemArn: fs.arn } : {}),
      policy: merge.policy,
      basedOn: state.policy ?? null,
      describe: none
        ? `write the console's default policy on ${fs.fileSystemId}: allow client access through mount targets, deny every request without TLS`
        : `add a statement denying every request without TLS to the policy of ${fs.fileSystemId} (other statements unchanged)`,
      done: none
        ? `wrote a policy on ${fs.fileSystemId} that allows client access through mount targets and denies every request without TLS`
        : `added a statement denying every request without TLS to the policy of ${fs.fileSystemId}; the other statements are unchanged`,
      undo: none
        ? `Clients must now mount with TLS (mount -t efs -o tls). To undo, delete the policy (aws efs delete-file-system-policy --file-system-id ${fs.fileSystemId}) and exempt the file system, or EFS Guard will enforce TLS again.`
        : `Clients must now mount with TLS (mount -t efs -o tls). To undo, remove the statement EfsGuardDenyInsecureTransport from the policy and exempt the file system, or EFS Guard will add it again.`,
    },
  };
}
