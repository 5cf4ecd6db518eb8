import {
  CancelKeyDeletionCommand,
  DescribeKeyCommand,
  type DescribeKeyCommandOutput,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListResourceTagsCommand,
} from "@aws-sdk/client-kms";
import { GuardError } from "../runtime/errors.js";
import { awsErrorCode, call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const kmsClient = perRegion((region) => new KMSClient(clientConfig(region)));

export interface KeyDescription {
  /** The bare key id. KMS writes are sent with it: AWS accepts id or ARN, and moto accepts only the id for some. */
  keyId: string;
  arn: string;
  account?: string;
  keyManager: string;
  keyState: string;
  keySpec?: string;
  origin?: string;
  multiRegionKeyType?: string;
  deletionDate?: string;
}

/**
 * Resolves what a caller sent (key id, key ARN, alias name or alias ARN) to the key. Undefined when the key does
 * not exist (any more): there is nothing left to guard.
 */
export async function describeKey(kms: KMSClient, keyId: string): Promise<KeyDescription | undefined> {
  let out: DescribeKeyCommandOutput;
  try {
    out = await call("kms:DescribeKey", () => kms.send(new DescribeKeyCommand({ KeyId: keyId })));
  } catch (error) {
    if (awsErrorCode((error as { cause?: unknown }).cause) === "NotFoundException") return undefined;
    throw error;
  }
  const m = out.KeyMetadata;
  if (!m?.KeyId || !m.Arn) return undefined;
  const key: KeyDescription = {
    keyId: m.KeyId,
    arn: m.Arn,
    keyManager: m.KeyManager ?? "CUSTOMER",
    keyState: m.KeyState ?? (m.Enabled ? "Enabled" : "Disabled"),
  };
  if (m.AWSAccountId) key.account = m.AWSAccountId;
  if (m.KeySpec) key.keySpec = m.KeySpec;
  if (m.Origin) key.origin = m.Origin;
  if (m.MultiRegionConfiguration?.MultiRegionKeyType)
    key.multiRegionKeyType = m.MultiRegionConfiguration.MultiRegionKeyType;
  if (m.DeletionDate) key.deletionDate = m.DeletionDate.toISOString();
  return key;
}

export interface RotationStatus {
  enabled: boolean;
  periodInDays?: number;
  nextRotationDate?: string;
}

export async function rotationStatus(kms: KMSClient, keyId: string): Promise<RotationStatus> {
  const out = await call("kms:GetKeyRotationStatus", () => kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId })));
  const status: RotationStatus = { enabled: out.KeyRotationEnabled === true };
  if (status.enabled && out.RotationPeriodInDays !== undefined) status.periodInDays = out.RotationPeriodInDays;
  if (status.enabled && out.NextRotationDate) status.nextRotationDate = out.NextRotationDate.toISOString();
  return status;
}

export async function keyTags(kms: KMSClient, keyId: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let Marker: string | undefined;
  do {
    const page = await call("kms:ListResourceTags", () =>
      kms.send(new ListResourceTagsCommand({ KeyId: keyId, Marker })),
    );
    for (const tag of page.Tags ?? []) if (tag.TagKey !== undefined) tags[tag.TagKey] = tag.TagValue ?? "";
    Marker = page.Truncated ? page.NextMarker : undefined;
  } while (Marker);
  return tags;
}

export type KeyWriteOutcome = { status: "done"; detail?: string } | { status: "already-done"; detail: string };

/**
 * Turns automatic rotation on with the given period (EnableKeyRotation also changes the period of a key that
 * already rotates). Re-reads first, so a duplicate delivery or a fix made meanwhile is "already done"; reads again
 * afterwards, because success is what KMS reports, not what was asked for.
 */
export async function enableKeyRotation(kms: KMSClient, keyId: string, periodInDays: number): Promise<KeyWriteOutcome> {
  const before = await rotationStatus(kms, keyId);
  if (before.enabled && (before.periodInDays ?? 365) <= periodInDays) {
    return { status: "already-done", detail: `rotation is already on every ${before.periodInDays ?? 365} days` };
  }
  await call("kms:EnableKeyRotation", () =>
    kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: periodInDays })),
  );
  const after = await rotationStatus(kms, keyId);
  if (!after.enabled || (after.periodInDays !== undefined && after.periodInDays !== periodInDays)) {
    throw new GuardError(
      "REMEDIATION_FAILED",
      `KMS did not confirm rotation of ${keyId}: enabled=${after.enabled}, period=${after.periodInDays ?? "unknown"}`,
    );
  }
  return { status: "done", ...(after.nextRotationDate ? { detail: `next rotation ${after.nextRotationDate}` } : {}) };
}

/**
 * Brings a key back into use: CancelKeyDeletion when it is pending deletion (KMS then leaves it Disabled), then
 * EnableKey. Each step is taken only if the re-read state needs it, so running it twice changes nothing.
 */
export async function restoreKey(kms: KMSClient, keyId: string): Promise<KeyWriteOutcome> {
  const key = await describeKey(kms, keyId);
  if (!key) throw new GuardError("REMEDIATION_FAILED", `key ${keyId} no longer exists: it cannot be restored`);
  if (key.keyState === "Enabled") return { status: "already-done", detail: `${key.keyId} is already enabled` };
  const steps: string[] = [];
  if (key.keyState === "PendingDeletion") {
    await call("kms:CancelKeyDeletion", () => kms.send(new CancelKeyDeletionCommand({ KeyId: key.keyId })));
    steps.push("deletion cancelled");
  }
  await call("kms:EnableKey", () => kms.send(new EnableKeyCommand({ KeyId: key.keyId })));
  steps.push("enabled");
  const after = await describeKey(kms, key.keyId);
  if (after?.keyState !== "Enabled") {
    throw new GuardError(
      "REMEDIATION_FAILED",
      `KMS did not confirm that ${key.keyId} is enabled: its state is ${after?.keyState ?? "unknown"}`,
    );
  }
  return { status: "done", detail: `was ${key.keyState}: ${steps.join(", ")}` };
}
