import {
  CreateAccessPointCommand,
  DeleteAccessPointCommand,
  DeleteFileSystemCommand,
  DeleteFileSystemPolicyCommand,
  PutFileSystemPolicyCommand,
} from "@aws-sdk/client-efs";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import {
  createAccessPointEvent,
  createFileSystemEvent,
  deleteFileSystemPolicyEvent,
  putFileSystemPolicyEvent,
} from "../../events/build.js";
import { efsAccessGuard } from "../../shared/guards/efs-access.js";
import { allGuards } from "../../shared/guards/index.js";
import { sweepRegion } from "../../shared/pipeline/sweep.js";
import { runCli } from "../support/cli.js";
import { exemptUntil, testDeps } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";

const ENTRY = "functions/efs-access/handler.ts";
const ACCOUNT = "123456789012";
const IAM = "efs-iam-authorization-required";
const ROOT = "efs-root-access-restricted";
const AP = "efs-access-point-enforced";
const arnOf = (fs: string) => `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/${fs}`;
const APP_ROLE = `arn:aws:iam::${ACCOUNT}:role/app`;

let template: CfnTemplate;
beforeAll(() => {
  // efs-tls-enforced in alert mode: otherwise the file-system function may write its TLS default policy before this
  // function reads the policy (both orders happen, as in AWS), and the no-policy finding would name that policy.
  template = synthTemplate({ modes: { "efs-tls-enforced": "alert" } });
});

type Alert = { message: any; attributes: Record<string, string> };
const ofAccess = (alerts: Alert[]) => alerts.filter((a) => [IAM, ROOT, AP].includes(a.attributes.control ?? ""));
const summary = (a: Alert | undefined) => a?.message.content.description.split("\n")[0];

async function putPolicy(seed: Seeder, FileSystemId: string, policy: unknown): Promise<string> {
  const Policy = JSON.stringify(policy);
  await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId, Policy }));
  return Policy;
}

