import {
  BackupClient,
  DescribeBackupJobCommand,
  DescribeBackupVaultCommand,
  DescribeRestoreJobCommand,
  StartBackupJobCommand,
  StartRestoreJobCommand,
} from "@aws-sdk/client-backup";
import { awsErrorCode, call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const backupClient = perRegion((region) => new BackupClient(clientConfig(region)));

/** A vault's name, ARN and the key that encrypts it; undefined when the vault does not exist. */
export async function describeVault(
  backup: BackupClient,
  vaultName: string,
): Promise<{ vaultName: string; vaultArn: string; encryptionKeyArn?: string } | undefined> {
  try {
    const out = await call("backup:DescribeBackupVault", () =>
      backup.send(new DescribeBackupVaultCommand({ BackupVaultName: vaultName })),
    );
    return {
      vaultName: out.BackupVaultName ?? vaultName,
      vaultArn: out.BackupVaultArn!,
      ...(out.EncryptionKeyArn ? { encryptionKeyArn: out.EncryptionKeyArn } : {}),
    };
  } catch (error) {
    if (awsErrorCode((error as { cause?: unknown }).cause ?? error) === "ResourceNotFoundException") return undefined;
    throw error;
  }
}

/**
 * An on-demand backup of an EFS file system into the vault, kept `deleteAfterDays` (the recovery point's lifecycle).
 * The idempotency token makes a retried step get the same job instead of a second backup.
 */
export async function startEfsBackup(
  backup: BackupClient,
  input: {
    vaultName: string;
    fileSystemArn: string;
    roleArn: string;
    idempotencyToken: string;
    deleteAfterDays: number;
    tags: Record<string, string>;
  },
): Promise<{ jobId: string; recoveryPointArn: string }> {
  const out = await call("backup:StartBackupJob", () =>
    backup.send(
      new StartBackupJobCommand({
        BackupVaultName: input.vaultName,
        ResourceArn: input.fileSystemArn,
        IamRoleArn: input.roleArn,
        IdempotencyToken: input.idempotencyToken,
        Lifecycle: { DeleteAfterDays: input.deleteAfterDays },
        RecoveryPointTags: input.tags,
      }),
    ),
  );
  if (!out.BackupJobId || !out.RecoveryPointArn) throw new Error("StartBackupJob returned no job id or recovery point");
  return { jobId: out.BackupJobId, recoveryPointArn: out.RecoveryPointArn };
}

export async function describeBackupJob(
  backup: BackupClient,
  jobId: string,
): Promise<{ State?: string; StatusMessage?: string; CompletionDate?: string }> {
  const out = await call("backup:DescribeBackupJob", () =>
    backup.send(new DescribeBackupJobCommand({ BackupJobId: jobId })),
  );
  return {
    ...(out.State ? { State: out.State } : {}),
    ...(out.StatusMessage ? { StatusMessage: out.StatusMessage } : {}),
    ...(out.CompletionDate ? { CompletionDate: out.CompletionDate.toISOString() } : {}),
  };
}

export async function describeRestoreJob(
  backup: BackupClient,
  jobId: string,
): Promise<{
  Status?: string;
  StatusMessage?: string;
  CreatedResourceArn?: string;
  CreationDate?: string;
  RecoveryPointArn?: string;
}> {
  const out = await call("backup:DescribeRestoreJob", () =>
    backup.send(new DescribeRestoreJobCommand({ RestoreJobId: jobId })),
  );
  return {
    ...(out.Status ? { Status: out.Status } : {}),
    ...(out.StatusMessage ? { StatusMessage: out.StatusMessage } : {}),
    ...(out.CreatedResourceArn ? { CreatedResourceArn: out.CreatedResourceArn } : {}),
    ...(out.CreationDate ? { CreationDate: out.CreationDate.toISOString() } : {}),
    ...(out.RecoveryPointArn ? { RecoveryPointArn: out.RecoveryPointArn } : {}),
  };
}

/**
 * Restores an EFS recovery point to a new file system encrypted with the key. The idempotency token makes a
 * retried step return the same restore job instead of starting a second one.
 */
export async function startEfsRestore(
  backup: BackupClient,
  input: {
    recoveryPointArn: string;
    sourceFileSystemId: string;
    kmsKeyArn: string;
    roleArn: string;
    performanceMode?: string;
    creationToken: string;
  },
): Promise<string> {
  const out = await call("backup:StartRestoreJob", () =>
    backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: input.recoveryPointArn,
        IamRoleArn: input.roleArn,
        IdempotencyToken: input.creationToken,
        ResourceType: "EFS",
        Metadata: {
          "file-system-id": input.sourceFileSystemId,
          newFileSystem: "true",
          Encrypted: "true",
          KmsKeyId: input.kmsKeyArn,
          PerformanceMode: input.performanceMode ?? "generalPurpose",
          CreationToken: input.creationToken,
        },
      }),
    ),
  );
  if (!out.RestoreJobId) throw new Error("StartRestoreJob returned no job id");
  return out.RestoreJobId;
}
