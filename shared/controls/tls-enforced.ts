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

/** A task definition that mounts the file system without TLS: the TLS deny would cut its tasks off. */
export interface NonTlsClient {
  taskDefinitionArn: string;
  volumes: string[];
  registeredBy?: string;
}

/** What the lookup of the file system's ECS clients found (tlsEnforcement "unless-clients-break"). */
export interface TlsClientCheck {
  /** Active task definitions described. */
  checked: number;
  /** More active task definitions exist than tlsClientCheckLimit let EFS Guard describe. */
  truncated: boolean;
  clients: NonTlsClient[];
}

export interface TlsState {
  fileSystem: FileSystemFacts;
  /** The policy text; undefined when the file system has none (the default policy applies). */
  policy: string | undefined;
  /** Set when the guard looked for clients the deny would break; the deny is then held back if it found any. */
  clients?: TlsClientCheck;
}

/**
 * Whether the deny may only be written after looking up the file system's ECS clients (tlsEnforcement
 * "unless-clients-break"): only when the deny would be written (a policy that does not enforce TLS and can be
 * merged) into a file system that already has mount targets. A new file system (CreateFileSystem: no mount target
 * yet) has no client to break, so it needs no lookup and no ECS call.
 */
export function needsClientCheck(fs: FileSystemFacts, policy: string | undefined, config: GuardConfig): boolean {
  if (config.tlsEnforcement !== "unless-clients-break" || isGone(fs)) return false;
  // EFS always reports the count; a description without it is treated as having mount targets (looked up).
  if (fs.numberOfMountTargets === 0) return false;
  return mergeTlsDeny(policy, fs.arn).status === "merged";
}

/** How many task definition ARNs an alert names before "and N more". */
const NAMED_CLIENTS = 10;

function withheldBecause(fs: FileSystemFacts, check: TlsClientCheck): string | undefined {
  if (check.clients.length > 0) {
    const named = check.clients.slice(0, NAMED_CLIENTS).map((c) => c.taskDefinitionArn);
    const more = check.clients.length > NAMED_CLIENTS ? ` and ${check.clients.length - NAMED_CLIENTS} more` : "";
    return `the TLS deny would cut off ${check.clients.length} active ECS task definition(s) that mount ${fs.fileSystemId} without TLS: ${named.join(", ")}${more}. Register revisions with transitEncryption ENABLED on their EFS volumes (or set tlsEnforcement "always")`;
  }
  if (check.truncated) {
    return `EFS Guard described only the first ${check.checked} active ECS task definitions (tlsClientCheckLimit) and cannot tell whether the others mount ${fs.fileSystemId} without TLS. Raise tlsClientCheckLimit or set tlsEnforcement "always"`;
  }
  return undefined;
}

export function evaluate(state: TlsState, config: GuardConfig, _clock: Clock): Finding {
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
  const summary = none
    ? `${label(fs)} has no file system policy: NFS clients may connect without TLS`
    : `the policy of ${label(fs)} does not deny non-TLS access for ${uncovered.join(", ")}`;
  const evidence = {
    hasPolicy: !none,
    uncoveredActions: uncovered,
    denyingStatements: merge.assessment.denyingStatements,
  };
  const held =
    config.tlsEnforcement === "unless-clients-break" && state.clients ? withheldBecause(fs, state.clients) : undefined;
  if (held) {
    return {
      ...base,
      verdict: "non-compliant",
      severity: "high",
      summary,
      evidence: {
        ...evidence,
        clientsWithoutTls: state.clients?.clients ?? [],
        taskDefinitionsChecked: state.clients?.checked ?? 0,
        checkTruncated: state.clients?.truncated ?? false,
      },
      ...tags,
      withheld: held,
    };
  }
  return {
    ...base,
    verdict: "non-compliant",
    severity: "high",
    summary,
    evidence,
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
