import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import { beforeEach, describe, expect, it } from "vitest";
import { configureEmulator, resetEmulator } from "../support/emulator.js";

const kms = new KMSClient({ region: "us-east-1" });

async function newKey() {
  return (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
}
const state = async (KeyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata!.KeyState;
const rotating = async (KeyId: string) =>
  (await kms.send(new GetKeyRotationStatusCommand({ KeyId }))).KeyRotationEnabled;

beforeEach(resetEmulator);

describe("kms_states: the key state table", () => {
  it("refuses what the key's state does not allow, with KMSInvalidStateException (DisabledException when disabled)", async () => {
    const keyId = await newKey();
    await expect(kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }))).rejects.toMatchObject({
      name: "KMSInvalidStateException",
      message: expect.stringContaining("is not pending deletion"),
    });
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    await expect(kms.send(new EnableKeyRotationCommand({ KeyId: keyId }))).rejects.toMatchObject({
      name: "DisabledException",
      message: expect.stringContaining("is disabled"),
    });
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    for (const command of [
      new EnableKeyCommand({ KeyId: keyId }),
      new DisableKeyCommand({ KeyId: keyId }),
      new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }),
      new DisableKeyRotationCommand({ KeyId: keyId }),
    ]) {
      await expect(kms.send(command as any)).rejects.toMatchObject({
        name: "KMSInvalidStateException",
        message: expect.stringContaining("is pending deletion"),
      });
    }
    expect(await state(keyId)).toBe("PendingDeletion");
  });

  it("rotation reads as off while the key is pending deletion and comes back when the deletion is cancelled", async () => {
    const keyId = await newKey();
    await kms.send(new EnableKeyRotationCommand({ KeyId: keyId }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    expect(await rotating(keyId)).toBe(false);
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    expect(await state(keyId)).toBe("Disabled");
    expect(await rotating(keyId)).toBe(true);
  });
});

describe("kms_states: eventual consistency, when turned on", () => {
  it("reads answer the state from before a burst of changes until it has propagated; a reset turns it off", async () => {
    const keyId = await newKey();
    await configureEmulator({ kms: { eventual_consistency_seconds: 1 } });
    await kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 180 }));
    const stale = await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
    expect(stale.KeyRotationEnabled).toBe(false);
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    // Still the state from before the first change of the burst: Enabled, rotation off.
    expect(await state(keyId)).toBe("Enabled");
    expect(await rotating(keyId)).toBe(false);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await state(keyId)).toBe("Disabled");
    expect(await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).toMatchObject({
      KeyRotationEnabled: true,
      RotationPeriodInDays: 180,
    });

    await resetEmulator();
    const fresh = await newKey();
    await kms.send(new DisableKeyCommand({ KeyId: fresh }));
    expect(await state(fresh)).toBe("Disabled");
  });

  it("EnableKey right after CancelKeyDeletion still finds the key pending deletion, then succeeds", async () => {
    const keyId = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    await configureEmulator({ kms: { eventual_consistency_seconds: 0.5 } });
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    await expect(kms.send(new EnableKeyCommand({ KeyId: keyId }))).rejects.toMatchObject({
      name: "KMSInvalidStateException",
      message: expect.stringContaining("is pending deletion"),
    });
    expect(await state(keyId)).toBe("PendingDeletion");
    await new Promise((r) => setTimeout(r, 600));
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));
    await new Promise((r) => setTimeout(r, 600));
    expect(await state(keyId)).toBe("Enabled");
  });
});
