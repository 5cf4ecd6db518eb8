import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CreateNetworkInterfaceCommand } from "@aws-sdk/client-ec2";
import { DescribeFileSystemPolicyCommand, EFSClient } from "@aws-sdk/client-efs";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deploymentStack, FunctionHost } from "../../emulator/host.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { authorizeIngressEvent } from "../../events/build.js";
import { stackCreationTime } from "../../shared/aws/deployment.js";
import { kmsClient } from "../../shared/aws/kms.js";
import { parseConfig } from "../../shared/config/schema.js";
import { allGuards } from "../../shared/guards/index.js";
import { kmsKeyGuard } from "../../shared/guards/kms-key.js";
import { topicSender } from "../../shared/notify/publish.js";
import { snsNotifier } from "../../shared/notify/sns.js";
import { withSweepSummary } from "../../shared/notify/sweep-notifier.js";
import { type PipelineDeps, processEvent } from "../../shared/pipeline/run.js";
import { SWEEP_CONCURRENCY, sweepRegion } from "../../shared/pipeline/sweep.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { fixedClock } from "../../shared/runtime/clock.js";
import { testDeps } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";
import { KeySeeder } from "../support/seed-kms.js";

let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

async function policyOf(seed: KeySeeder, FileSystemId: string): Promise<string | undefined> {
  try {
    return (await seed.efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId }))).Policy;
  } catch (error) {
    if ((error as Error).name === "PolicyNotFound") return undefined;
    throw error;
  }
}

/**
 * An account with a mix: an NFS-open group, a VPC-only group, an exempt open group; a key without rotation, a
 * compliant key, a disabled key, a key that encrypts nothing, and a file system on the AWS managed key.
 * The four file systems are left as CreateFileSystem leaves them (no file system policy, no backup policy), so
 * the file-system guard's findings are part of the picture and asserted exactly: each lacks the TLS deny and
 * backups, none has a public policy, and only the one on the AWS managed key fails encryption at rest.
 */
async function mixedAccount() {
  const seed = new KeySeeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const open = await seed.securityGroup(vpcId, "open");
  const internal = await seed.securityGroup(vpcId, "internal");
  const exempt = await seed.securityGroup(vpcId, "exempt", {
    "efs-guard:exempt": "efs-nfs-ingress-restricted",
    "efs-guard:exempt-until": "2026-12-31",
  });
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
  const fileSystems = [noRotation.fileSystemId, rotating.fileSystemId, disabled.fileSystemId, managedFs];
  return {
    seed,
    subnets,
    open,
    internal,
    exempt,
    openRule,
    internalRule,
    exemptRule,
    noRotation,
    rotating,
    disabled,
    unused,
    managedFs,
    fileSystems,
  };
}

