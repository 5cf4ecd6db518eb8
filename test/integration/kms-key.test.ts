import { EnableKeyCommand, EnableKeyRotationCommand, TagResourceCommand } from "@aws-sdk/client-kms";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import {
  cloudTrailEnvelope,
  createFileSystemEvent,
  kmsKeyEvent,
  scheduleKeyDeletionEvent,
} from "../../events/build.js";
import { kmsKeyGuard } from "../../shared/guards/kms-key.js";
import { processEvent } from "../../shared/pipeline/run.js";
import { testDeps } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";
import { KeySeeder } from "../support/seed-kms.js";

const ENTRY = "functions/kms-key/handler.ts";
const KEY_CONTROLS: readonly string[] = ["efs-key-usable", "efs-key-rotation-enabled"];

let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

describe("efs-key-rotation-enabled end to end: CloudTrail event -> real rule -> handler -> emulator -> alert", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });

  it.each([
    ["key id", (k: { keyId: string }) => k.keyId, true],
    ["key ARN", (k: { arn: string }) => k.arn, true],
    ["alias, with the key ARN in resources", (k: { alias: string }) => k.alias, true],
    ["alias, without resources (resolved by DescribeKey)", (k: { alias: string }) => k.alias, false],
  ] as const)(
    "DisableKeyRotation sent with the %s: rotation is enabled again with 365 days and alerted",
    async (_, sent, withArn) => {
      const seed = new KeySeeder();
      const key = await seed.keyWithFileSystem({ rotation: 365 });
      await seed.disableRotation(key.keyId);
      await host.putEvents([
        kmsKeyEvent("DisableKeyRotation", { sent: sent(key as any), ...(withArn ? { keyArn: key.arn } : {}) }),
      ]);
      const invocations = await host.drain();
      expect(invocations).toHaveLength(1);
      expect(invocations[0]?.entry).toBe(ENTRY);
      expect(invocations[0]?.error).toBeUndefined();
      expect(await seed.rotation(key.keyId)).toEqual({ enabled: true, period: 365 });

      const alerts = await host.alerts();
      expect(alerts.map((a) => a.attributes)).toEqual([
        { control: "efs-key-rotation-enabled", severity: "medium", outcome: "remediated" },
      ]);
      const { message } = alerts[0]!;
      expect(message.content.title).toContain(key.keyId);
      expect(message.content.description).toContain(key.fileSystemId);
      expect(message.content.description).toContain("`DisableKeyRotation` by `arn:aws:iam::123456789012:role/Admin`");
      expect(message.content.description).toContain("enabled automatic rotation");
      expect(message.content.nextSteps.join(" ")).toContain("disable-key-rotation");
      expect(message.metadata.relatedResources).toEqual([key.arn]);
    },
  );

  it("CreateFileSystem on a key without rotation turns rotation on", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem();
    await host.putEvents([
      createFileSystemEvent({ fileSystemId: key.fileSystemId, kmsKeyId: key.keyId, kmsKeyArn: key.arn }),
    ]);
    // The rule also routes CreateFileSystem to the file-system function, which evaluates its own controls.
    const invocations = (await host.drain()).filter((i) => i.entry === ENTRY);
    expect(invocations).toHaveLength(1);
    expect(invocations[0]?.error).toBeUndefined();
    expect(await seed.rotation(key.keyId)).toEqual({ enabled: true, period: 365 });
    expect(
      (await host.alerts()).filter((a) => KEY_CONTROLS.includes(a.attributes.control ?? "")).map((a) => a.attributes),
    ).toEqual([{ control: "efs-key-rotation-enabled", severity: "medium", outcome: "remediated" }]);
  });

  it("CreateFileSystem with the AWS managed key, or unencrypted, is nobody's business here: no change, no alert", async () => {
    const seed = new KeySeeder();
    const managed = await seed.fileSystem({ encrypted: true });
    const plain = await seed.fileSystem({ encrypted: false });
    await host.putEvents([
      createFileSystemEvent({ fileSystemId: managed, encrypted: true }),
      createFileSystemEvent({ fileSystemId: plain, encrypted: false }),
    ]);
    const invocations = (await host.drain()).filter((i) => i.entry === ENTRY);
    expect(invocations).toHaveLength(2);
    const findings = invocations.flatMap((i) => (i.result as any).findings);
    // The two key controls of a new file system on the AWS managed key; nothing for the unencrypted file system.
    expect(findings.map((f: any) => f.verdict)).toEqual(["not-applicable", "not-applicable"]);
    expect(findings[0].detail).toContain("AWS managed");
    // The file-system function alerts on these file systems for its own controls; none of that is the key guard's.
    expect((await host.alerts()).filter((a) => KEY_CONTROLS.includes(a.attributes.control ?? ""))).toEqual([]);
  });

  it("a key that encrypts no file system is not applicable: rotation stays off, no alert", async () => {
    const seed = new KeySeeder();
    const key = await seed.key();
    await host.putEvents([kmsKeyEvent("DisableKeyRotation", { sent: key.keyId, keyArn: key.arn })]);
    const [invocation] = await host.drain();
    expect((invocation!.result as any).findings.map((f: any) => f.verdict)).toEqual([
      "not-applicable",
      "not-applicable",
    ]);
    expect(await seed.rotation(key.keyId)).toEqual({ enabled: false, period: undefined });
    expect(await host.alerts()).toEqual([]);
  });

  it("non-matching events never reach the handler: s3files CreateFileSystem, a failed call, other KMS calls", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem();
    const foreign = cloudTrailEnvelope({
      eventSource: "s3files.amazonaws.com",
      eventName: "CreateFileSystem",
      requestParameters: { bucket: "arn:aws:s3:::data" },
      responseElements: { fileSystemId: key.fileSystemId },
    });
    (foreign as any).source = "aws.s3files";
    const failed = kmsKeyEvent(
      "DisableKeyRotation",
      { sent: key.keyId, keyArn: key.arn },
      { errorCode: "AccessDeniedException", errorMessage: "not authorized" },
    );
    const other = cloudTrailEnvelope({
      eventSource: "kms.amazonaws.com",
      eventName: "TagResource",
      requestParameters: { keyId: key.keyId },
    });
    await host.putEvents([foreign, failed, other]);
    expect(await host.drain()).toEqual([]);
    expect(await seed.rotation(key.keyId)).toEqual({ enabled: false, period: undefined });
    // The same s3files event handed to the pipeline directly is ignored as foreign, not mistaken for EFS.
    const report = await processEvent(foreign, kmsKeyGuard(), testDeps());
    expect(report).toMatchObject({ outcome: "ignored", reason: "foreign-source" });
  });

  it("loop safety: the guard's own EnableKeyRotation, EnableKey and CancelKeyDeletion match no rule; a re-evaluation finds the key compliant", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem();
    const ref = { sent: key.keyId, keyArn: key.arn };
    const trigger = kmsKeyEvent("DisableKeyRotation", ref);
    await host.putEvents([trigger, trigger]);
    const first = await host.drain();
    expect(first).toHaveLength(2);
    // The duplicate re-reads the key, finds it compliant and stays quiet.
    expect((await host.alerts()).map((a) => a.attributes.outcome)).toEqual(["remediated"]);
    expect((first[1]!.result as any).findings.map((f: any) => f.verdict)).toEqual(["compliant", "compliant"]);

    await host.putEvents([
      kmsKeyEvent("EnableKeyRotation", ref, { rotationPeriodInDays: 365 }),
      kmsKeyEvent("EnableKey", ref),
      kmsKeyEvent("CancelKeyDeletion", ref),
    ]);
    expect(await host.drain()).toEqual([]);
    const again = await processEvent(trigger, kmsKeyGuard(), testDeps());
    expect(again.findings.map((f) => [f.control, f.verdict, f.action])).toEqual([
      ["efs-key-usable", "compliant", "none"],
      ["efs-key-rotation-enabled", "compliant", "none"],
    ]);
  });
});

