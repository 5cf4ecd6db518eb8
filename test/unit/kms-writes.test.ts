import type { KMSClient } from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { describeKey, enableKeyRotation, restoreKey } from "../../shared/aws/kms.js";
import { AwsCallError, GuardError } from "../../shared/runtime/errors.js";

/** A KMS client that answers each command by name; only for the error paths the emulator cannot produce. */
function fakeKms(answers: Record<string, (input: any) => unknown>): KMSClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    send: async (command: any) => {
      const name = command.constructor.name.replace(/Command$/, "");
      calls.push(name);
      const answer = answers[name];
      if (!answer) throw new Error(`unexpected ${name}`);
      return answer(command.input);
    },
  } as unknown as KMSClient & { calls: string[] };
}

const awsError = (name: string, status = 400) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe("KMS writes never report what KMS did not confirm", () => {
  it("EnableKeyRotation that KMS does not confirm is a failure, not a success", async () => {
    const kms = fakeKms({
      GetKeyRotationStatus: () => ({ KeyRotationEnabled: false }),
      EnableKeyRotation: () => ({}),
    });
    await expect(enableKeyRotation(kms, "k", 365)).rejects.toBeInstanceOf(GuardError);
    expect(kms.calls).toEqual(["GetKeyRotationStatus", "EnableKeyRotation", "GetKeyRotationStatus"]);
  });

  it("a key already rotating often enough is already done, without a write", async () => {
    const kms = fakeKms({ GetKeyRotationStatus: () => ({ KeyRotationEnabled: true, RotationPeriodInDays: 180 }) });
    expect(await enableKeyRotation(kms, "k", 365)).toMatchObject({ status: "already-done" });
    expect(kms.calls).toEqual(["GetKeyRotationStatus"]);
  });

  it("a key still disabled after EnableKey is a failure", async () => {
    const kms = fakeKms({
      DescribeKey: () => ({ KeyMetadata: { KeyId: "k", Arn: "arn:k", KeyState: "Disabled", KeyManager: "CUSTOMER" } }),
      EnableKey: () => ({}),
    });
    await expect(restoreKey(kms, "k")).rejects.toThrow(/did not confirm that k is enabled: its state is Disabled/);
  });

  it("a throttled DescribeKey is a retryable AWS error; a missing key is undefined", async () => {
    const throttled = fakeKms({
      DescribeKey: () => {
        throw awsError("ThrottlingException");
      },
    });
    const error = await describeKey(throttled, "k").catch((e) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ awsCode: "ThrottlingException", retryable: true, operation: "kms:DescribeKey" });
    const missing = fakeKms({
      DescribeKey: () => {
        throw awsError("NotFoundException");
      },
    });
    expect(await describeKey(missing, "k")).toBeUndefined();
  });

  it("a failed CancelKeyDeletion stops before EnableKey and says which call failed", async () => {
    const kms = fakeKms({
      DescribeKey: () => ({ KeyMetadata: { KeyId: "k", Arn: "arn:k", KeyState: "PendingDeletion" } }),
      CancelKeyDeletion: () => {
        throw awsError("AccessDeniedException");
      },
    });
    await expect(restoreKey(kms, "k")).rejects.toMatchObject({
      operation: "kms:CancelKeyDeletion",
      awsCode: "AccessDeniedException",
      retryable: false,
    });
    expect(kms.calls).toEqual(["DescribeKey", "CancelKeyDeletion"]);
  });
});
