import {
  CancelKeyDeletionCommand,
  DescribeKeyCommand,
  type DescribeKeyCommandOutput,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListResourceTagsCommand,
} from "@aws-sdk/client-kms";
import { AwsCallError } from "../runtime/errors.js";
import { awsErrorCode, call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const kmsClient = perRegion((region) => new KMSClient(clientConfig(region)));

/**
 * Answers that mean the guard may not read the key (its key policy, or another account's, does not grant it), as
 * opposed to a failure a retry can fix: the key is reported as not assessable instead of failing the event.
 */
const UNREADABLE = new Set(["AccessDeniedException", "AccessDenied"]);

export function unreadable(error: unknown): string | undefined {
  if (error instanceof AwsCallError && !error.retryable && UNREADABLE.has(error.awsCode)) {
    return `KMS refuses ${error.operation.replace("kms:", "")} to EFS Guard (${error.awsCode}): the key policy must grant it to the guard's roles`;
  }
  return undefined;
}

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
export function describeKey(kms: KMSClient, keyId: string): Promise<KeyDescription | undefined> {
  return keyDescriptionOf(call("kms:DescribeKey", () => kms.send(new DescribeKeyCommand({ KeyId: keyId }))));
}

/** The key from a DescribeKey answer (the sweep's is shared: shared/aws/inventory.ts); undefined when not found. */
export async function keyDescriptionOf(read: Promise<DescribeKeyCommandOutput>): Promise<KeyDescription | undefined> {
  let out: DescribeKeyCommandOutput;
  try {
    out = await read;
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

/**
 * The key policy, as KMS holds it (GetKeyPolicy; "default" is the only policy name KMS has). The text of a
 * PutKeyPolicy event is the caller's: this read is what the key policy control judges. Not a cross-account
 * operation (AWS KMS API Reference, GetKeyPolicy: "Cross-account use: No").
 */
export async function keyPolicy(kms: KMSClient, keyId: string): Promise<string | undefined> {
  const out = await call("kms:GetKeyPolicy", () =>
    kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" })),
  );
  return out.Policy;
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
 * KMS is eventually consistent ("AWS KMS eventual consistency", KMS developer guide): a change usually propagates
 * within seconds, and meanwhile a call can still be judged on the old state. The case the guard meets is its own
 * EnableKey right after its CancelKeyDeletion, refused because the key still looks pending deletion; a rotation
 * change on a key someone has just enabled is another. Such a refusal (KMSInvalidStateException, or
 * DisabledException for a key that still looks disabled) is retried here after these waits (3.75 s in all, well
 * inside the function's timeout), then reported as retryable: the event comes back and is evaluated afresh. A
 * state that really forbids the write is then seen by the evaluation, which plans something else or nothing.
 */
export const TRANSITION_WAITS_MS = [250, 500, 1000, 2000];
const TRANSITION_CODES = new Set(["KMSInvalidStateException", "DisabledException"]);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function write<T>(operation: string, send: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call(operation, send);
    } catch (error) {
      if (!(error instanceof AwsCallError) || !TRANSITION_CODES.has(error.awsCode)) throw error;
      const wait = TRANSITION_WAITS_MS[attempt];
      if (wait === undefined) {
        const message = (error.cause as Error | undefined)?.message ?? error.message;
        throw new AwsCallError(operation, error.awsCode, `${message} (still refused after ${attempt + 1} attempts)`, {
          cause: error.cause,
          retryable: true,
        });
      }
      await pause(wait);
    }
  }
}

/**
 * Turns automatic rotation on with the given period (EnableKeyRotation also changes the period of a key that
 * already rotates). The plan comes from the evaluation's GetKeyRotationStatus, milliseconds earlier; no second read
 * before or after: right after a write KMS may still show the old status, so a confirming read would report a
 * failure that did not happen, and a read just before the write is no fresher than the evaluation's. KMS's success
 * answer is the result.
 */
export async function enableKeyRotation(kms: KMSClient, keyId: string, periodInDays: number): Promise<KeyWriteOutcome> {
  await write("kms:EnableKeyRotation", () =>
    kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: periodInDays })),
  );
  return { status: "done" };
}

/**
 * Brings a key back into use from the state the evaluation saw: CancelKeyDeletion when it was pending deletion (KMS
 * then leaves it Disabled), then EnableKey. Each answer is the result (no DescribeKey around the writes, for the
 * reason above); an EnableKey that KMS still refuses because the cancellation has not propagated yet is retried.
 * A duplicate delivery is evaluated again first and finds the key enabled, so nothing is written twice.
 */
export async function restoreKey(kms: KMSClient, keyId: string, fromState: string): Promise<KeyWriteOutcome> {
  const steps: string[] = [];
  if (fromState === "PendingDeletion") {
    await write("kms:CancelKeyDeletion", () => kms.send(new CancelKeyDeletionCommand({ KeyId: keyId })));
    steps.push("deletion cancelled");
  }
  await write("kms:EnableKey", () => kms.send(new EnableKeyCommand({ KeyId: keyId })));
  steps.push("enabled");
  return { status: "done", detail: `was ${fromState}: ${steps.join(", ")}` };
}
