import type { BackupClient } from "@aws-sdk/client-backup";
import { describeBackupJob, startEfsBackup } from "../aws/backup.js";
import {
  executionName,
  type MigrationBase,
  type PerRegion,
  requireSource,
  requireTarget,
  type StepEvent,
  step,
} from "./deps.js";
import { BACKUP_SOURCE_TAG, MIGRATION_TAG, type MigrationState } from "./types.js";

export interface SafetyBackupDeps extends MigrationBase {
  backup: PerRegion<BackupClient>;
}

/**
 * Step 3, after approval: the safety backup into the region's vault, kept safetyBackupRetentionDays. Started, then
 * described in a loop by the state machine until it ends.
 */
export async function startSafetyBackup(event: StepEvent, deps: SafetyBackupDeps): Promise<MigrationState> {
  return step(async () => {
    const { state } = event;
    const source = requireSource(state);
    const target = requireTarget(state);
    const name = executionName(event.executionArn);
    const deleteAfterDays = deps.config.safetyBackupRetentionDays;
    const job = await startEfsBackup(deps.backup(target.region), {
      vaultName: target.vaultName,
      fileSystemArn: source.fileSystemArn,
      roleArn: deps.backupRoleArn,
      idempotencyToken: name,
      deleteAfterDays,
      tags: { [MIGRATION_TAG]: name, [BACKUP_SOURCE_TAG]: source.fileSystemId },
    });
    return { ...state, backup: { ...job, vaultName: target.vaultName, deleteAfterDays } };
  });
}

export async function describeSafetyBackup(event: StepEvent, deps: SafetyBackupDeps): Promise<MigrationState> {
  return step(async () => {
    const { state } = event;
    if (!state.backup) throw new Error("no safety backup was started");
    const backupJob = await describeBackupJob(deps.backup(requireTarget(state).region), state.backup.jobId);
    return { ...state, backupJob };
  });
}
