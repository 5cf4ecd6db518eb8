import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { createFileSystemEvent, kmsKeyEvent, putKeyPolicyEvent } from "../../events/build.js";
import { efsClient } from "../../shared/aws/efs.js";
import { kmsClient } from "../../shared/aws/kms.js";
import { efsAccessGuard } from "../../shared/guards/efs-access.js";
import { allGuards } from "../../shared/guards/index.js";
import { kmsKeyGuard } from "../../shared/guards/kms-key.js";
import { processEvent } from "../../shared/pipeline/run.js";
import { sweepRegion } from "../../shared/pipeline/sweep.js";
import { testDeps } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";
import { KeySeeder, otherAccountKms } from "../support/seed-kms.js";

const ENTRY = "functions/kms-key/handler.ts";
const ACCESS_ENTRY = "functions/efs-access/handler.ts";
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

describe("efs-key-policy-restricted end to end: PutKeyPolicy -> rule -> kms-key function -> alert; CreateFileSystem -> efs-access function -> alert", () => {
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

  it("CreateFileSystem on a key whose policy lets `*` decrypt without a condition: the access function alerts critical in 3 reads (+ the key's tags)", async () => {
    // The key function's CreateFileSystem path is at its budget of 3 reads (DescribeFileSystems, DescribeKey,
    // GetKeyRotationStatus): the access function, which reads the new file system anyway, judges the key's policy.
    const seed = new KeySeeder();
    const key = await seed.key({ rotation: 365 });
    await seed.putPolicy(key.keyId, policy({ ...EVERYONE_DECRYPTS, Principal: "*" }));
    const fs = await seed.fileSystem({ encrypted: true, kmsKeyId: key.keyId });
    await host.putEvents([createFileSystemEvent({ fileSystemId: fs, kmsKeyId: key.keyId, kmsKeyArn: key.arn })]);
    const invocations = await host.drain();
    // kms-key, file-system, efs-access and ecs-clients (efs-tls-enforced under the default tlsEnforcement).
    expect(invocations.map((i) => i.error)).toEqual([undefined, undefined, undefined, undefined]);
    const alerts = ofControl(await host.alerts());
    expect(alerts.map((a) => a.attributes)).toEqual([{ control: CONTROL, severity: "critical", outcome: "alerted" }]);
    const { content } = alerts[0]!.message;
    expect(content.title).toContain(key.keyId);
    expect(content.description).toContain(fs);
    expect(content.description).toContain("kms:Decrypt to every principal without a narrowing condition");
    expect(content.description).toContain("&lt;!channel&gt;");
    // Each function's calls under its own role (IAM enforced): the key function reads no policy; the access
    // function reads the file system and its policy together, then the key policy, then the key's exemption tags.
    const callsOf = (entry: string) => {
      const fn = invocations.find((i) => i.entry === entry)!.function;
      return host.recorder.calls.filter((c) => c.function === fn && c.operation !== "Publish").map((c) => c.operation);
    };
    expect(callsOf(ENTRY)).not.toContain("GetKeyPolicy");
    expect(callsOf(ACCESS_ENTRY).sort()).toEqual(
      ["DescribeFileSystemPolicy", "DescribeFileSystems", "GetKeyPolicy", "ListResourceTags"].sort(),
    );
  });

  it("CreateFileSystem on a key of the default policy: no key-policy alert, 3 reads; the sweep agrees", async () => {
    const seed = new KeySeeder();
    const key = await seed.key({ rotation: 365 });
    const fs = await seed.fileSystem({ encrypted: true, kmsKeyId: key.keyId });
    await host.putEvents([createFileSystemEvent({ fileSystemId: fs, kmsKeyId: key.keyId, kmsKeyArn: key.arn })]);
    const invocations = await host.drain();
    // kms-key, file-system, efs-access and ecs-clients (efs-tls-enforced under the default tlsEnforcement).
    expect(invocations.map((i) => i.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(ofControl(await host.alerts())).toEqual([]);
    const fn = invocations.find((i) => i.entry === ACCESS_ENTRY)!.function;
    const reads = host.recorder.calls.filter((c) => c.function === fn && c.operation !== "Publish");
    expect(reads.map((c) => c.operation).sort()).toEqual(
      ["DescribeFileSystemPolicy", "DescribeFileSystems", "GetKeyPolicy"].sort(),
    );
    const report = await sweepRegion(allGuards(), "us-east-1", testDeps({ dryRun: true }), { account: ACCOUNT });
    const found = report.results.filter((r) => r.finding.control === CONTROL);
    expect(found.map((r) => [r.finding.resource.id, r.finding.verdict])).toEqual([[key.keyId, "compliant"]]);
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

  /** A key (encrypting a file system) exempt from the control, whose policy lets every principal decrypt. */
  async function exemptKeyOpenToEveryone() {
    const seed = new KeySeeder();
    const key = await seed.keyWithFileSystem({
      rotation: 365,
      tags: { "efs-guard:exempt": CONTROL, "efs-guard:exempt-until": "2027-01-31" },
    });
    await seed.putPolicy(key.keyId, policy(EVERYONE_DECRYPTS));
    return key;
  }

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
    const key = await exemptKeyOpenToEveryone();
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

  /** The access guard with a KMS client that records each command it sends. */
  function accessGuard() {
    const kms = new KMSClient({ region: "us-east-1" });
    const sent: string[] = [];
    kms.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName).replace(/Command$/, ""));
        return next(args);
      },
      { step: "initialize", name: "record" },
    );
    return { guard: efsAccessGuard({ efs: efsClient, kms: () => kms }), sent };
  }
  const created = (fileSystemId: string, kmsKeyId?: string) =>
    createFileSystemEvent({ fileSystemId, ...(kmsKeyId ? { kmsKeyId } : {}) });

  it("CreateFileSystem: the key's exemption tags are honoured by the access function too", async () => {
    const key = await exemptKeyOpenToEveryone();
    const { guard, sent } = accessGuard();
    const deps = testDeps();
    const report = await processEvent(created(key.fileSystemId, key.keyId), guard, deps);
    expect(report.findings.find((f) => f.control === CONTROL)).toMatchObject({
      verdict: "non-compliant",
      outcome: "exempt",
    });
    expect(sent).toEqual(["GetKeyPolicy", "ListResourceTags"]);
  });

  it("CreateFileSystem naming an open key while the file system is on another: judged on the key EFS reports", async () => {
    const seed = new KeySeeder();
    const open = await seed.key({ rotation: 365 });
    await seed.putPolicy(open.keyId, policy(EVERYONE_DECRYPTS));
    const real = await seed.keyWithFileSystem({ rotation: 365 });
    const { guard, sent } = accessGuard();
    const deps = testDeps();
    const report = await processEvent(created(real.fileSystemId, open.arn), guard, deps);
    const finding = report.findings.find((f) => f.control === CONTROL);
    expect(finding).toMatchObject({ verdict: "compliant", resource: real.keyId });
    expect(sent).toEqual(["GetKeyPolicy"]);
    expect(deps.notifier.published.filter((p) => p.result.finding.control === CONTROL)).toEqual([]);
  });

  it("CreateFileSystem on the AWS managed key, or with the control off: no alert; off reads no key policy", async () => {
    const seed = new KeySeeder();
    const managed = await seed.fileSystem({ encrypted: true });
    const { guard, sent } = accessGuard();
    const deps = testDeps();
    const report = await processEvent(created(managed), guard, deps);
    // Its policy is AWS's, which narrows its grant to the account and the service: never an alert.
    expect(report.findings.find((f) => f.control === CONTROL)).toMatchObject({ verdict: "compliant" });
    expect(deps.notifier.published.filter((p) => p.result.finding.control === CONTROL)).toEqual([]);

    const key = await seed.keyWithFileSystem({ rotation: 365 });
    await seed.putPolicy(key.keyId, policy(EVERYONE_DECRYPTS));
    sent.length = 0;
    const off = await processEvent(
      created(key.fileSystemId, key.keyId),
      guard,
      testDeps({ modes: { [CONTROL]: "off" } }),
    );
    expect(off.findings.map((f) => f.control)).not.toContain(CONTROL);
    expect(sent).toEqual([]);
  });

  it("CreateFileSystem on another account's key: no GetKeyPolicy (KMS serves it to the owner only), no finding here", async () => {
    const other = otherAccountKms("222222222222");
    const foreign = (await other.send(new CreateKeyCommand({}))).KeyMetadata!;
    const seed = new KeySeeder();
    const fs = await seed.fileSystem({ encrypted: true, kmsKeyId: foreign.Arn! });
    const { guard, sent } = accessGuard();
    const report = await processEvent(created(fs, foreign.Arn!), guard, testDeps({ keyAccounts: ["222222222222"] }));
    expect(report.findings.map((f) => f.control)).not.toContain(CONTROL);
    expect(sent).toEqual([]);
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
