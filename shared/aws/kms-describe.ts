import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import type { KeyFacts } from "../controls/encrypted-at-rest.js";
import { AwsCallError } from "../runtime/errors.js";
import { call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

/** The file-system guard's KMS client: DescribeKey, and VerifyMac on the migration's record key. */
export const kmsDescribeClient = perRegion((region) => new KMSClient(clientConfig(region)));

/**
 * Who manages the key that encrypts a file system (DescribeKey KeyManager: AWS or CUSTOMER). A key the guard may
 * not describe (AccessDenied, NotFound) is reported as an error, not guessed: the control then alerts instead of
 * starting a migration. Retryable failures are thrown so the event is retried.
 */
export async function describeKeyFacts(kms: KMSClient, keyId: string): Promise<KeyFacts> {
  try {
    const out = await call("kms:DescribeKey", () => kms.send(new DescribeKeyCommand({ KeyId: keyId })));
    const meta = out.KeyMetadata;
    if (!meta?.KeyManager) return { error: "DescribeKey returned no KeyManager" };
    return {
      keyManager: meta.KeyManager,
      ...(meta.KeyState ? { keyState: meta.KeyState } : {}),
      ...(meta.Arn ? { arn: meta.Arn } : {}),
    };
  } catch (error) {
    if (error instanceof AwsCallError && !error.retryable) return { error: `${error.awsCode}: ${error.message}` };
    throw error;
  }
}
