import type { EFSClient } from "@aws-sdk/client-efs";
import { GenerateMacCommand, type KMSClient, VerifyMacCommand } from "@aws-sdk/client-kms";
import { type FileSystemFacts, isGone } from "../controls/file-system.js";
import { RECORD_MAC_ALGORITHM, RECORD_TAG, type ReplacementFacts, recordMessage } from "../migration/record.js";
import { REPLACEMENT_TAG } from "../migration/types.js";
import { AwsCallError } from "../runtime/errors.js";
import { describeFileSystem } from "./efs.js";
import { call } from "./errors.js";

/** The record tag's value for a source and its replacement (the migration's surroundings step writes it). */
export async function signRecord(kms: KMSClient, keyArn: string, sourceArn: string, replacementId: string) {
  const out = await call("kms:GenerateMac", () =>
    kms.send(
      new GenerateMacCommand({
        KeyId: keyArn,
        MacAlgorithm: RECORD_MAC_ALGORITHM,
        Message: new TextEncoder().encode(recordMessage(sourceArn, replacementId)),
      }),
    ),
  );
  return Buffer.from(out.Mac!).toString("base64");
}

/**
 * Reads what backs a source's `efs-guard:replacement` tag: the record tag verified with KMS VerifyMac (an invalid
 * MAC is KMSInvalidMacException), and the replacement's own state. Retryable failures are thrown.
 */
export async function replacementFacts(
  clients: { efs: EFSClient; kms: KMSClient },
  recordKeyArn: string | undefined,
  source: FileSystemFacts,
): Promise<ReplacementFacts | undefined> {
  const id = source.tags?.[REPLACEMENT_TAG];
  if (!id) return undefined;
  const facts: ReplacementFacts = { id, record: "missing" };
  const mac = source.tags?.[RECORD_TAG];
  if (mac && !recordKeyArn) {
    facts.record = "unverifiable";
    facts.detail = "the migration record key is not configured for this function";
  } else if (mac && recordKeyArn) {
    const sourceArn = source.arn ?? "";
    try {
      const out = await call("kms:VerifyMac", () =>
        clients.kms.send(
          new VerifyMacCommand({
            KeyId: recordKeyArn,
            MacAlgorithm: RECORD_MAC_ALGORITHM,
            Message: new TextEncoder().encode(recordMessage(sourceArn, id)),
            Mac: Buffer.from(mac, "base64"),
          }),
        ),
      );
      facts.record = out.MacValid ? "valid" : "invalid";
    } catch (error) {
      if (!(error instanceof AwsCallError)) throw error;
      if (error.awsCode === "KMSInvalidMacException") facts.record = "invalid";
      else if (error.retryable) throw error;
      else {
        facts.record = "unverifiable";
        facts.detail = `${error.awsCode}: ${error.message}`;
      }
    }
  }
  const replacement = await describeFileSystem(clients.efs, id, source.region).catch((error) => {
    // A malformed id in a hand-written tag is as good as a missing file system.
    if (error instanceof AwsCallError && !error.retryable) return undefined;
    throw error;
  });
  if (replacement && !isGone(replacement)) {
    facts.replacement = {
      lifeCycleState: replacement.lifeCycleState,
      encrypted: replacement.encrypted === true,
      ...(replacement.kmsKeyId ? { kmsKeyId: replacement.kmsKeyId } : {}),
    };
  }
  return facts;
}
