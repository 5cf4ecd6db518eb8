import { EFSClient } from "@aws-sdk/client-efs";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { kmsClient } from "../../shared/aws/kms.js";
import { parseConfig } from "../../shared/config/schema.js";
import { allGuards } from "../../shared/guards/index.js";
import { kmsKeyGuard } from "../../shared/guards/kms-key.js";
import { snsNotifier } from "../../shared/notify/sns.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import { SWEEP_CONCURRENCY, sweepRegion } from "../../shared/pipeline/sweep.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { fixedClock } from "../../shared/runtime/clock.js";
import { FunctionHost } from "../emulator/host.js";
import { type CfnTemplate, synthTemplate } from "../emulator/template.js";
import { testDeps } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";
import { KeySeeder } from "../support/seed-kms.js";

let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

/**
 * An account with a mix: an NFS-open group, a VPC-only group, an exempt open group; a key without rotation, a
 * compliant key, a disabled key, a key that encrypts nothing, and a file system on the AWS managed key.
 */
async function mixedAccount() {
  const seed = new KeySeeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const open = await seed.securityGroup(vpcId, "open");
  const internal = await seed.securityGroup(vpcId, "internal");
  const exempt = await seed.securityGroup(vpcId, "exempt", { "efs-guard:exempt": "efs-nfs-ingress-restricted" });
  const openRule = await seed.nfsFrom(open, "0.0.0.0/0");
  const internalRule = await seed.nfsFrom(internal, "10.0.0.0/16");
  const exemptRule = await seed.nfsFrom(exempt, "0.0.0.0/0");
  const noRotation = await seed.keyWithFileSystem();
  const rotating = await seed.keyWithFileSystem({ rotation: 365 });
  const disabled = await seed.keyWithFileSystem({ rotation: 365 });
  await seed.disable(disabled.keyId);
  const unused = await seed.key();
  const managedFs = await seed.fileSystem({ encrypted: true });
  await seed.mountTarget(noRotation.fileSystemId, subnets[0]!, [open]);
  await seed.mountTarget(rotating.fileSystemId, subnets[0]!, [internal]);
  await seed.mountTarget(managedFs, subnets[0]!, [exempt]);
  return { seed, open, internal, exempt, openRule, internalRule, exemptRule, noRotation, rotating, disabled, unused };
}

describe("scheduled sweep: every guard over a seeded account, through the sweep function's handler", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });

  it("remediates what is wrong, alerts once per non-compliant finding, sends one summary; a second run does nothing new", async () => {
    const a = await mixedAccount();
    process.env.ALERTS_TOPIC_ARN = host.alertsTopicArn;
    const { createHandler } = await import("../../functions/sweep/handler.js");
    const deps: PipelineDeps = {
      config: parseConfig({}),
      clock: fixedClock("2026-11-26T12:00:00Z"),
      notifier: snsNotifier(host.alertsTopicArn),
    };
    const handler = createHandler(allGuards(), deps, "us-east-1");
    const summary = await handler({}, {} as any);

    // Emulator state: exactly the open rule revoked, rotation on for the key without it, nothing else touched.
    expect((await a.seed.ingressRules(a.open)).map((r) => r.SecurityGroupRuleId)).toEqual([]);
    expect((await a.seed.ingressRules(a.internal)).map((r) => r.SecurityGroupRuleId)).toEqual([a.internalRule]);
    expect((await a.seed.ingressRules(a.exempt)).map((r) => r.SecurityGroupRuleId)).toEqual([a.exemptRule]);
    expect(await a.seed.rotation(a.noRotation.keyId)).toEqual({ enabled: true, period: 365 });
    expect(await a.seed.state(a.disabled.keyId)).toBe("Disabled");
    expect(await a.seed.rotation(a.unused.keyId)).toEqual({ enabled: false, period: undefined });

    expect(summary).toMatchObject({
      regions: ["us-east-1"],
      counts: {
        "efs-nfs-ingress-restricted": { remediated: 1, compliant: 1, exempt: 1 },
        "efs-key-rotation-enabled": { remediated: 1, compliant: 1, "not-applicable": 1 },
        "efs-key-usable": { compliant: 2, alerted: 1 },
      },
      nonCompliant: 4,
      remediated: 2,
      failed: 0,
      errors: [],
    });

    const alerts = await host.alerts();
    const byControl = alerts
      .map(
        (x) => `${x.attributes.control}:${x.attributes.outcome}:${x.message.metadata.additionalContext.resource ?? ""}`,
      )
      .sort();
    expect(byControl).toEqual(
      [
        `efs-key-rotation-enabled:remediated:${a.noRotation.keyId}`,
        `efs-key-usable:alerted:${a.disabled.keyId}`,
        `efs-nfs-ingress-restricted:exempt:${a.exempt}`,
        `efs-nfs-ingress-restricted:remediated:${a.open}`,
        "sweep:summary:",
      ].sort(),
    );
    const finding = alerts.find((x) => x.attributes.outcome === "remediated")!;
    expect(finding.message.content.description).toContain("found by the scheduled sweep");
    expect(finding.message.metadata.eventType).toBe("ScheduledSweep");
    const summaryAlert = alerts.find((x) => x.attributes.outcome === "summary")!;
    expect(summaryAlert.attributes).toEqual({ control: "sweep", severity: "info", outcome: "summary" });
    expect(summaryAlert.message.content.title).toContain("4 non-compliant, 2 remediated");
    expect(summaryAlert.message.content.description).toContain("`efs-key-usable`: alerted 1, compliant 2");

    // Idempotent: run again at once; nothing is remediated, the state is unchanged.
    const again = await handler({}, {} as any);
    expect(again.remediated).toBe(0);
    expect(again.counts["efs-nfs-ingress-restricted"]).toEqual({ compliant: 2, exempt: 1 });
    expect(again.counts["efs-key-rotation-enabled"]).toEqual({ compliant: 2, "not-applicable": 1 });
    expect(again.counts["efs-key-usable"]).toEqual({ compliant: 2, alerted: 1 });
    expect((await a.seed.ingressRules(a.internal)).map((r) => r.SecurityGroupRuleId)).toEqual([a.internalRule]);
    expect((await a.seed.ingressRules(a.exempt)).map((r) => r.SecurityGroupRuleId)).toEqual([a.exemptRule]);
    const second = (await host.alerts()).map((x) => x.attributes.outcome).sort();
    expect(second).toEqual(["alerted", "exempt", "summary"]);
  });
});

