import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { BackupVault } from "aws-cdk-lib/aws-backup";
import { AccountRootPrincipal, AnyPrincipal, Effect, PolicyDocument, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { type IKey, Key } from "aws-cdk-lib/aws-kms";
import type { Construct } from "constructs";
import { MIGRATION_VAULT_NAME } from "../../shared/migration/types.js";

export interface MigrationVaultProps {
  /** A customer managed key of this region to use instead of creating one. */
  kmsKeyArn?: string;
  rotationPeriodInDays: number;
  /** The one role that may delete or shorten the safety backups; unset, nobody may. */
  safetyBackupAdminRoleArn?: string;
}

/** The alias of the key the stack creates in each region (the step roles' key statements name it). */
export const MIGRATION_KEY_ALIAS = "alias/efs-guard-migration";

/** What a vault access policy denies: deleting a recovery point, or shortening its life, which amounts to the same. */
export const PROTECTED_BACKUP_ACTIONS = [
  "backup:DeleteRecoveryPoint",
  "backup:UpdateRecoveryPointLifecycle",
  "backup:DeleteBackupVault",
] as const;

/**
 * The migration's key and backup vault in one region (the home stack's, and each forwarder stack's: keys and vaults
 * are regional, and a file system's key must be in its region). The vault, named MIGRATION_VAULT_NAME everywhere, is
 * encrypted with the key; since a vault's key cannot change after creation, the steps find the region's key through
 * it. Its access policy denies deleting or shortening the safety backups to every principal but
 * `safetyBackupAdminRoleArn` (a resource policy's Deny applies whatever identity policies allow, the account's
 * administrators included); AWS Backup's own lifecycle still deletes them after safetyBackupRetentionDays.
 */
export function migrationVault(scope: Construct, props: MigrationVaultProps): { key: IKey; vault: BackupVault } {
  // Created in the caller's scope with the ids "Key" and "Vault", so that the logical ids of a deployed stack's key
  // and vault stay what they were (a new logical id would try to create a second vault with the same fixed name).
  const key = props.kmsKeyArn ? Key.fromKeyArn(scope, "Key", props.kmsKeyArn) : createKey(scope, props);
  const deny = new PolicyStatement({
    sid: "OnlyTheSafetyBackupAdminMayDeleteOrShortenBackups",
    effect: Effect.DENY,
    principals: [new AnyPrincipal()],
    actions: [...PROTECTED_BACKUP_ACTIONS],
    resources: ["*"],
    ...(props.safetyBackupAdminRoleArn
      ? { conditions: { ArnNotEquals: { "aws:PrincipalArn": props.safetyBackupAdminRoleArn } } }
      : {}),
  });
  const vault = new BackupVault(scope, "Vault", {
    backupVaultName: MIGRATION_VAULT_NAME,
    encryptionKey: key,
    removalPolicy: RemovalPolicy.RETAIN,
    accessPolicy: new PolicyDocument({ statements: [deny] }),
  });
  return { key, vault };
}

function createKey(scope: Construct, props: MigrationVaultProps): Key {
  const stack = Stack.of(scope);
  const key = new Key(scope, "Key", {
    description: "EFS Guard: encrypts the file systems that replace unencrypted ones, and the migration backup vault",
    alias: MIGRATION_KEY_ALIAS,
    enableKeyRotation: true,
    rotationPeriod: Duration.days(props.rotationPeriodInDays),
    pendingWindow: Duration.days(30),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // EFS and AWS Backup use the key on behalf of principals of this account, only through those services.
  const viaEfsOrBackup = {
    "kms:CallerAccount": stack.account,
    "kms:ViaService": [`elasticfilesystem.${stack.region}.amazonaws.com`, `backup.${stack.region}.amazonaws.com`],
  };
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: "AllowEfsAndBackupThroughTheirServices",
      principals: [new AccountRootPrincipal()],
      actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      resources: ["*"],
      conditions: { StringEquals: viaEfsOrBackup },
    }),
  );
  // Grants only for the AWS resources those services create (a grant is a standing permission on the key; AWS KMS
  // Developer Guide, kms:GrantIsForAWSResource: true only when an integrated service asks).
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: "AllowGrantsForEfsAndBackupResources",
      principals: [new AccountRootPrincipal()],
      actions: ["kms:CreateGrant"],
      resources: ["*"],
      conditions: { StringEquals: viaEfsOrBackup, Bool: { "kms:GrantIsForAWSResource": "true" } },
    }),
  );
  return key;
}
