import type { GuardConfig } from "../config/schema.js";
import { RECORD_TAG, type ReplacementFacts } from "../migration/record.js";
import { REPLACEMENT_TAG } from "../migration/types.js";
import type { Clock } from "../runtime/clock.js";
import { type FileSystemFacts, fileSystemResource, isGone, label, notApplicable } from "./file-system.js";
import type { Finding, Severity } from "./types.js";

/**
 * efs-encrypted-at-rest: the file system is encrypted at rest and, while requireCustomerManagedKey is on (the
 * default), with a customer managed KMS key rather than the AWS managed aws/elasticfilesystem key (whose policy
 * the account cannot restrict or audit the same way). Encryption cannot be changed on an existing file system:
 * the remediation starts the migration workflow, which copies the data to a new encrypted file system after an
 * approval and never touches the source.
 */
export const CONTROL = "efs-encrypted-at-rest" as const;

/**
 * What DescribeKey says about the key, or why it could not be read. `crossAccount`: the key belongs to another
 * account (`account`), known from its ARN without DescribeKey: such a key is customer managed.
 */
export type KeyFacts =
  | { keyManager: string; keyState?: string; arn?: string; account?: string; crossAccount?: boolean }
  | { error: string };

export interface EncryptionState {
  fileSystem: FileSystemFacts;
  /** Read only when the file system is encrypted and the key manager matters. */
  key?: KeyFacts;
  /** Read only when the file system carries efs-guard:replacement (shared/migration/record.ts). */
  replacement?: ReplacementFacts;
}

/** True when the evaluation needs DescribeKey on the file system's key. */
export function needsKey(fs: FileSystemFacts, config: Pick<GuardConfig, "requireCustomerManagedKey">): boolean {
  return !isGone(fs) && fs.encrypted === true && config.requireCustomerManagedKey;
}

export function evaluate(state: EncryptionState, config: GuardConfig, clock: Clock): Finding {
  const finding = evaluateEncryption(state, config, clock);
  if (finding.verdict !== "non-compliant" || !state.replacement) return finding;
  return withReplacement(finding, state.fileSystem, state.replacement);
}

/**
 * A source that fails the control but carries efs-guard:replacement: migrated and awaiting cut-over when the
 * migration's record verifies and the replacement is there, encrypted; otherwise an alert that the tag does not
 * hold (set by hand, forged, or the replacement gone), never a silent end of the migration and never a new one
 * (the capture step refuses a tagged source): the operator removes the tag or finishes the cut-over.
 */
function withReplacement(finding: Finding, fs: FileSystemFacts, r: ReplacementFacts): Finding {
  const { plan: _plan, ...rest } = finding;
  const evidence = {
    ...finding.evidence,
    replacement: r.id,
    record: r.record,
    ...(r.detail ? { recordDetail: r.detail } : {}),
  };
  const untag = `aws efs untag-resource --resource-id ${fs.fileSystemId} --tag-keys ${REPLACEMENT_TAG} ${RECORD_TAG} --region ${fs.region}`;
  if (r.record === "valid" && r.replacement?.encrypted && r.replacement.lifeCycleState !== "error") {
    return {
      ...rest,
      severity: "low",
      summary: `${label(fs)} is migrated: its encrypted replacement ${r.id} awaits cut-over (${finding.summary})`,
      evidence,
      pending: { kind: "cut-over", replacement: r.id },
    };
  }
  if (r.record === "valid") {
    return {
      ...rest,
      severity: "high",
      summary: `${label(fs)} was migrated to ${r.id}, but ${r.replacement ? `${r.id} is not encrypted` : `${r.id} no longer exists`}: remove the tags (${untag}), then efs-guard migrate ${fs.fileSystemId}`,
      evidence,
    };
  }
  const why =
    r.record === "missing"
      ? `carries no ${RECORD_TAG}`
      : r.record === "invalid"
        ? `has a ${RECORD_TAG} that does not verify for this pair`
        : `could not be verified (${r.detail ?? "unknown"})`;
  return {
    ...rest,
    severity: r.record === "unverifiable" ? "medium" : "high",
    summary: `${label(fs)} fails ${CONTROL} and is tagged ${REPLACEMENT_TAG}=${r.id}, but the tag ${why}: it was not written by the EFS Guard migration, and it keeps the migration from running. If nobody you know set it, someone is switching the control off: remove it (${untag})`,
    evidence,
  };
}

function evaluateEncryption(state: EncryptionState, config: GuardConfig, _clock: Clock): Finding {
  const fs = state.fileSystem;
  if (isGone(fs)) return notApplicable(CONTROL, fs);
  const base = { control: CONTROL, resource: fileSystemResource(fs) };
  const tags = fs.tags ? { tags: fs.tags } : {};
  const migrate = (reason: string, severity: Severity) => ({
    kind: "start-migration" as const,
    fileSystemId: fs.fileSystemId,
    reason,
    severity,
    describe: `start the migration workflow for ${fs.fileSystemId}: approval first, then a safety backup and a copy encrypted with the configured customer managed key (the source is never changed)`,
    done: `started the migration workflow for ${fs.fileSystemId}; it asks for approval before any backup or copy`,
    undo: `Reject the approval (efs-guard reject) or stop the execution efs-guard-migrate-${fs.fileSystemId} in Step Functions; the source file system is never modified.`,
  });
  if (fs.encrypted !== true) {
    return {
      ...base,
      verdict: "non-compliant",
      severity: "critical",
      summary: `${label(fs)} is not encrypted at rest`,
      evidence: { encrypted: false },
      ...tags,
      plan: migrate("the file system is not encrypted at rest", "critical"),
    };
  }
  const evidence: Record<string, unknown> = { encrypted: true, kmsKeyId: fs.kmsKeyId };
  if (!config.requireCustomerManagedKey) {
    return {
      ...base,
      verdict: "compliant",
      severity: "info",
      summary: `${label(fs)} is encrypted at rest`,
      evidence,
    };
  }
  const key = state.key;
  if (key === undefined || "error" in key) {
    // Without DescribeKey the key manager is unknown: alert, never start a migration on a guess.
    return {
      ...base,
      verdict: "non-compliant",
      severity: "medium",
      summary: `${label(fs)} is encrypted, but whether its key ${fs.kmsKeyId ?? "(unknown)"} is customer managed cannot be verified${key ? `: ${key.error}` : ""}`,
      evidence: { ...evidence, keyError: key?.error ?? "key not read" },
      ...tags,
    };
  }
  evidence.keyManager = key.keyManager;
  if (key.keyState) evidence.keyState = key.keyState;
  if (key.crossAccount && key.account) evidence.keyAccount = key.account;
  if (key.keyManager === "AWS") {
    return {
      ...base,
      verdict: "non-compliant",
      severity: "high",
      summary: `${label(fs)} is encrypted with the AWS managed key aws/elasticfilesystem, not a customer managed key`,
      evidence,
      ...tags,
      plan: migrate("the file system is encrypted with the AWS managed key, not a customer managed key", "high"),
    };
  }
  return {
    ...base,
    verdict: "compliant",
    severity: "info",
    summary: `${label(fs)} is encrypted at rest with a customer managed key${key.crossAccount && key.account ? ` of account ${key.account}` : ""}`,
    evidence,
  };
}