async function accessPoint(
  seed: Seeder,
  FileSystemId: string,
  settings: { uid?: number; path?: string; tags?: Record<string, string> },
): Promise<string> {
  const out = await seed.efs.send(
    new CreateAccessPointCommand({
      FileSystemId,
      ClientToken: `ap-${Math.random().toString(36).slice(2)}`,
      ...(settings.uid !== undefined ? { PosixUser: { Uid: settings.uid, Gid: settings.uid } } : {}),
      ...(settings.path ? { RootDirectory: { Path: settings.path } } : {}),
      Tags: Object.entries(settings.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return out.AccessPointId!;
}

const apEvent = (seed: { fs: string; id: string; uid?: number; path?: string }) =>
  createAccessPointEvent({
    accessPointId: seed.id,
    fileSystemId: seed.fs,
    ...(seed.uid !== undefined ? { posixUser: { uid: seed.uid, gid: seed.uid } } : {}),
    ...(seed.path ? { rootDirectory: seed.path } : {}),
  });

describe("efs-access end to end: CloudTrail event -> rule -> efs-access function (its own role) -> alert", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });

  it("CreateFileSystem without a policy: IAM and root alerts (medium, alert only), nothing written", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem({ tags: { Name: "shared" } });
    await host.putEvents([createFileSystemEvent({ fileSystemId: fs })]);
    const invocations = await host.drain();
    const own = invocations.filter((i) => i.entry === ENTRY);
    expect(own.map((i) => i.error)).toEqual([undefined]);
    const alerts = ofAccess(await host.alerts());
    expect(alerts.map((a) => a.attributes).sort((a, b) => a.control!.localeCompare(b.control!))).toEqual([
      { control: IAM, severity: "medium", outcome: "alerted" },
      { control: ROOT, severity: "medium", outcome: "alerted" },
    ]);
    const iam = alerts.find((a) => a.attributes.control === IAM);
    expect(summary(iam)).toBe(
      `*${fs} (shared) has no file system policy: every NFS client that reaches a mount target may mount and write without an IAM identity*`,
    );
    expect(iam?.message.content.keywords).toEqual([IAM, "medium", "alerted"]);
    // The function runs with its own synthesized role (IAM enforced): a call it may not make would be an error here.
  });

  it("PutFileSystemPolicy: a role-only policy is compliant; wildcard tricks are not; DeleteFileSystemPolicy alerts", async () => {
    const seed = new Seeder();
    const good = await seed.fileSystem();
    const tricky = await seed.fileSystem();
    const roleOnly = await putPolicy(seed, good, {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: APP_ROLE },
          Action: [
            "elasticfilesystem:ClientMount",
            "elasticfilesystem:ClientWrite",
            "elasticfilesystem:ClientRootAccess",
          ],
          Resource: arnOf(good),
        },
      ],
    });
    // Looks narrowed: every account's role called app, and root through an ...IfExists operator.
    const wide = await putPolicy(seed, tricky, {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AnyAccountsApp",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: "elasticfilesystem:Client*",
          Resource: arnOf(tricky),
          Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/app" } },
        },
      ],
    });
    await host.putEvents([putFileSystemPolicyEvent(good, roleOnly), putFileSystemPolicyEvent(tricky, wide)]);
    await host.drain();
    const alerts = ofAccess(await host.alerts());
    expect(alerts.map((a) => [a.attributes.control, a.message.metadata.additionalContext.resource]).sort()).toEqual(
      [
        [IAM, tricky],
        [ROOT, tricky],
      ].sort(),
    );
    expect(summary(alerts.find((a) => a.attributes.control === ROOT))).toContain(
      "grants ClientRootAccess to every principal without a principal condition (statement AnyAccountsApp)",
    );

    await seed.efs.send(new DeleteFileSystemPolicyCommand({ FileSystemId: good }));
    await host.putEvents([deleteFileSystemPolicyEvent(good)]);
    await host.drain();
    const after = ofAccess(await host.alerts());
    expect(after.map((a) => [a.attributes.control, a.message.metadata.additionalContext.resource]).sort()).toEqual(
      [
        [IAM, good],
        [ROOT, good],
      ].sort(),
    );
  });

  it("CreateAccessPoint: no POSIX user at / alerts (EFS.3, EFS.4), uid 0 is high, uid 1001 in /app is quiet", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const open = await accessPoint(seed, fs, {});
    const asRoot = await accessPoint(seed, fs, { uid: 0, path: "/data" });
    const good = await accessPoint(seed, fs, { uid: 1001, path: "/app" });
    await host.putEvents([
      apEvent({ fs, id: open }),
      apEvent({ fs, id: asRoot, uid: 0, path: "/data" }),
      apEvent({ fs, id: good, uid: 1001, path: "/app" }),
    ]);
    const invocations = await host.drain();
    expect(invocations.map((i) => i.entry)).toEqual([ENTRY, ENTRY, ENTRY]);
    const alerts = ofAccess(await host.alerts());
    const by = Object.fromEntries(alerts.map((a) => [a.message.metadata.additionalContext.resource, a]));
    expect(Object.keys(by).sort()).toEqual([open, asRoot].sort());
    expect(by[open]?.attributes).toEqual({ control: AP, severity: "medium", outcome: "alerted" });
    expect(by[open]?.message.content.keywords).toEqual([AP, "medium", "alerted", "EFS.3", "EFS.4"]);
    expect(summary(by[open])).toBe(
      `*access point ${open} of ${fs} enforces no POSIX user (clients keep the identity they send) and exposes the file system's root directory (/)*`,
    );
    expect(by[asRoot]?.attributes.severity).toBe("high");
    // The exemption offer names the access point, whose tags exempt it.
    expect(by[open]?.message.content.nextSteps.join(" ")).toContain(`To accept this risk, tag ${open} with`);
  });

  it("an access point's attacker-written name reaches the channel escaped; its exemption tag is honoured", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const loud = await accessPoint(seed, fs, { tags: { Name: "<!channel> <http://evil.example|login> *now*" } });
    const exempt = await accessPoint(seed, fs, {
      tags: { "efs-guard:exempt": AP, "efs-guard:exempt-until": exemptUntil(10) },
    });
    await host.putEvents([apEvent({ fs, id: loud }), apEvent({ fs, id: exempt })]);
    await host.drain();
    const alerts = ofAccess(await host.alerts());
    const by = Object.fromEntries(alerts.map((a) => [a.message.metadata.additionalContext.resource, a]));
    const text = by[loud]!.message.content.description as string;
    expect(text).not.toMatch(/[<>]/);
    expect(text).toContain("&lt;!channel&gt; &lt;http[:]//evil[.]example|login&gt;");
    expect(by[exempt]?.attributes.outcome).toBe("exempt");
  });

  it("a file system deleted before its event is read is not applicable: no alert, no error", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    await seed.efs.send(new DeleteFileSystemCommand({ FileSystemId: fs }));
    await host.putEvents([putFileSystemPolicyEvent(fs, "{}")]);
    const own = (await host.drain()).filter((i) => i.entry === ENTRY);
    expect(own.map((i) => i.error)).toEqual([undefined]);
    expect((own[0] as { result: any }).result.findings.map((f: any) => [f.control, f.verdict])).toEqual([
      [IAM, "not-applicable"],
      [ROOT, "not-applicable"],
    ]);
    expect(ofAccess(await host.alerts())).toEqual([]);
  });

  it("an access point deleted before its event is read is not applicable: no alert, no error", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const gone = await accessPoint(seed, fs, {});
    await seed.efs.send(new DeleteAccessPointCommand({ AccessPointId: gone }));
    await host.putEvents([apEvent({ fs, id: gone })]);
    const invocations = await host.drain();
    expect(invocations.map((i) => [i.entry, i.error])).toEqual([[ENTRY, undefined]]);
    expect(ofAccess(await host.alerts())).toEqual([]);
  });
});

