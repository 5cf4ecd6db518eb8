import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { createFileSystemEvent, kmsKeyEvent, putKeyPolicyEvent } from "../../events/build.js";
import { kmsClient } from "../../shared/aws/kms.js";
import { allGuards } from "../../shared/guards/index.js";
import { kmsKeyGuard } from "../../shared/guards/kms-key.js";
import { processEvent } from "../../shared/pipeline/run.js";
import { sweepRegion } from "../../shared/pipeline/sweep.js";
import { testDeps } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";
import { KeySeeder } from "../support/seed-kms.js";

const ENTRY = "functions/kms-key/handler.ts";
const CONTROL = "efs-key-policy-restricted";
const ACCOUNT = "123456789012";
const ROOT = {
  Sid: "Enable IAM User Permissions",
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: "kms:*",
  Resource: "*",
};
const policy = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: [ROOT, ...statements] });
const EVERYONE_DECRYPTS = {
  Sid: "<!channel> decrypt for *all*",
  Effect: "Allow",
  Principal: { AWS: "*" },
  Action: ["kms:Decrypt", "kms:DescribeKey"],
  Resource: "*",
};
const OUTSIDER = {
  Sid: "Partner",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::999999999999:root" },
  Action: "kms:ReEncrypt*",
  Resource: "*",
};

type Alert = { message: any; attributes: Record<string, string> };
const ofControl = (alerts: Alert[]) => alerts.filter((a) => a.attributes.control === CONTROL);

let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

describe("efs-key-policy-restricted end to end: PutKeyPolicy -> rule -> kms-key function -> alert; CreateFileSystem -> the sweep", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });

  it("PutKeyPolicy granting kms:Decrypt to {AWS:*}: one critical alert, statement id escaped; one GetKeyPolicy, read with the key", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem({ rotation: 365 });
    const open = policy(EVERYONE_DECRYPTS);
    await seed.putPolicy(key.keyId, open);
    await host.putEvents([putKeyPolicyEvent({ sent: key.keyId, keyArn: key.arn }, open)]);
    const invocations = await host.drain();
    expect(invocations.map((i) => [i.entry, i.error])).toEqual([[ENTRY, undefined]]);
    const alerts = await host.alerts();
    expect(alerts.map((a) => a.attributes)).toEqual([{ control: CONTROL, severity: "critical", outcome: "alerted" }]);
    const { content } = alerts[0]!.message;
    expect(content.title).toContain(key.keyId);
    expect(content.description).toContain(key.fileSystemId);
    expect(content.description).toContain("kms:Decrypt to every principal without a narrowing condition");
    // The statement id is the caller's text: no Slack mention or markup reaches a human unescaped.
    expect(content.description).not.toContain("<!channel>");
    expect(content.description).toContain("&lt;!channel&gt;");
    // The function's calls (its own role, IAM enforced): DescribeKey, DescribeFileSystems and GetKeyPolicy together
    // (no GetKeyRotationStatus: a key policy change cannot change rotation), then ListResourceTags for the exemption
    // tags of a non-compliant key, then the alert.
    const fn = invocations[0]!.function;
    const calls = host.recorder.calls.filter((c) => c.function === fn).map((c) => c.operation);
    expect(calls.sort()).toEqual(
      ["DescribeFileSystems", "DescribeKey", "GetKeyPolicy", "ListResourceTags", "Publish"].sort(),
    );
  });

  it("a forged PutKeyPolicy whose policy is open while the key's real policy is the default: no alert (the re-read is the truth)", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem({ rotation: 365 });
    await host.putEvents([putKeyPolicyEvent({ sent: key.keyId, keyArn: key.arn }, policy(EVERYONE_DECRYPTS))]);
    const invocations = await host.drain();
    expect(invocations.map((i) => [i.entry, i.error])).toEqual([[ENTRY, undefined]]);
    expect(await host.alerts()).toEqual([]);
  });

  it("CreateFileSystem judges the key's usability and rotation only; its policy is the sweep's (high, naming the account)", async () => {
    // The CreateFileSystem path of the key function is at its budget of 3 reads (DescribeFileSystems, DescribeKey,
    // GetKeyRotationStatus): GetKeyPolicy would be a fourth, so a new file system's key policy is judged by the
    // daily sweep (and by every PutKeyPolicy).
    const seed = new KeySeeder();
    const key = await seed.key({ rotation: 365 });
    await seed.putPolicy(key.keyId, policy(OUTSIDER));
    const fs = await seed.fileSystem({ encrypted: true, kmsKeyId: key.keyId });
    await host.putEvents([createFileSystemEvent({ fileSystemId: fs, kmsKeyId: key.keyId, kmsKeyArn: key.arn })]);
    const invocations = (await host.drain()).filter((i) => i.entry === ENTRY);
    expect(invocations.map((i) => i.error)).toEqual([undefined]);
    expect(ofControl(await host.alerts())).toEqual([]);
    const report = await sweepRegion(allGuards(), "us-east-1", testDeps({ dryRun: true }), { account: ACCOUNT });
    expect(report.errors).toEqual([]);
    const found = report.results.filter((r) => r.finding.control === CONTROL);
    expect(found.map((r) => [r.finding.resource.id, r.finding.verdict, r.finding.severity, r.outcome])).toEqual([
      [key.keyId, "non-compliant", "high", "alerted"],
    ]);
    expect(found[0]!.finding.summary).toContain("999999999999");
  });

  it("a key that encrypts no file system is out of scope: no alert, whatever its policy", async () => {
    const seed = new KeySeeder();
    const key = await seed.key({ rotation: 365 });
    const open = policy(EVERYONE_DECRYPTS);
    await seed.putPolicy(key.keyId, open);
    await host.putEvents([putKeyPolicyEvent({ sent: key.keyId, keyArn: key.arn }, open)]);
    expect((await host.drain()).map((i) => i.error)).toEqual([undefined]);
    expect(await host.alerts()).toEqual([]);
  });
});

