import { BackupClient, CreateBackupVaultCommand, PutBackupVaultAccessPolicyCommand } from "@aws-sdk/client-backup";
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { resolveIntrinsics } from "./lambda-host.js";
import type { CfnTemplate } from "./template.js";

type Resolved = { ref: unknown; atts: Record<string, unknown> };

/** A backup vault as the template declares it: name, encryption key, and its access policy (a resource policy). */
export async function createVault(
  backup: BackupClient,
  vault: { name: string; encryptionKeyArn?: string; accessPolicy?: unknown },
): Promise<string> {
  const out = await backup.send(
    new CreateBackupVaultCommand({
      BackupVaultName: vault.name,
      ...(vault.encryptionKeyArn ? { EncryptionKeyArn: vault.encryptionKeyArn } : {}),
    }),
  );
  if (vault.accessPolicy) {
    await backup.send(
      new PutBackupVaultAccessPolicyCommand({
        BackupVaultName: vault.name,
        Policy: typeof vault.accessPolicy === "string" ? vault.accessPolicy : JSON.stringify(vault.accessPolicy),
      }),
    );
  }
  return out.BackupVaultArn!;
}

/**
 * Deploys what a forwarder stack holds for the migration into its region of the emulator: its KMS key (with its
 * alias) and its backup vault (encrypted with that key, with the access policy). The forwarding rules themselves are
 * not needed: the tests deliver a forwarded region's events to the home functions directly. Returns the key's ARN.
 */
export async function deployRegionalMigration(template: CfnTemplate, region: string): Promise<{ keyArn?: string }> {
  const kms = new KMSClient({ region });
  const backup = new BackupClient({ region });
  const resolved = new Map<string, Resolved>();
  const resolve = (v: unknown) => resolveIntrinsics(v, resolved, region);
  const resources = Object.entries(template.Resources);
  let keyArn: string | undefined;
  for (const [id, r] of resources) {
    if (r.Type !== "AWS::KMS::Key") continue;
    if (!id.startsWith("Migration")) continue;
    const key = await kms.send(new CreateKeyCommand({ Description: id }));
    keyArn = key.KeyMetadata!.Arn!;
    resolved.set(id, { ref: key.KeyMetadata!.KeyId, atts: { Arn: keyArn, KeyId: key.KeyMetadata!.KeyId } });
  }
  for (const [, r] of resources) {
    if (r.Type !== "AWS::KMS::Alias") continue;
    const target = resolve(r.Properties.TargetKeyId);
    if (typeof target !== "string") continue;
    await kms.send(new CreateAliasCommand({ AliasName: String(r.Properties.AliasName), TargetKeyId: target }));
  }
  for (const [id, r] of resources) {
    if (r.Type !== "AWS::Backup::BackupVault") continue;
    await createVault(backup, {
      name: String(resolve(r.Properties.BackupVaultName ?? id)),
      ...(r.Properties.EncryptionKeyArn ? { encryptionKeyArn: resolve(r.Properties.EncryptionKeyArn) as string } : {}),
      ...(r.Properties.AccessPolicy ? { accessPolicy: resolve(r.Properties.AccessPolicy) } : {}),
    });
  }
  return keyArn ? { keyArn } : {};
}
