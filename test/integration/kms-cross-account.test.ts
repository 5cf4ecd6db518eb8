import { EFSClient } from "@aws-sdk/client-efs";
import { CreateKeyCommand, GetKeyRotationStatusCommand, KMSClient } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import { synthTemplate } from "../../emulator/template.js";
import { createFileSystemEvent } from "../../events/build.js";
import { fileSystemGuard } from "../../shared/guards/file-system.js";
import { kmsKeyGuard } from "../../shared/guards/kms-key.js";
import { processEvent } from "../../shared/pipeline/run.js";
import { sweepRegion } from "../../shared/pipeline/sweep.js";
import { countingProxy } from "../support/cli.js";
import { testDeps } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";
import { otherAccountKms } from "../support/seed-kms.js";

/**
 * File systems encrypted with a key of another account (a central key account, or an outsider's). KMS allows only
 * DescribeKey and GetKeyRotationStatus across accounts, with the key ARN ("Cross-account use" in the KMS API
 * Reference), and only when the key policy grants them; the emulator's kms_cross_account patch answers that way.
 * moto tells accounts apart by the x-moto-account-id header, which the other account's client sends.
 */
const HOME = "123456789012";
const OTHER = "222222222222";

/** A key of the other account; `grant` adds a key policy statement letting the home account read it. */
async function otherAccountKey(grant: boolean) {
  const kms = otherAccountKms(OTHER);
  const owner = {
    Sid: "Owner",
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${OTHER}:root` },
    Action: "kms:*",
    Resource: "*",
  };
  const reader = {
    Sid: "EfsGuardOfTheWorkloadAccount",
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${HOME}:root` },
    Action: ["kms:DescribeKey", "kms:GetKeyRotationStatus"],
    Resource: "*",
  };
  const policy = { Version: "2012-10-17", Statement: grant ? [owner, reader] : [owner] };
  const key = (await kms.send(new CreateKeyCommand({ Policy: JSON.stringify(policy) }))).KeyMetadata!;
  return { kms, keyId: key.KeyId!, arn: key.Arn! };
}

let proxy: Awaited<ReturnType<typeof countingProxy>>;
beforeAll(async () => {
  proxy = await countingProxy(inject("emulatorEndpoint"));
});
afterAll(async () => {
  await proxy.close();
});

/** The guards with their own clients, through a proxy that records each call. */
function guards() {
  const kms = new KMSClient({ region: REGION, endpoint: proxy.endpoint });
  const efs = new EFSClient({ region: REGION, endpoint: proxy.endpoint });
  return {
    key: kmsKeyGuard({ kms: () => kms, efs: () => efs }),
    fileSystem: fileSystemGuard({
      clients: { kms: () => kms, efs: () => efs, sfn: () => ({}) as never },
    }),
  };
}
const kmsCalls = () => proxy.calls.filter((c) => !c.operation.includes(" ")).map((c) => c.operation);

