import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createFileSystemEvent, kmsKeyEvent, scheduleKeyDeletionEvent } from "../../events/build.js";
import { KMS_KEY_EVENTS, patternsFor } from "../../events/patterns.js";
import { toTriggers } from "../../shared/events/triggers.js";
import { matchesPattern } from "../support/event-pattern.js";

const SAMPLES = join(import.meta.dirname, "../../events/samples");
const sample = (name: string) => JSON.parse(readFileSync(join(SAMPLES, name), "utf8"));
const KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";
const ARN = `arn:aws:kms:us-east-1:123456789012:key/${KEY}`;

describe("key guard triggers", () => {
  it.each([
    ["kms-disable-key-rotation.json", { type: "kms-key", keyId: ARN }],
    ["kms-disable-key.json", { type: "kms-key", keyId: ARN }],
    ["kms-schedule-key-deletion.json", { type: "kms-key", keyId: ARN }],
    ["efs-create-file-system.json", { type: "file-system", fileSystemId: "fs-0123456789abcdef0" }],
  ])("%s -> %j (the ARN in resources wins over what the caller sent)", (file, trigger) => {
    expect(toTriggers(sample(file), KMS_KEY_EVENTS)).toMatchObject({ kind: "triggers", triggers: [trigger] });
  });

  it("CreateFileSystem carries the key ARN of EFS's answer as a hint, never what the caller sent", () => {
    // The sample's caller sent an alias; EFS answered with the ARN.
    expect(toTriggers(sample("efs-create-file-system.json"), KMS_KEY_EVENTS)).toMatchObject({
      triggers: [{ type: "file-system", fileSystemId: "fs-0123456789abcdef0", kmsKeyArn: ARN }],
    });
    const plain = createFileSystemEvent({ fileSystemId: "fs-0123456789abcdef0", encrypted: false });
    expect(toTriggers(plain, KMS_KEY_EVENTS)).toEqual(
      expect.objectContaining({ triggers: [{ type: "file-system", fileSystemId: "fs-0123456789abcdef0" }] }),
    );
    const odd = createFileSystemEvent({
      fileSystemId: "fs-0123456789abcdef0",
      kmsKeyId: "alias/x",
      kmsKeyArn: "alias/x",
    });
    expect((toTriggers(odd, KMS_KEY_EVENTS) as any).triggers[0].kmsKeyArn).toBeUndefined();
  });

  it("without resources, the keyId the caller sent (alias, id or ARN) is the trigger; DescribeKey resolves it", () => {
    const e = sample("kms-schedule-key-deletion.json");
    delete e.detail.resources;
    expect(toTriggers(e, KMS_KEY_EVENTS)).toMatchObject({ triggers: [{ type: "kms-key", keyId: "alias/efs-data" }] });
  });

  it("s3files CreateFileSystem is foreign; the guard's own EnableKeyRotation is not a trigger", () => {
    expect(toTriggers(sample("s3files-create-file-system.json"), KMS_KEY_EVENTS)).toMatchObject({
      kind: "ignored",
      reason: "foreign-source",
    });
    expect(toTriggers(sample("kms-enable-key-rotation.json"), KMS_KEY_EVENTS)).toMatchObject({
      kind: "ignored",
      reason: "unsupported-event",
    });
  });

  it("a failed call is ignored", () => {
    const e = sample("kms-disable-key.json");
    e.detail.errorCode = "KMSInvalidStateException";
    expect(toTriggers(e, KMS_KEY_EVENTS)).toMatchObject({ kind: "ignored", reason: "failed-call" });
  });

  it("the builders produce the recorded shapes", () => {
    const built = kmsKeyEvent("DisableKeyRotation", { sent: "alias/efs-data", keyArn: ARN });
    const recorded = sample("kms-disable-key-rotation.json");
    expect(Object.keys(built.detail).sort()).toEqual(Object.keys(recorded.detail).sort());
    expect(built.detail.resources).toEqual(recorded.detail.resources);
    const deletion = scheduleKeyDeletionEvent({ sent: KEY, keyArn: ARN }, 7, new Date("2026-12-03T00:00:00Z"));
    expect(deletion.detail.responseElements).toEqual(sample("kms-schedule-key-deletion.json").detail.responseElements);
    const created = createFileSystemEvent({
      fileSystemId: "fs-0123456789abcdef0",
      kmsKeyId: "alias/efs-data",
      kmsKeyArn: ARN,
    });
    const createdRecorded = sample("efs-create-file-system.json").detail;
    expect(Object.keys(created.detail.responseElements as object).sort()).toEqual(
      Object.keys(createdRecorded.responseElements).sort(),
    );
    for (const e of [built, deletion, created]) expect(toTriggers(e, KMS_KEY_EVENTS).kind).toBe("triggers");
  });
});

describe("key guard EventBridge patterns", () => {
  const patterns = patternsFor(KMS_KEY_EVENTS);

  it("matches every sample the key guard acts on and none it ignores", () => {
    for (const file of readdirSync(SAMPLES).filter((f) => f.endsWith(".json"))) {
      const event = sample(file);
      const handled = toTriggers(event, KMS_KEY_EVENTS).kind === "triggers";
      expect(
        patterns.some((p) => matchesPattern(p, event)),
        file,
      ).toBe(handled);
    }
  });

  it("has one pattern for KMS and one for EFS", () => {
    expect(patterns.map((p) => [p.source[0], p.detail.eventName])).toEqual([
      ["aws.kms", ["DisableKey", "DisableKeyRotation", "PutKeyPolicy", "ScheduleKeyDeletion"]],
      ["aws.elasticfilesystem", ["CreateFileSystem"]],
    ]);
  });
});