describe("sweepRegion", () => {
  beforeEach(resetEmulator);

  it("returns every result, in remediate mode and in dry run, for the CLI's scan", async () => {
    const a = await mixedAccount();
    const dry = testDeps({ dryRun: true });
    const report = await sweepRegion(allGuards(), "us-east-1", dry, { account: "123456789012" });
    expect(report.errors).toEqual([]);
    const wouldRemediate = report.results
      .filter((r) => r.outcome === "would-remediate")
      .map((r) => r.finding.resource.id);
    expect(wouldRemediate.sort()).toEqual([a.open, a.noRotation.keyId].sort());
    expect(report.results.every((r) => r.finding.resource.account === "123456789012")).toBe(true);
    // Dry run changed nothing.
    expect((await a.seed.ingressRules(a.open)).map((r) => r.SecurityGroupRuleId)).toEqual([a.openRule]);
    expect(await a.seed.rotation(a.noRotation.keyId)).toEqual({ enabled: false, period: undefined });
  });

  it("a guard whose inventory or assessment fails is reported and the others still run", async () => {
    const a = await mixedAccount();
    const broken: Guard = {
      name: "broken",
      events: [],
      inventory: async () => {
        throw new Error("inventory exploded");
      },
      assess: async () => [],
      remediate: async () => ({ status: "done" }),
    };
    const flaky: Guard = {
      name: "flaky",
      events: [],
      inventory: async () => [
        { type: "file-system", fileSystemId: "fs-1" },
        { type: "file-system", fileSystemId: "fs-2" },
      ],
      assess: async (t) => {
        if (t.type === "file-system" && t.fileSystemId === "fs-2") throw new Error("fs-2 unreadable");
        return [];
      },
      remediate: async () => ({ status: "done" }),
    };
    const deps = testDeps();
    const report = await sweepRegion([broken, flaky, ...allGuards()], "us-east-1", deps);
    expect(report.errors.map((e) => [e.guard, e.resource ?? null, e.message])).toEqual([
      ["broken", null, "inventory exploded"],
      ["flaky", "fs-2", "fs-2 unreadable"],
    ]);
    expect(await a.seed.rotation(a.noRotation.keyId)).toEqual({ enabled: true, period: 365 });
    expect(report.results.some((r) => r.outcome === "remediated")).toBe(true);
  });

  it("reads many resources with bounded concurrency and pages through more than 100 file systems", async () => {
    const seed = new KeySeeder();
    const big = await seed.key();
    for (let i = 0; i < 101; i += 1) await seed.fileSystem({ encrypted: true, kmsKeyId: big.arn });
    for (let i = 0; i < 5; i += 1) await seed.keyWithFileSystem();
    // Count DescribeFileSystems calls: with 106 file systems, two pages per listing.
    const efs = new EFSClient({ region: "us-east-1" });
    let pages = 0;
    efs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "DescribeFileSystemsCommand") pages += 1;
        return next(args);
      },
      { step: "initialize" },
    );
    const kms = kmsKeyGuard({ kms: kmsClient, efs: () => efs });
    let running = 0;
    let peak = 0;
    const counting: Guard = {
      ...kms,
      assess: async (...args) => {
        running += 1;
        peak = Math.max(peak, running);
        try {
          return await kms.assess(...args);
        } finally {
          running -= 1;
        }
      },
    };
    const report = await sweepRegion([counting], "us-east-1", testDeps({ dryRun: true }));
    expect(peak).toBe(SWEEP_CONCURRENCY);
    const rotation = report.results.filter((r) => r.finding.control === "efs-key-rotation-enabled");
    expect(rotation.map((r) => r.outcome)).toEqual(Array(6).fill("would-remediate"));
    const bigFinding = rotation.find((r) => r.finding.resource.id === big.keyId)!;
    expect((bigFinding.finding.evidence.fileSystems as string[]).length).toBe(101);
    // One listing for the inventory plus one per key, each 2 pages of at most 100.
    expect(pages).toBe(2 * (1 + 6));
  });
});
