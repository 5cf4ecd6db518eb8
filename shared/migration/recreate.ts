import type { BackupClient } from "@aws-sdk/client-backup";
import type { EFSClient } from "@aws-sdk/client-efs";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { describeRestoreJob, startEfsRestore } from "../aws/backup.js";
import {
  createFileSystem,
  describeFileSystem,
  disableReplicationOverwriteProtection,
  replicateTo,
  replicationOf,
  tagFileSystem,
  tagsToRecord,
} from "../aws/efs-migration.js";
import {
  executionName,
  keyId,
  type MigrationBase,
  type PerRegion,
  refuse,
  replacementTags,
  requireSource,
  requireTarget,
  type StepEvent,
  step,
} from "./deps.js";
import { verdictOn } from "./ownership.js";
import { backupsOn } from "./settings.js";
import { ERRORS, MIGRATION_TAG, type MigrationState, MigrationStepError } from "./types.js";

export interface RecreateDeps extends MigrationBase {
  efs: PerRegion<EFSClient>;
  backup: PerRegion<BackupClient>;
  sfn: PerRegion<SFNClient>;
}

/**
 * Step 4: the encrypted file system, filled from the source (replication) or from the safety backup (restore).
 * Replication: the migration creates the replacement itself, encrypted with the region's key, with the source's
 * performance and throughput modes and One Zone placement and its tags in the creating request, then replicates
 * to it (an existing destination keeps its own settings; a new one would get EFS's defaults, and its tags only
 * afterwards). Restore: AWS Backup creates the file system from the safety backup (describeRestore adopts it).
 */
export async function recreate(event: StepEvent, deps: RecreateDeps): Promise<MigrationState> {
  return step(async () => {
    const { state } = event;
    const source = requireSource(state);
    const target = requireTarget(state);
    const name = executionName(event.executionArn);
    const strategy = deps.config.migrationStrategy;
    const kmsKeyArn = target.kmsKeyArn;
    if (strategy === "restore") {
      if (!state.backup?.recoveryPointArn)
        throw new Error("the restore strategy needs the safety backup's recovery point");
      const restoreJobId = await startEfsRestore(deps.backup(target.region), {
        recoveryPointArn: state.backup.recoveryPointArn,
        sourceFileSystemId: source.fileSystemId,
        kmsKeyArn,
        roleArn: deps.backupRoleArn,
        ...(source.performanceMode ? { performanceMode: source.performanceMode } : {}),
        creationToken: name,
      });
      return { ...state, destination: { strategy, kmsKeyArn, restoreJobId } };
    }
    const efs = deps.efs(target.region);
    let fileSystemId: string;
    let createdBy: string;
    if (state.resume) {
      ({ fileSystemId, createdBy } = state.resume);
    } else {
      const made = await createFileSystem(efs, {
        creationToken: name,
        kmsKeyArn,
        ...(source.performanceMode ? { performanceMode: source.performanceMode } : {}),
        ...(source.throughputMode ? { throughputMode: source.throughputMode } : {}),
        ...(source.provisionedThroughputInMibps !== undefined
          ? { provisionedThroughputInMibps: source.provisionedThroughputInMibps }
          : {}),
        ...(source.availabilityZoneName ? { availabilityZoneName: source.availabilityZoneName } : {}),
        backup: backupsOn(source.backupPolicy),
        tags: replacementTags(source, name),
      });
      fileSystemId = made.fileSystemId;
      createdBy = name;
      if (!made.created) {
        // The token is taken: a retry of this step (ours), or a decoy someone made with our token (refused).
        const existing = await describeFileSystem(efs, fileSystemId);
        const verdict = existing
          ? await verdictOn(deps, existing, source.fileSystemId, kmsKeyArn, event.executionArn, state.account)
          : { own: false as const, why: `${fileSystemId} cannot be described` };
        if (!verdict.own)
          refuse(`a file system with this run's creation token ${name} exists and is not ours: ${verdict.why}`);
      }
    }
    const replacement = await describeFileSystem(efs, fileSystemId);
    if (!replacement) throw new Error(`the new file system ${fileSystemId} does not exist`);
    if (replacement.LifeCycleState !== "available") {
      throw new MigrationStepError(
        ERRORS.notReady,
        `the new file system ${fileSystemId} is ${replacement.LifeCycleState}`,
      );
    }
    const replication = await replicationOf(efs, source.fileSystemId);
    let replicationCreated = false;
    if (replication) {
      const to = replication.Destinations?.[0]?.FileSystemId;
      if (replication.SourceFileSystemId !== source.fileSystemId || to !== fileSystemId) {
        refuse(
          `${source.fileSystemId} is now part of another replication (to ${to ?? "?"}), set up after the capture; EFS Guard leaves it as it is`,
        );
      }
    } else {
      if (replacement.FileSystemProtection?.ReplicationOverwriteProtection === "ENABLED") {
        await disableReplicationOverwriteProtection(efs, fileSystemId);
      }
      await replicateTo(efs, source.fileSystemId, { fileSystemId, region: target.region });
      replicationCreated = true;
    }
    return {
      ...state,
      destination: { strategy, kmsKeyArn, fileSystemId, createdBy, replicationCreated },
    };
  });
}

