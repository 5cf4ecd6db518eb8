import type { GuardConfig } from "../config/schema.js";
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
}

/** True when the evaluation needs DescribeKey on the file system's key. */
export function needsKey(fs: FileSystemFacts, config: Pick<GuardConfig, "requireCustomerManagedKey">): boolean {
  return !isGone(fs) && fs.encrypted === true && config.requireCustomerManagedKey;
}

export function evaluate(state: EncryptionState, config: GuardConfig, _clock: Clock): Finding {
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