describe("efs-access with its controls off", () => {
  beforeEach(resetEmulator);

  it("evaluates and alerts nothing, and the sweep lists nothing for it", async () => {
    const host = await FunctionHost.deploy(
      synthTemplate({
        modes: {
          "efs-tls-enforced": "alert",
          [IAM]: "off",
          [ROOT]: "off",
          [AP]: "off",
        },
      }),
      { env: { LOG_LEVEL: "WARN" } },
    );
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const open = await accessPoint(seed, fs, {});
    await host.putEvents([createFileSystemEvent({ fileSystemId: fs }), apEvent({ fs, id: open })]);
    const own = (await host.drain()).filter((i) => i.entry === ENTRY);
    expect(own.map((i) => (i.result as any).findings)).toEqual([[], []]);
    expect(ofAccess(await host.alerts())).toEqual([]);
    const off = testDeps({ modes: { [IAM]: "off", [ROOT]: "off", [AP]: "off" } });
    expect((await sweepRegion([efsAccessGuard()], REGION, off, { account: ACCOUNT })).results).toEqual([]);
  });
});

describe("efs-access in the sweep and the scan", () => {
  beforeEach(resetEmulator);

  it("the sweep evaluates every file system's policy and every access point", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const open = await accessPoint(seed, fs, {});
    const good = await accessPoint(seed, fs, { uid: 1001, path: "/app" });
    const report = await sweepRegion([efsAccessGuard()], REGION, testDeps({}), { account: ACCOUNT });
    expect(report.errors).toEqual([]);
    const verdicts = report.results.map((r) => [r.finding.control, r.finding.resource.id, r.finding.verdict]).sort();
    expect(verdicts).toEqual(
      [
        [IAM, fs, "non-compliant"],
        [ROOT, fs, "non-compliant"],
        [AP, open, "non-compliant"],
        [AP, good, "compliant"],
      ].sort(),
    );
    // Every guard together (what `scan` and the deployed sweep run) includes them.
    const all = await sweepRegion(allGuards(), REGION, testDeps({ dryRun: true }), { account: ACCOUNT });
    expect(all.results.filter((r) => [IAM, ROOT, AP].includes(r.finding.control))).toHaveLength(4);
  });

  it("efs-guard scan --json lists the access point and the policy findings", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const open = await accessPoint(seed, fs, { path: "/" });
    const run = await runCli(["scan", "--region", REGION, "--json"]);
    const out = JSON.parse(run.stdout);
    const found = (out.findings as { control: string; resource: string; verdict: string }[])
      .filter((f) => [IAM, ROOT, AP].includes(f.control))
      .map((f) => [f.control, f.resource, f.verdict])
      .sort();
    expect(found).toEqual(
      [
        [IAM, fs, "non-compliant"],
        [ROOT, fs, "non-compliant"],
        [AP, open, "non-compliant"],
      ].sort(),
    );
  });
});
