import { BackupClient, StartRestoreJobCommand } from "@aws-sdk/client-backup";
import { call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const backupClient = perRegion((region) => new BackupClient(clientConfig(region)));

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