describe("efs-key-policy-restricted: trusted accounts, exemptions, modes (same pipeline, in process)", () => {
  beforeEach(resetEmulator);

  it("an account in trustedAccounts may be granted use; the key's own account always may", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem({ rotation: 365 });
    await seed.putPolicy(key.keyId, policy(OUTSIDER));
    const event = putKeyPolicyEvent({ sent: key.keyId, keyArn: key.arn }, policy(OUTSIDER));
    const untrusted = await processEvent(event, kmsKeyGuard(), testDeps());
    expect(untrusted.findings.find((f) => f.control === CONTROL)).toMatchObject({ verdict: "non-compliant" });
    const trusted = await processEvent(event, kmsKeyGuard(), testDeps({ trustedAccounts: ["999999999999"] }));
    expect(trusted.findings.find((f) => f.control === CONTROL)).toMatchObject({ verdict: "compliant" });
  });

  it("an exemption tag on the key is honoured", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem({
      rotation: 365,
      tags: { "efs-guard:exempt": CONTROL, "efs-guard:exempt-until": "2027-01-31" },
    });
    await seed.putPolicy(key.keyId, policy(EVERYONE_DECRYPTS));
    const deps = testDeps();
    const report = await processEvent(
      putKeyPolicyEvent({ sent: key.keyId, keyArn: key.arn }, "{}"),
      kmsKeyGuard(),
      deps,
    );
    expect(report.findings.find((f) => f.control === CONTROL)).toMatchObject({
      verdict: "non-compliant",
      outcome: "exempt",
    });
    // Exempt findings are reported as such (the exemption is visible), never as an alert to act on.
    expect(deps.notifier.published.map((p) => [p.result.finding.control, p.result.outcome])).toEqual([
      [CONTROL, "exempt"],
    ]);
  });

  it("mode off, or an event that cannot change the policy: no GetKeyPolicy and no finding for the control", async () => {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem({ rotation: 365 });
    await seed.putPolicy(key.keyId, policy(EVERYONE_DECRYPTS));
    const kms = kmsClient("us-east-1");
    const seen: string[] = [];
    kms.middlewareStack.add(
      (next, context) => async (args) => {
        seen.push(String(context.commandName));
        return next(args);
      },
      { step: "initialize", name: "count-key-policy-off" },
    );
    try {
      const report = await processEvent(
        putKeyPolicyEvent({ sent: key.keyId, keyArn: key.arn }, "{}"),
        kmsKeyGuard(),
        testDeps({ modes: { [CONTROL]: "off" } }),
      );
      expect(report.findings.map((f) => f.control)).toEqual(["efs-key-usable"]);
      const rotationOff = await processEvent(
        kmsKeyEvent("DisableKeyRotation", { sent: key.keyId, keyArn: key.arn }),
        kmsKeyGuard(),
        testDeps({ modes: { "efs-key-rotation-enabled": "alert" } }),
      );
      expect(rotationOff.findings.map((f) => f.control)).toEqual(["efs-key-usable", "efs-key-rotation-enabled"]);
    } finally {
      kms.middlewareStack.remove("count-key-policy-off");
    }
    expect(seen).not.toContain("GetKeyPolicyCommand");
  });

  it("sweep and scan: each key's policy is read once, never per file system; every key on a file system is judged", async () => {
    const seed = new KeySeeder();
    const open = await seed.key({ rotation: 365 });
    await seed.putPolicy(open.keyId, policy(EVERYONE_DECRYPTS));
    for (let i = 0; i < 3; i += 1) await seed.fileSystem({ encrypted: true, kmsKeyId: open.keyId });
    const fine = await seed.keyWithFileSystem({ rotation: 365 });
    await seed.key({ rotation: 365 }); // encrypts nothing: not read
    const kms = kmsClient("us-east-1");
    const reads: string[] = [];
    kms.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "GetKeyPolicyCommand") reads.push(String((args.input as { KeyId?: string }).KeyId));
        return next(args);
      },
      { step: "initialize", name: "count-key-policy" },
    );
    let report: Awaited<ReturnType<typeof sweepRegion>>;
    try {
      report = await sweepRegion(allGuards(), "us-east-1", testDeps({ dryRun: true }), { account: ACCOUNT });
    } finally {
      kms.middlewareStack.remove("count-key-policy");
    }
    expect(report.errors).toEqual([]);
    expect(reads.sort()).toEqual([open.arn, fine.arn].sort());
    const findings = report.results.filter((r) => r.finding.control === CONTROL);
    expect(findings.map((r) => [r.finding.resource.id, r.finding.verdict, r.outcome]).sort()).toEqual(
      [
        [open.keyId, "non-compliant", "alerted"],
        [fine.keyId, "compliant", "compliant"],
      ].sort(),
    );
    expect(findings.find((r) => r.finding.resource.id === open.keyId)?.finding.evidence.fileSystems).toHaveLength(3);
  });
});
