import type { KMSClient } from "@aws-sdk/client-kms";
import { afterEach, describe, expect, it, vi } from "vitest";
import { describeKey, enableKeyRotation, restoreKey } from "../../shared/aws/kms.js";
import { AwsCallError } from "../../shared/runtime/errors.js";

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

describe("KMS writes: the answer is the result; a state still in transition is waited for, then retried later", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("EnableKeyRotation is one call, done on KMS's success answer (no read before or after)", async () => {
    const kms = fakeKms({ EnableKeyRotation: (input) => (input.RotationPeriodInDays === 180 ? {} : undefined) });
    expect(await enableKeyRotation(kms, "k", 180)).toEqual({ status: "done" });
    expect(kms.calls).toEqual(["EnableKeyRotation"]);
  });

  it("a write refused while the key is in transition is tried again after 250, 500, 1000 ms and succeeds", async () => {
    vi.useFakeTimers();
    let refusals = 3;
    const kms = fakeKms({
      EnableKey: () => {
        if (refusals-- > 0) throw awsError("KMSInvalidStateException");
        return {};
      },
    });
    const done = restoreKey(kms, "k", "Disabled");
    await vi.advanceTimersByTimeAsync(249);
    expect(kms.calls).toEqual(["EnableKey"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(kms.calls).toEqual(["EnableKey", "EnableKey"]);
    await vi.advanceTimersByTimeAsync(1500);
    expect(await done).toEqual({ status: "done", detail: "was Disabled: enabled" });
    expect(kms.calls).toEqual(["EnableKey", "EnableKey", "EnableKey", "EnableKey"]);
  });

  it("still refused after 5 attempts (3.75 s): a retryable AwsCallError, so the event is evaluated again later", async () => {
    vi.useFakeTimers();
    const kms = fakeKms({
      EnableKeyRotation: () => {
        throw awsError("DisabledException");
      },
    });
    const failed = enableKeyRotation(kms, "k", 365).catch((e) => e);
    await vi.advanceTimersByTimeAsync(3750);
    const error = await failed;
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: "kms:EnableKeyRotation", awsCode: "DisabledException", retryable: true });
    expect(error.message).toContain("still refused after 5 attempts");
    expect(kms.calls).toHaveLength(5);
  });

  it("any other refusal is not waited for: AccessDenied fails at once, not retryable", async () => {
    const kms = fakeKms({
      EnableKeyRotation: () => {
        throw awsError("AccessDeniedException");
      },
    });
    await expect(enableKeyRotation(kms, "k", 365)).rejects.toMatchObject({
      awsCode: "AccessDeniedException",
      retryable: false,
    });
    expect(kms.calls).toEqual(["EnableKeyRotation"]);
  });

  it("a key pending deletion: CancelKeyDeletion, then EnableKey; a failed cancellation stops before EnableKey", async () => {
    const kms = fakeKms({ CancelKeyDeletion: () => ({}), EnableKey: () => ({}) });
    expect(await restoreKey(kms, "k", "PendingDeletion")).toEqual({
      status: "done",
      detail: "was PendingDeletion: deletion cancelled, enabled",
    });
    expect(kms.calls).toEqual(["CancelKeyDeletion", "EnableKey"]);
    const denied = fakeKms({
      CancelKeyDeletion: () => {
        throw awsError("AccessDeniedException");
      },
    });
    await expect(restoreKey(denied, "k", "PendingDeletion")).rejects.toMatchObject({
      operation: "kms:CancelKeyDeletion",
      awsCode: "AccessDeniedException",
      retryable: false,
    });
    expect(denied.calls).toEqual(["CancelKeyDeletion"]);
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
});