describe("efs-key-usable end to end", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });

  it("DisableKey (default: alert) sends a critical alert naming the file systems and leaves the key alone", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem({ rotation: 365 });
    const second = await seed.fileSystem({ encrypted: true, kmsKeyId: key.arn });
    await seed.disable(key.keyId);
    await host.putEvents([kmsKeyEvent("DisableKey", { sent: key.alias, keyArn: key.arn })]);
    await host.drain();
    expect(await seed.state(key.keyId)).toBe("Disabled");
    const alerts = await host.alerts();
    expect(alerts.map((a) => a.attributes)).toEqual([
      { control: "efs-key-usable", severity: "critical", outcome: "alerted" },
    ]);
    const text = alerts[0]!.message.content.description;
    for (const fs of [key.fileSystemId, second]) expect(text).toContain(fs);
    expect(text).toContain("cannot be read until the key is enabled again");
    expect(alerts[0]!.message.content.keywords).toContain("KMS.3");
  });

  it("ScheduleKeyDeletion (default: alert) names the deletion date and the file systems", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem({ rotation: 365 });
    const deletionDate = await seed.scheduleDeletion(key.keyId, 7);
    await host.putEvents([scheduleKeyDeletionEvent({ sent: key.keyId, keyArn: key.arn }, 7, deletionDate)]);
    await host.drain();
    expect(await seed.state(key.keyId)).toBe("PendingDeletion");
    const [alert] = await host.alerts();
    expect(alert?.attributes).toEqual({ control: "efs-key-usable", severity: "critical", outcome: "alerted" });
    const text = alert!.message.content.description;
    expect(text).toContain(`scheduled for deletion on ${deletionDate.toISOString()}`);
    expect(text).toContain(key.fileSystemId);
    expect(text).toContain("unrecoverable");
  });
});

