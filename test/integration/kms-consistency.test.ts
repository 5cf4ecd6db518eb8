import { EFSClient } from "@aws-sdk/client-efs";
import { KMSClient } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { kmsKeyEvent, scheduleKeyDeletionEvent } from "../../events/build.js";
import { kmsKeyGuard } from "../../shared/guards/kms-key.js";
import { processEvent } from "../../shared/pipeline/run.js";
import { countingProxy } from "../support/cli.js";
import { testDeps } from "../support/deps.js";
import { configureEmulator, resetEmulator } from "../support/emulator.js";
import { KeySeeder } from "../support/seed-kms.js";

/**
 * KMS is eventually consistent ("AWS KMS eventual consistency", KMS developer guide): right after a change, reads
 * can still show the old state and the next change can still be refused by it. The emulator's kms_states patch
 * answers that way for a second after every change; the guard must report what its write did, not what a read a
 * moment later still shows.
 */
const LAG_SECONDS = 1;
const settle = () => new Promise((r) => setTimeout(r, LAG_SECONDS * 1000 + 200));

let proxy: Awaited<ReturnType<typeof countingProxy>>;
beforeAll(async () => {
  proxy = await countingProxy(inject("emulatorEndpoint"));
});
afterAll(async () => {
  await proxy.close();
});

/** The guard with its own clients, through a proxy that records each call. */
function guard() {
  const kms = new KMSClient({ region: "us-east-1", endpoint: proxy.endpoint });
  const efs = new EFSClient({ region: "us-east-1", endpoint: proxy.endpoint });
  return kmsKeyGuard({ kms: () => kms, efs: () => efs });
}

const operations = () => proxy.calls.map((c) => c.operation);

describe("KMS writes on an eventually consistent KMS", () => {
  beforeEach(async () => {
    await resetEmulator();
    proxy.calls.length = 0;
  });

  it("EnableKeyRotation is reported done from its own answer, with one GetKeyRotationStatus per event", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem();
    await configureEmulator({ kms: { eventual_consistency_seconds: LAG_SECONDS } });
    const deps = testDeps();
    const report = await processEvent(
      kmsKeyEvent("DisableKeyRotation", { sent: key.keyId, keyArn: key.arn }),
      guard(),
      deps,
    );
    expect(report.findings.find((f) => f.control === "efs-key-rotation-enabled")).toMatchObject({
      action: "remediated",
      outcome: "remediated",
      detail: `enabled automatic rotation of ${key.keyId} every 365 days`,
    });
    expect(deps.notifier.published.map((p) => p.result.outcome)).toEqual(["remediated"]);
    expect(operations().filter((o) => o === "GetKeyRotationStatus")).toHaveLength(1);
    expect(operations().filter((o) => o === "EnableKeyRotation")).toHaveLength(1);
    await settle();
    expect(await seed.rotation(key.keyId)).toEqual({ enabled: true, period: 365 });
  });

  it("a cancelled deletion is followed by EnableKey until KMS accepts it: the key ends Enabled, reported once", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem({ rotation: 365 });
    const when = await seed.scheduleDeletion(key.keyId, 30);
    await configureEmulator({ kms: { eventual_consistency_seconds: LAG_SECONDS } });
    const deps = testDeps({ modes: { "efs-key-usable": "remediate" } });
    const report = await processEvent(
      scheduleKeyDeletionEvent({ sent: key.keyId, keyArn: key.arn }, 30, when),
      guard(),
      deps,
    );
    expect(report.findings[0]).toMatchObject({
      control: "efs-key-usable",
      action: "remediated",
      outcome: "remediated",
      detail: `cancelled the deletion of and enabled ${key.keyId} (was PendingDeletion: deletion cancelled, enabled)`,
    });
    expect(deps.notifier.published.map((p) => p.result.outcome)).toEqual(["remediated"]);
    // One DescribeKey (the evaluation); no re-read before or after the writes.
    expect(operations().filter((o) => o === "DescribeKey")).toHaveLength(1);
    expect(operations().filter((o) => o === "CancelKeyDeletion")).toHaveLength(1);
    expect(operations().filter((o) => o === "EnableKey").length).toBeGreaterThan(1);
    await settle();
    expect(await seed.state(key.keyId)).toBe("Enabled");
  });

  it("a write KMS still refuses after the in-process retries is retryable: the event comes back, nothing is claimed", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem({ rotation: 365 });
    const when = await seed.scheduleDeletion(key.keyId, 30);
    // Far longer than the guard waits within one invocation.
    await configureEmulator({ kms: { eventual_consistency_seconds: 30 } });
    const deps = testDeps({ modes: { "efs-key-usable": "remediate" } });
    const event = scheduleKeyDeletionEvent({ sent: key.keyId, keyArn: key.arn }, 30, when);
    const error = await processEvent(event, guard(), deps).catch((e) => e);
    expect(error).toMatchObject({ code: "REMEDIATION_FAILED", retryable: true });
    const [published] = deps.notifier.published;
    expect(published?.result).toMatchObject({
      outcome: "remediation-failed",
      error: { code: "KMSInvalidStateException", retryable: true },
    });
  });
});