describe("a file system on another account's key", () => {
  beforeEach(async () => {
    await resetEmulator();
    proxy.calls.length = 0;
  });

  it("outside keyAccounts: not assessable, an alert naming the account, no KMS call, no retry, no dead letter", async () => {
    const key = await otherAccountKey(false);
    const seed = new Seeder();
    const fileSystemId = await seed.fileSystem({ encrypted: true, kmsKeyId: key.arn });
    const event = createFileSystemEvent({ fileSystemId, kmsKeyId: key.arn });

    const deps = testDeps();
    const report = await processEvent(event, guards().key, deps);
    expect(report.findings).toEqual([
      expect.objectContaining({
        control: "efs-key-usable",
        verdict: "non-compliant",
        action: "none",
        outcome: "alerted",
      }),
    ]);
    const [alert] = deps.notifier.published;
    expect(alert?.result.finding.resource).toMatchObject({ type: "kms-key", id: key.keyId, account: OTHER });
    expect(alert?.result.finding.summary).toBe(
      `${key.keyId}, the key of ${fileSystemId} in account ${OTHER}, cannot be assessed: it belongs to account ${OTHER}, which is not in keyAccounts; EFS Guard reads keys of another account only for the accounts listed there (and their key policies must let it)`,
    );
    expect(alert?.result.finding.severity).toBe("medium");
    expect(alert?.result.finding.plan).toBeUndefined();
    // Not one KMS call: the role may not read another account's key, and asking would only add AccessDenied.
    expect(kmsCalls()).toEqual([]);

    // The file-system guard knows the key is customer managed from its account alone: no DescribeKey either.
    proxy.calls.length = 0;
    const fsReport = await processEvent(event, guards().fileSystem, testDeps({ dryRun: true }));
    expect(fsReport.findings.find((f) => f.control === "efs-encrypted-at-rest")).toMatchObject({
      verdict: "compliant",
      detail: `${fileSystemId} (shared) is encrypted at rest with a customer managed key of account ${OTHER}`,
    });
    expect(kmsCalls()).toEqual([]);
  });

  it("deployed: CreateFileSystem through the real rules ends in one alert, never in the dead-letter queue", async () => {
    const key = await otherAccountKey(false);
    const seed = new Seeder();
    const fileSystemId = await seed.fileSystem({ encrypted: true, kmsKeyId: key.arn });
    const host = await FunctionHost.deploy(synthTemplate(), {
      env: { LOG_LEVEL: "WARN" },
      asyncRetry: { retries: 2 },
    });
    await host.putEvents([createFileSystemEvent({ fileSystemId, kmsKeyId: key.arn })]);
    const invocations = await host.drain();
    expect(invocations.map((i) => [i.entry, i.attempt, i.error])).toEqual(
      expect.arrayContaining([
        ["functions/kms-key/handler.ts", 1, undefined],
        ["functions/file-system/handler.ts", 1, undefined],
        ["functions/efs-access/handler.ts", 1, undefined],
        // efs-tls-enforced's CreateFileSystem under the default tlsEnforcement ("unless-clients-break").
        ["functions/ecs-clients/handler.ts", 1, undefined],
      ]),
    );
    expect(invocations).toHaveLength(4);
    expect(await host.deadLetters()).toEqual([]);
    const keyAlerts = (await host.alerts()).filter((a) => a.attributes.control?.startsWith("efs-key"));
    expect(keyAlerts.map((a) => a.attributes)).toEqual([
      { control: "efs-key-usable", severity: "medium", outcome: "alerted" },
    ]);
    expect(keyAlerts[0]!.message.content.description).toContain(`account ${OTHER}`);
  });

  it("in keyAccounts, its key policy refusing: not assessable, one DescribeKey with the ARN, nothing else of KMS", async () => {
    const key = await otherAccountKey(false);
    const seed = new Seeder();
    const fileSystemId = await seed.fileSystem({ encrypted: true, kmsKeyId: key.arn });
    const deps = testDeps({ keyAccounts: [OTHER] });
    const report = await processEvent(createFileSystemEvent({ fileSystemId, kmsKeyId: key.arn }), guards().key, deps);
    expect(report.findings).toEqual([
      expect.objectContaining({ control: "efs-key-usable", verdict: "non-compliant", outcome: "alerted" }),
    ]);
    expect(deps.notifier.published[0]?.result.finding.summary).toContain(
      "cannot be assessed: KMS refuses DescribeKey to EFS Guard (AccessDeniedException): the key policy must grant it to the guard's roles",
    );
    // DescribeKey and the rotation status (read at the same time) were both refused; no tags, no write.
    expect(kmsCalls().sort()).toEqual(["DescribeKey", "GetKeyRotationStatus"]);
  });

  it("in keyAccounts, readable: assessed with the key ARN, rotation off alerted for its owner, never written", async () => {
    const key = await otherAccountKey(true);
    const seed = new Seeder();
    const fileSystemId = await seed.fileSystem({ encrypted: true, kmsKeyId: key.arn });
    const deps = testDeps({ keyAccounts: [OTHER] });
    const report = await processEvent(createFileSystemEvent({ fileSystemId, kmsKeyId: key.arn }), guards().key, deps);
    expect(report.findings.map((f) => [f.control, f.verdict, f.action, f.outcome])).toEqual([
      ["efs-key-usable", "compliant", "none", "compliant"],
      ["efs-key-rotation-enabled", "non-compliant", "none", "alerted"],
    ]);
    const { finding } = deps.notifier.published[0]!.result;
    expect(finding.summary).toBe(
      `automatic rotation is off on ${key.keyId}, the customer managed key of ${fileSystemId}; the key belongs to account ${OTHER}, and EFS Guard cannot change another account's key: its owner must turn it on (every 365 days at most)`,
    );
    expect(finding.plan).toBeUndefined();
    expect(finding.resource.account).toBe(OTHER);
    // Only the two operations KMS allows across accounts, each once; no GetKeyPolicy, no ListResourceTags, no
    // EnableKeyRotation.
    expect(
      kmsCalls()
        .filter((o) => o !== "DescribeFileSystems")
        .sort(),
    ).toEqual(["DescribeKey", "GetKeyRotationStatus"]);
    const rotation = await key.kms.send(new GetKeyRotationStatusCommand({ KeyId: key.keyId }));
    expect(rotation.KeyRotationEnabled).toBe(false);
  });

  it("the sweep reports the key once and does not fail: no inventory error, no assessment error", async () => {
    const key = await otherAccountKey(false);
    const seed = new Seeder();
    const own = (await new KMSClient({ region: REGION }).send(new CreateKeyCommand({}))).KeyMetadata!;
    const foreignFs = await seed.fileSystem({ encrypted: true, kmsKeyId: key.arn });
    await seed.fileSystem({ encrypted: true, kmsKeyId: own.Arn! });
    const deps = testDeps();
    const report = await sweepRegion([guards().key], REGION, deps);
    expect(report.errors).toEqual([]);
    const foreign = report.results.filter((r) => r.finding.resource.id === key.keyId);
    expect(foreign.map((r) => [r.finding.control, r.outcome])).toEqual([["efs-key-usable", "alerted"]]);
    expect(foreign[0]?.finding.evidence).toMatchObject({
      keyAccount: OTHER,
      fileSystems: [foreignFs],
      assessable: false,
    });
    // The home account's key is assessed as before.
    expect(report.results.filter((r) => r.finding.resource.id === own.KeyId).map((r) => r.finding.control)).toEqual([
      "efs-key-usable",
      "efs-key-rotation-enabled",
      "efs-key-policy-restricted",
    ]);
  });

  it("the sweep, in keyAccounts and readable: the key policy cannot be assessed (KMS serves GetKeyPolicy to its owner only), never asked for", async () => {
    const key = await otherAccountKey(true);
    const seed = new Seeder();
    const fileSystemId = await seed.fileSystem({ encrypted: true, kmsKeyId: key.arn });
    const deps = testDeps({ keyAccounts: [OTHER] });
    const report = await sweepRegion([guards().key], REGION, deps, { account: HOME });
    expect(report.errors).toEqual([]);
    const found = report.results.filter((r) => r.finding.resource.id === key.keyId);
    expect(found.map((r) => [r.finding.control, r.finding.verdict, r.outcome])).toEqual([
      ["efs-key-usable", "compliant", "compliant"],
      ["efs-key-rotation-enabled", "non-compliant", "alerted"],
      ["efs-key-policy-restricted", "non-compliant", "alerted"],
    ]);
    const policy = found[2]!.finding;
    // Neither compliant nor judged non-compliant on its text: a medium alert that says why and where to run EFS Guard.
    expect(policy.summary).toBe(
      `${key.keyId}, the key of ${fileSystemId} in account ${OTHER}, cannot be assessed: KMS does not serve GetKeyPolicy across accounts, so who may decrypt cannot be verified from here; run EFS Guard in account ${OTHER}, which owns the key`,
    );
    expect(policy.severity).toBe("medium");
    expect(policy.plan).toBeUndefined();
    expect(policy.evidence).toMatchObject({ keyAccount: OTHER, fileSystems: [fileSystemId], assessable: false });
    expect(policy.resource).toMatchObject({ type: "kms-key", account: OTHER });
    // The other account's key was never asked for its policy (it would only answer AccessDenied), nor its tags.
    expect(kmsCalls()).not.toContain("GetKeyPolicy");
    expect(kmsCalls()).not.toContain("ListResourceTags");
    expect(deps.notifier.published.map((p) => p.result.finding.control).sort()).toEqual([
      "efs-key-policy-restricted",
      "efs-key-rotation-enabled",
    ]);
  });
});