describe("modes, exemptions and idempotence, through the same pipeline", () => {
  beforeEach(resetEmulator);
  const restore = { modes: { "efs-key-usable": "remediate" as const } };

  it("remediate mode: ScheduleKeyDeletion is cancelled and the key enabled; running again changes nothing", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem({ rotation: 365 });
    const when = await seed.scheduleDeletion(key.keyId, 30);
    const event = scheduleKeyDeletionEvent({ sent: key.arn, keyArn: key.arn }, 30, when);
    const deps = testDeps(restore);
    const first = await processEvent(event, kmsKeyGuard(), deps);
    expect(first.findings[0]).toMatchObject({ control: "efs-key-usable", action: "remediated", outcome: "remediated" });
    expect(first.findings[0]?.detail).toContain("cancelled the deletion of and enabled");
    expect(first.findings[0]?.detail).toContain("was PendingDeletion: deletion cancelled, enabled");
    expect(await seed.state(key.keyId)).toBe("Enabled");
    const second = await processEvent(event, kmsKeyGuard(), deps);
    expect(second.findings.map((f) => f.verdict)).toEqual(["compliant", "compliant"]);
    expect(deps.notifier.published.map((p) => p.result.outcome)).toEqual(["remediated"]);
  });

  it("remediate mode: a disabled key is enabled (no CancelKeyDeletion needed)", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem({ rotation: 365 });
    await seed.disable(key.keyId);
    const report = await processEvent(kmsKeyEvent("DisableKey", { sent: key.keyId }), kmsKeyGuard(), testDeps(restore));
    expect(report.findings[0]?.detail).toContain("was Disabled: enabled");
    expect(await seed.state(key.keyId)).toBe("Enabled");
  });

  it("rotationPeriodInDays is applied, and a key rotating less often than configured is shortened", async () => {
    const seed = new KeySeeder();
    const off = await seed.keyWithFileSystem();
    const slow = await seed.keyWithFileSystem({ rotation: 730 });
    const fast = await seed.keyWithFileSystem({ rotation: 90 });
    const deps = testDeps({ rotationPeriodInDays: 180 });
    for (const k of [off, slow, fast]) {
      await processEvent(kmsKeyEvent("DisableKeyRotation", { sent: k.keyId, keyArn: k.arn }), kmsKeyGuard(), deps);
    }
    expect(await seed.rotation(off.keyId)).toEqual({ enabled: true, period: 180 });
    expect(await seed.rotation(slow.keyId)).toEqual({ enabled: true, period: 180 });
    expect(await seed.rotation(fast.keyId)).toEqual({ enabled: true, period: 90 });
    expect(deps.notifier.published.map((p) => [p.result.finding.severity, p.result.outcome])).toEqual([
      ["medium", "remediated"],
      ["low", "remediated"],
    ]);
  });

  it("dry run reports what it would do and changes nothing", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem();
    const deps = testDeps({ dryRun: true });
    const report = await processEvent(kmsKeyEvent("DisableKeyRotation", { sent: key.keyId }), kmsKeyGuard(), deps);
    expect(report.findings[1]).toMatchObject({ action: "would-remediate", outcome: "would-remediate" });
    expect(report.findings[1]?.detail).toBe(`dry run: would enable automatic rotation of ${key.keyId} every 365 days`);
    expect(await seed.rotation(key.keyId)).toEqual({ enabled: false, period: undefined });
  });

  it("alert mode reports and changes nothing", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem();
    const deps = testDeps({ modes: { "efs-key-rotation-enabled": "alert" } });
    const report = await processEvent(kmsKeyEvent("DisableKeyRotation", { sent: key.keyId }), kmsKeyGuard(), deps);
    expect(report.findings[1]).toMatchObject({ verdict: "non-compliant", action: "none", outcome: "alerted" });
    expect(await seed.rotation(key.keyId)).toEqual({ enabled: false, period: undefined });
    expect(deps.notifier.published).toHaveLength(1);
  });

  it("an exemption tag on the key is honoured; once expired it is not", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem({
      tags: { "efs-guard:exempt": "efs-key-rotation-enabled", "efs-guard:exempt-until": "2027-01-31" },
    });
    const event = kmsKeyEvent("DisableKeyRotation", { sent: key.keyId, keyArn: key.arn });
    const exempt = await processEvent(event, kmsKeyGuard(), testDeps());
    expect(exempt.findings[1]).toMatchObject({ action: "exempt", outcome: "exempt" });
    expect(await seed.rotation(key.keyId)).toEqual({ enabled: false, period: undefined });

    await seed.kms.send(
      new TagResourceCommand({
        KeyId: key.keyId,
        Tags: [{ TagKey: "efs-guard:exempt-until", TagValue: "2026-10-01" }],
      }),
    );
    const expired = await processEvent(event, kmsKeyGuard(), testDeps());
    expect(expired.findings[1]).toMatchObject({ action: "remediated", outcome: "remediated" });
    expect(expired.findings[1]?.detail).toContain("enabled automatic rotation");
    expect(await seed.rotation(key.keyId)).toEqual({ enabled: true, period: 365 });
  });

  it("remediations act on the evaluation's reading, with no second read: a key fixed meanwhile is written again, harmlessly", async () => {
    // KMS is eventually consistent: a read between the evaluation and the write is no fresher than the evaluation,
    // so there is none. Enabling an enabled key, or setting the period a key already has, changes nothing.
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem();
    await seed.disable(key.keyId);
    const guard = kmsKeyGuard();
    const deps = testDeps(restore);
    const trigger = { type: "kms-key" as const, keyId: key.keyId };
    const [usableFinding] = await guard.assess(trigger, "us-east-1", deps.config, deps.clock);
    await seed.kms.send(new EnableKeyCommand({ KeyId: key.keyId }));
    expect(await guard.remediate(usableFinding!.plan!, "us-east-1", deps.config)).toEqual({
      status: "done",
      detail: "was Disabled: enabled",
    });
    expect(await seed.state(key.keyId)).toBe("Enabled");
    const [, rotationFinding] = await guard.assess(trigger, "us-east-1", deps.config, deps.clock);
    expect(rotationFinding?.verdict).toBe("non-compliant");
    await seed.kms.send(new EnableKeyRotationCommand({ KeyId: key.keyId, RotationPeriodInDays: 365 }));
    expect(await guard.remediate(rotationFinding!.plan!, "us-east-1", deps.config)).toEqual({ status: "done" });
    expect(await seed.rotation(key.keyId)).toEqual({ enabled: true, period: 365 });
  });

  it("CreateFileSystem: the key named in EFS's answer is read at once, but only the file system's real key counts", async () => {
    const seed = new KeySeeder();
    const real = await seed.keyWithFileSystem();
    const other = await seed.key();
    const deps = testDeps({ dryRun: true });
    const hinted = createFileSystemEvent({
      fileSystemId: real.fileSystemId,
      kmsKeyId: other.keyId,
      kmsKeyArn: other.arn,
    });
    const report = await processEvent(hinted, kmsKeyGuard(), deps);
    expect(report.findings.map((f) => [f.control, f.resource, f.verdict])).toEqual([
      ["efs-key-usable", real.keyId, "compliant"],
      ["efs-key-rotation-enabled", real.keyId, "non-compliant"],
    ]);
    expect(report.findings[1]?.detail).toBe(`dry run: would enable automatic rotation of ${real.keyId} every 365 days`);
  });

  it("a key deleted meanwhile produces no finding and no error", async () => {
    const report = await processEvent(
      kmsKeyEvent("DisableKey", { sent: "0b2f0c0e-1111-4222-8333-444455556666" }),
      kmsKeyGuard(),
      testDeps(),
    );
    expect(report).toMatchObject({ outcome: "evaluated", findings: [] });
  });
});