/**
 * Restore strategy: the restore job's state, polled by the state machine. When AWS Backup reports it COMPLETED, the
 * file system it created is tagged as the migration's before anything else is written to it. The proof that it is
 * this run's is AWS Backup's record: CreatedResourceArn of the job this run started (its id is in the state), of
 * this run's recovery point, encrypted with the key. (The restore metadata's CreationToken is this run's name too,
 * but whether AWS Backup passes it on to the file system is not documented, so it is not required.)
 */
export async function describeRestore(event: StepEvent, deps: RecreateDeps): Promise<MigrationState> {
  return step(async () => {
    const { state } = event;
    const source = requireSource(state);
    const target = requireTarget(state);
    const d = state.destination;
    if (!d?.restoreJobId) throw new Error("no restore job was started");
    const restoreJob = await describeRestoreJob(deps.backup(target.region), d.restoreJobId);
    if (restoreJob.Status !== "COMPLETED") return { ...state, restoreJob };
    const name = executionName(event.executionArn);
    const arn = restoreJob.CreatedResourceArn;
    if (!arn) throw new Error(`restore job ${d.restoreJobId} reported no created file system`);
    if (restoreJob.RecoveryPointArn && restoreJob.RecoveryPointArn !== state.backup?.recoveryPointArn) {
      refuse(`restore job ${d.restoreJobId} restored ${restoreJob.RecoveryPointArn}, not this run's safety backup`);
    }
    const fileSystemId = arn.split("/").at(-1)!;
    const efs = deps.efs(target.region);
    const restored = await describeFileSystem(efs, fileSystemId);
    if (!restored) throw new Error(`the restored file system ${fileSystemId} does not exist`);
    if (!restored.Encrypted || keyId(restored.KmsKeyId) !== keyId(target.kmsKeyArn)) {
      refuse(`the restored file system ${fileSystemId} is not encrypted with the migration key ${target.kmsKeyArn}`);
    }
    const tags = tagsToRecord(restored.Tags);
    if (tags[MIGRATION_TAG] !== name) await tagFileSystem(efs, fileSystemId, replacementTags(source, name));
    const created = restoreJob.CreationDate ? new Date(restoreJob.CreationDate) : undefined;
    const stamp =
      created && !Number.isNaN(created.getTime()) ? created.toISOString().replace(/:/g, "-") : "<timestamp>";
    return {
      ...state,
      restoreJob,
      destination: { ...d, fileSystemId, createdBy: name, restoreDirectory: `aws-backup-restore_${stamp}` },
    };
  });
}