describe("scheduled sweep: every guard over a seeded account, through the sweep function's handler", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    // After the observe period (the next describe covers it): a stack deployed with observeDays 0.
    host = await FunctionHost.deploy(synthTemplate({ observeDays: 0 }), { env: { LOG_LEVEL: "WARN" } });
  });

  it("remediates what is wrong, alerts once per non-compliant finding, sends one summary; a second run does nothing new", async () => {
    const a = await mixedAccount();
    // The deployed sweep: its bundle, its environment, its role's credentials (what the schedule invokes).
    const sweep = () => host.invoke("functions/sweep/handler.ts", {}) as Promise<any>;
    const summary = await sweep();

    // Emulator state: exactly the open rule revoked, rotation on for the key without it, nothing else touched.
    expect((await a.seed.ingressRules(a.open)).map((r) => r.SecurityGroupRuleId)).toEqual([]);
    expect((await a.seed.ingressRules(a.internal)).map((r) => r.SecurityGroupRuleId)).toEqual([a.internalRule]);
    expect((await a.seed.ingressRules(a.exempt)).map((r) => r.SecurityGroupRuleId)).toEqual([a.exemptRule]);
    expect(await a.seed.rotation(a.noRotation.keyId)).toEqual({ enabled: true, period: 365 });
    expect(await a.seed.state(a.disabled.keyId)).toBe("Disabled");
    expect(await a.seed.rotation(a.unused.keyId)).toEqual({ enabled: false, period: undefined });

    // Every file system now carries the TLS deny; backups stay as they were (alert mode by default).
    for (const fs of a.fileSystems) expect(await policyOf(a.seed, fs)).toContain("aws:SecureTransport");

    // Non-compliant: 1 open group + 1 exempt group, 1 key without rotation, 1 disabled key, 4 file systems
    // without the TLS deny, 4 without backups, 1 on the AWS managed key, and 4 + 4 whose clients need no IAM identity
    // and keep root (no policy, or the console's pair the TLS remediation writes: either way, alert only) = 21.
    // Remediated: the group, the key and the 4 TLS policies = 6. Failed: the migration of the AWS-managed-key file system, whose workflow is not
    // deployed in this test (the state machine the function's environment names does not exist).
    expect(summary).toMatchObject({
      regions: ["us-east-1"],
      nonCompliant: 21,
      remediated: 6,
      failed: 1,
      errors: [],
    });
    expect(summary.counts).toEqual({
      "efs-nfs-ingress-restricted": { remediated: 1, compliant: 1, exempt: 1 },
      "efs-key-rotation-enabled": { remediated: 1, compliant: 1, "not-applicable": 1 },
      "efs-key-usable": { compliant: 2, alerted: 1 },
      "efs-key-policy-restricted": { compliant: 3 },
      // Every mount target of the seeded file systems is in a private subnet (the seeded VPC has no gateway).
      "efs-mount-target-private": { compliant: 3 },
      "efs-tls-enforced": { remediated: 4 },
      "efs-backup-enabled": { alerted: 4 },
      "efs-policy-not-public": { compliant: 4 },
      "efs-encrypted-at-rest": { compliant: 3, "remediation-failed": 1 },
      "efs-iam-authorization-required": { alerted: 4 },
      "efs-root-access-restricted": { alerted: 4 },
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
        ...a.fileSystems.map((fs) => `efs-tls-enforced:remediated:${fs}`),
        ...a.fileSystems.map((fs) => `efs-backup-enabled:alerted:${fs}`),
        ...a.fileSystems.map((fs) => `efs-iam-authorization-required:alerted:${fs}`),
        ...a.fileSystems.map((fs) => `efs-root-access-restricted:alerted:${fs}`),
        `efs-encrypted-at-rest:remediation-failed:${a.managedFs}`,
        "sweep:summary:",
      ].sort(),
    );
    const finding = alerts.find(
      (x) => x.attributes.outcome === "remediated" && x.attributes.control === "efs-nfs-ingress-restricted",
    )!;
    expect(finding.message.content.description).toContain("found by the scheduled sweep");
    expect(finding.message.metadata.eventType).toBe("ScheduledSweep");
    const summaryAlert = alerts.find((x) => x.attributes.outcome === "summary")!;
    // A failed remediation (the migration) raises the summary from info to high.
    expect(summaryAlert.attributes).toEqual({ control: "sweep", severity: "high", outcome: "summary" });
    expect(summaryAlert.message.content.title).toContain("21 non-compliant, 6 remediated");
    expect(summaryAlert.message.content.description).toContain("`efs-key-usable`: alerted 1, compliant 2");

    // Idempotent: run again at once; nothing is remediated, the state is unchanged.
    const again = await sweep();
    expect(again.remediated).toBe(0);
    expect(again.counts["efs-nfs-ingress-restricted"]).toEqual({ compliant: 2, exempt: 1 });
    expect(again.counts["efs-key-rotation-enabled"]).toEqual({ compliant: 2, "not-applicable": 1 });
    expect(again.counts["efs-key-usable"]).toEqual({ compliant: 2, alerted: 1 });
    expect(again.counts["efs-tls-enforced"]).toEqual({ compliant: 4 });
    expect(again.counts["efs-backup-enabled"]).toEqual({ alerted: 4 });
    expect(again.counts["efs-policy-not-public"]).toEqual({ compliant: 4 });
    expect(again.counts["efs-encrypted-at-rest"]).toEqual({ compliant: 3, "remediation-failed": 1 });
    expect(again.counts["efs-iam-authorization-required"]).toEqual({ alerted: 4 });
    expect((await a.seed.ingressRules(a.internal)).map((r) => r.SecurityGroupRuleId)).toEqual([a.internalRule]);
    expect((await a.seed.ingressRules(a.exempt)).map((r) => r.SecurityGroupRuleId)).toEqual([a.exemptRule]);
    const second = (await host.alerts()).map((x) => `${x.attributes.control}:${x.attributes.outcome}`).sort();
    // Alert-mode findings and the failed migration are reported again on every sweep, but a second sweep within
    // alertDedupWindowMinutes finds them identical to the first one's: merged (counted), only the summary goes out.
    // Except the access controls: the first sweep read each policy once for every guard (the shared inventory,
    // issue 17), before its TLS remediation, and found none; now they read the console's pair that the remediation
    // wrote, another fact (still no IAM identity needed, root for every client), hence a new alert each.
    expect(second).toEqual(
      [
        ...a.fileSystems.map(() => "efs-iam-authorization-required:alerted"),
        ...a.fileSystems.map(() => "efs-root-access-restricted:alerted"),
        "sweep:summary",
      ].sort(),
    );
  });
});

