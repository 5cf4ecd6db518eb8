import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import { type FileSystemFacts, fileSystemResource, isGone, label, notApplicable } from "./file-system.js";
import type { Finding } from "./types.js";

/**
 * efs-backup-enabled: automatic backups (the EFS backup policy, AWS Backup's default plan) are on. ENABLING counts
 * as on: it is what AWS reports right after PutBackupPolicy ENABLED, including after EFS Guard's own call.
 */
export const CONTROL = "efs-backup-enabled" as const;

export interface BackupState {
  fileSystem: FileSystemFacts;
  /** The backup policy status; undefined when the file system has no backup policy (PolicyNotFound). */
  status: string | undefined;
}

const ON = new Set(["ENABLED", "ENABLING"]);

export function evaluate(state: BackupState, _config: GuardConfig, _clock: Clock): Finding {
  const fs = state.fileSystem;
  if (isGone(fs)) return notApplicable(CONTROL, fs);
  const base = { control: CONTROL, resource: fileSystemResource(fs) };
  const status = state.status ?? "none";
  if (state.status !== undefined && ON.has(state.status)) {
    return {
      ...base,
      verdict: "compliant",
      severity: "info",
      summary: `automatic backups are ${state.status.toLowerCase()} on ${label(fs)}`,
      evidence: { backupPolicy: status },
    };
  }
  return {
    ...base,
    verdict: "non-compliant",
    severity: "medium",
    summary:
      state.status === undefined
        ? `${label(fs)} has no backup policy: automatic backups are off`
        : `automatic backups are ${status.toLowerCase()} on ${label(fs)}`,
    evidence: { backupPolicy: status },
    ...(fs.tags ? { tags: fs.tags } : {}),
    plan: {
      kind: "put-backup-policy",
      fileSystemId: fs.fileSystemId,
      describe: `turn on automatic backups of ${fs.fileSystemId} (PutBackupPolicy ENABLED)`,
      done: `turned on automatic backups of ${fs.fileSystemId} (PutBackupPolicy ENABLED)`,
      undo: `To undo: aws efs put-backup-policy --file-system-id ${fs.fileSystemId} --backup-policy Status=DISABLED, and exempt the file system, or EFS Guard will turn backups on again.`,
    },
  };
}