describe("observe period after the first deploy (issue 11 item 7)", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });

  it("the sweep only reports until observeDays after the stack's creation; events are remediated at once; then it remediates", async () => {
    const a = await mixedAccount();
    process.env.ALERTS_TOPIC_ARN = host.alertsTopicArn;
    const { createHandler } = await import("../../functions/sweep/handler.js");
    // The stack as CloudFormation records it; the sweep reads its creation time, as the deployed one does.
    const cfn = new CloudFormationClient({ region: "us-east-1" });
    const stackId = await deploymentStack({ region: "us-east-1" });
    const deployedAt = () => stackCreationTime(cfn, stackId);
    const created = (await deployedAt()).getTime();
    const day = 86_400_000;
    const deps = (at: number): PipelineDeps => ({
      config: parseConfig({}),
      clock: fixedClock(new Date(at).toISOString()),
      notifier: withSweepSummary(snsNotifier(host.alertsTopicArn), topicSender(host.alertsTopicArn)),
    });

    const first = await createHandler(allGuards(), deps(created + 2 * day), "us-east-1", deployedAt)({}, {} as any);
    expect(first.observe).toEqual({ until: new Date(created + 7 * day).toISOString() });
    expect(first.remediated).toBe(0);
    expect(first.counts["efs-nfs-ingress-restricted"]).toEqual({ "would-remediate": 1, compliant: 1, exempt: 1 });
    expect(first.counts["efs-tls-enforced"]).toEqual({ "would-remediate": 4 });
    expect(first.counts["efs-key-rotation-enabled"]).toEqual({
      "would-remediate": 1,
      compliant: 1,
      "not-applicable": 1,
    });
    // No migration was asked for (it would have failed here: the workflow is not deployed in this test).
    expect(first.counts["efs-encrypted-at-rest"]).toEqual({ compliant: 3, "would-remediate": 1 });
    // Nothing changed.
    expect((await a.seed.ingressRules(a.open)).map((r) => r.SecurityGroupRuleId)).toEqual([a.openRule]);
    expect(await a.seed.rotation(a.noRotation.keyId)).toEqual({ enabled: false, period: undefined });
    for (const fs of a.fileSystems) expect(await policyOf(a.seed, fs)).toBeUndefined();
    const alerts = await host.alerts();
    const open = alerts.find((x) => x.message.metadata.additionalContext.resource === a.open)!;
    expect(open.attributes.outcome).toBe("would-remediate");
    expect(open.message.content.description).toContain("observe period after the first deploy");
    const summaryAlert = alerts.find((x) => x.attributes.outcome === "summary")!;
    expect(summaryAlert.message.content.title).toContain(
      "sweep (observe period): 21 non-compliant, 7 would be remediated",
    );
    expect(summaryAlert.message.content.description).toContain(
      `*Observe period* after the first deploy, until ${new Date(created + 7 * day).toISOString().slice(0, 10)}`,
    );

    // A change seen as an event is remediated at once, observe period or not.
    const nfs = allGuards().find((g) => g.name === "nfs-ingress")!;
    const event = await processEvent(
      authorizeIngressEvent({ groupId: a.open, ruleId: a.openRule, cidr: "0.0.0.0/0" }),
      nfs,
      deps(created + 2 * day),
    );
    expect(event.findings.map((f) => f.outcome)).toEqual(["remediated"]);
    expect(await a.seed.ingressRules(a.open)).toEqual([]);

    // When the deploy time cannot be read, the sweep stays on the safe side and says why.
    const blind = await createHandler(allGuards(), deps(created + 30 * day), "us-east-1", async () => {
      throw new Error("AccessDenied: not authorized to perform cloudformation:DescribeStacks");
    })({}, {} as any);
    expect(blind.remediated).toBe(0);
    expect(blind.observe?.until).toBe("unknown");
    expect(blind.observe?.reason).toContain("could not be read: AccessDenied");

    // After the period the sweep remediates.
    const after = await createHandler(allGuards(), deps(created + 8 * day), "us-east-1", deployedAt)({}, {} as any);
    expect(after.observe).toBeUndefined();
    expect(after.counts["efs-tls-enforced"]).toEqual({ remediated: 4 });
    expect(await a.seed.rotation(a.noRotation.keyId)).toEqual({ enabled: true, period: 365 });
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
    // The group, the key, the TLS deny on every file system, and the migration of the one on the AWS managed key.
    expect(wouldRemediate.sort()).toEqual([a.open, a.noRotation.keyId, ...a.fileSystems, a.managedFs].sort());
    expect(report.results.every((r) => r.finding.resource.account === "123456789012")).toBe(true);
    // Dry run changed nothing.
    expect((await a.seed.ingressRules(a.open)).map((r) => r.SecurityGroupRuleId)).toEqual([a.openRule]);
    expect(await a.seed.rotation(a.noRotation.keyId)).toEqual({ enabled: false, period: undefined });
    for (const fs of a.fileSystems) expect(await policyOf(a.seed, fs)).toBeUndefined();
  });

  it("the shared inventory changes no finding: the same results as each guard's own inventory and reads (issue 17)", async () => {
    const a = await mixedAccount();
    // A forged mount-target interface (a caller's, with a mount target's description) on the open group too.
    await a.seed.ec2.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: a.subnets[0]!,
        Groups: [a.open],
        Description: `EFS mount target for ${a.managedFs} (fsmt-0123456789abcdef0)`,
      }),
    );
    const dry = testDeps({ dryRun: true });
    const own = allGuards().map(({ sweep: _, ...guard }) => guard);
    const view = (report: Awaited<ReturnType<typeof sweepRegion>>) =>
      report.results
        .map((r) => ({ finding: r.finding, outcome: r.outcome, action: r.action, detail: r.detail }))
        .sort((x, y) =>
          `${x.finding.control}/${x.finding.resource.id}`.localeCompare(
            `${y.finding.control}/${y.finding.resource.id}`,
          ),
        );
    const before = await sweepRegion(own, "us-east-1", dry, { account: "123456789012" });
    const after = await sweepRegion(allGuards(), "us-east-1", dry, { account: "123456789012" });
    expect(before.errors).toEqual([]);
    expect(after.errors).toEqual([]);
    // 3 groups, 3 keys x 3 controls, 4 file systems x (4 file-system + 2 access controls); no access point; the 3
    // file systems with mount targets x efs-mount-target-private.
    expect(after.results).toHaveLength(3 + 3 * 3 + 4 * 6 + 3);
    expect(view(after)).toEqual(view(before));
  });

  it("a guard whose inventory or assessment fails is reported and the others still run", async () => {
    const a = await mixedAccount();
    const broken: Guard = {
      name: "broken",
      events: {},
      inventory: async () => {
        throw new Error("inventory exploded");
      },
      assess: async () => [],
      remediate: async () => ({ status: "done" }),
    };
    const flaky: Guard = {
      name: "flaky",
      events: {},
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
