import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DeleteFileSystemPolicyCommand,
  DescribeBackupPolicyCommand,
  DescribeFileSystemPolicyCommand,
  ModifyMountTargetSecurityGroupsCommand,
  PutBackupPolicyCommand,
  PutFileSystemPolicyCommand,
} from "@aws-sdk/client-efs";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../../emulator/host.js";
import { REGION, Seeder } from "../../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../../emulator/template.js";
import {
  authorizeIngressEvent,
  createMountTargetEvent,
  deleteFileSystemPolicyEvent,
  kmsKeyEvent,
  modifyMountTargetSecurityGroupsEvent,
  modifyRulesEvent,
  putBackupPolicyEvent,
  putFileSystemPolicyEvent,
} from "../../../events/build.js";
import { assessTls, consoleDefaultPolicy, parsePolicy, tlsDenyStatement } from "../../../shared/controls/policy.js";
import { nfsIngressGuard } from "../../../shared/guards/nfs-ingress.js";
import { processEvent } from "../../../shared/pipeline/run.js";
import { ACCESS_ENTRY, withoutAccessControls } from "../../support/access-off.js";
import { testDeps } from "../../support/deps.js";
import { resetEmulator } from "../../support/emulator.js";
import { KeySeeder } from "../../support/seed-kms.js";

/** Duplicate and concurrent deliveries, and the guard's own events: one remediation, no error, no loop. */
// efs-backup-enabled alerts by default; remediate mode here so its trigger has a remediation to duplicate. The
// stack is synthesized with it, so the function's role holds the write (it is granted only in remediate mode).
let template: CfnTemplate;
beforeAll(() => {
  // The alert-only controls that share these events with a remediating one are off too: efs-mount-target-private
  // (CreateMountTarget, mount-targets function) and efs-policy-not-public (PutFileSystemPolicy, file-system
  // function). Under the default tlsEnforcement the TLS events then find nothing in the file-system function:
  // ecs-clients writes the deny, after the lookup of the file system's ECS clients.
  template = synthTemplate(
    withoutAccessControls({
      modes: { "efs-backup-enabled": "remediate", "efs-mount-target-private": "off", "efs-policy-not-public": "off" },
    }),
  );
});

let host: FunctionHost;
beforeEach(async () => {
  await resetEmulator();
  host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "CRITICAL" } });
});

async function account() {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId);
  const fileSystemId = await seed.fileSystem();
  const mountTargetId = await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
  const inside = await seed.nfsFrom(groupId, "10.0.0.0/16");
  return { seed, vpcId, subnets, groupId, fileSystemId, mountTargetId, inside };
}
type Account = Awaited<ReturnType<typeof account>>;

/**
 * A change made in the emulator, the CloudTrail event it produces, and a check of the state it must end in.
 * `conditional`: the remediating call itself refuses a second application (RevokeSecurityGroupRules on a rule
 * already gone), so of simultaneous duplicates exactly one can say "remediated". The other remediations are
 * plain puts (PutFileSystemPolicy, PutBackupPolicy, EnableKeyRotation): AWS offers no conditional form, so
 * duplicates that re-read before any of them wrote all write the same thing, and each truthfully reports it.
 */
interface Change {
  event: any;
  converged: () => Promise<void>;
  conditional?: boolean;
}

async function nfsChange(make: (a: Account, rule: string) => Promise<any>): Promise<Change> {
  const a = await account();
  const open = await a.seed.nfsFrom(a.groupId, "0.0.0.0/0");
  const event = await make(a, open);
  return {
    event,
    conditional: true,
    converged: async () =>
      expect((await a.seed.ingressRules(a.groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([a.inside]),
  };
}

const ACCOUNT = "123456789012";
const arnOf = (fs: string) => `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/${fs}`;
const appStatement = (fs: string, sid = "AppRole", role = "app") => ({
  Sid: sid,
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/${role}` },
  Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
  Resource: arnOf(fs),
});
const policyText = (statements: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

async function policyOf(seed: Seeder, FileSystemId: string): Promise<string | undefined> {
  try {
    return (await seed.efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId }))).Policy;
  } catch (error) {
    if ((error as Error).name === "PolicyNotFound") return undefined;
    throw error;
  }
}

/** The live policy denies non-TLS access and still holds every statement in `kept`, unchanged. */
async function expectTlsWith(seed: Seeder, fs: string, kept: unknown[]) {
  const parsed = parsePolicy(await policyOf(seed, fs));
  if (parsed.status !== "ok") throw new Error(`policy of ${fs}: ${parsed.status}`);
  expect(assessTls(parsed.statements, arnOf(fs)).enforced).toBe(true);
  for (const statement of kept) expect(parsed.statements).toContainEqual(statement);
}

/** Each trigger of every control that remediates, as the event its change produces. */
const TRIGGERS: [string, () => Promise<Change>][] = [
  [
    "AuthorizeSecurityGroupIngress",
    () => nfsChange(async (a, rule) => authorizeIngressEvent({ groupId: a.groupId, ruleId: rule, cidr: "0.0.0.0/0" })),
  ],
  [
    "ModifySecurityGroupRules",
    () =>
      nfsChange(async (a, rule) =>
        modifyRulesEvent(a.groupId, rule, { IpProtocol: "tcp", FromPort: 2049, ToPort: 2049, CidrIpv4: "0.0.0.0/0" }),
      ),
  ],
  [
    "CreateMountTarget",
    () =>
      nfsChange(async (a) =>
        createMountTargetEvent({
          fileSystemId: a.fileSystemId,
          mountTargetId: a.mountTargetId,
          subnetId: a.subnets[0]!,
          securityGroups: [a.groupId],
        }),
      ),
  ],
  [
    "ModifyMountTargetSecurityGroups",
    () =>
      nfsChange(async (a) => {
        await a.seed.efs.send(
          new ModifyMountTargetSecurityGroupsCommand({ MountTargetId: a.mountTargetId, SecurityGroups: [a.groupId] }),
        );
        return modifyMountTargetSecurityGroupsEvent(a.mountTargetId, [a.groupId]);
      }),
  ],
  [
    "PutFileSystemPolicy that removes the TLS deny",
    async () => {
      const seed = new Seeder();
      const fs = await seed.fileSystem();
      const app = appStatement(fs);
      const compliant = policyText([app, tlsDenyStatement(arnOf(fs))]);
      await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fs, Policy: compliant }));
      const without = policyText([app]);
      await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fs, Policy: without }));
      return { event: putFileSystemPolicyEvent(fs, without), converged: () => expectTlsWith(seed, fs, [app]) };
    },
  ],
  [
    "DeleteFileSystemPolicy",
    async () => {
      const seed = new Seeder();
      const fs = await seed.fileSystem();
      const policy = JSON.stringify(consoleDefaultPolicy(arnOf(fs)));
      await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fs, Policy: policy }));
      await seed.efs.send(new DeleteFileSystemPolicyCommand({ FileSystemId: fs }));
      return {
        event: deleteFileSystemPolicyEvent(fs),
        converged: async () => expect(JSON.parse((await policyOf(seed, fs))!)).toEqual(consoleDefaultPolicy(arnOf(fs))),
      };
    },
  ],
  [
    "PutBackupPolicy DISABLED",
    async () => {
      const seed = new Seeder();
      const fs = await seed.fileSystem();
      await seed.efs.send(new PutBackupPolicyCommand({ FileSystemId: fs, BackupPolicy: { Status: "DISABLED" } }));
      return {
        event: putBackupPolicyEvent(fs, "DISABLED"),
        converged: async () => {
          const out = await seed.efs.send(new DescribeBackupPolicyCommand({ FileSystemId: fs }));
          expect(["ENABLED", "ENABLING"]).toContain(out.BackupPolicy?.Status);
        },
      };
    },
  ],
  [
    "DisableKeyRotation",
    async () => {
      const seed = new KeySeeder();
      const key = await seed.keyWithFileSystem({ rotation: 365 });
      await seed.disableRotation(key.keyId);
      return {
        event: kmsKeyEvent("DisableKeyRotation", { sent: key.keyId, keyArn: key.arn }),
        converged: async () => expect(await seed.rotation(key.keyId)).toEqual({ enabled: true, period: 365 }),
      };
    },
  ],
];

/**
 * An event also reaches functions with nothing to evaluate on it here: efs-access (its controls are off,
 * support/access-off.ts), mount-targets (off above) and, on the TLS events, the file-system function (the deny is
 * ecs-clients' then, efs-policy-not-public being off). Their deliveries must not fail and must find nothing; the assertions below are about the guard
 * that remediates, whose deliveries always report a finding.
 */
function remediating<T extends { entry: string; error?: unknown; result?: unknown }>(invocations: T[]): T[] {
  const idle = (i: T) => i.error === undefined && (i.result as any).findings.length === 0;
  for (const access of invocations.filter((i) => i.entry === ACCESS_ENTRY)) expect(idle(access)).toBe(true);
  return invocations.filter((i) => !idle(i));
}

const remediatedOutcomes = (invocations: { result?: unknown }[]) =>
  invocations.flatMap((i) => (i.result as any).findings.map((f: any) => f.outcome as string));

describe("the same event delivered three times at once", () => {
  it.each(TRIGGERS)(
    "%s: no error, the state converges, one remediation (or identical writes under one alert id)",
    async (_, change) => {
      const { event, converged, conditional } = await change();
      await host.putEvents([event, event, event]);
      const invocations = remediating(await host.drain({ concurrency: 3 }));

      expect(invocations).toHaveLength(3);
      expect(invocations.map((i) => i.error)).toEqual([undefined, undefined, undefined]);
      const outcomes = remediatedOutcomes(invocations);
      for (const o of outcomes) expect(["remediated", "already-remediated", "compliant"]).toContain(o);
      const remediated = outcomes.filter((o) => o === "remediated").length;
      if (conditional) expect(remediated).toBe(1);
      else expect(remediated).toBeGreaterThanOrEqual(1);
      const alerts = await host.alerts();
      expect(alerts.map((x) => x.attributes.outcome)).not.toContain("remediation-failed");
      const remediatedAlerts = alerts.filter((x) => x.attributes.outcome === "remediated");
      // Identical writes give identical alerts: merged into one by the alerts function (alertDedupWindowMinutes),
      // and they carry one alert id (event:control:resource) anyway, which a chat or ticket consumer can fold.
      expect(remediatedAlerts).toHaveLength(1);
      expect(new Set(remediatedAlerts.map((x) => x.message.id)).size).toBe(1);
      await converged();
    },
  );
});

describe("the same event redelivered after the first delivery was handled", () => {
  it.each(TRIGGERS)("%s: exactly one remediation, the redeliveries find it compliant", async (_, change) => {
    const { event, converged } = await change();
    await host.putEvents([event, event, event]);
    const invocations = remediating(await host.drain({ concurrency: 1 }));
    expect(invocations.map((i) => i.error)).toEqual([undefined, undefined, undefined]);
    const outcomes = remediatedOutcomes(invocations);
    expect(outcomes.filter((o) => o === "remediated")).toHaveLength(1);
    for (const o of outcomes) expect(["remediated", "compliant"]).toContain(o);
    expect((await host.alerts()).map((x) => x.attributes.outcome)).toEqual(["remediated"]);
    await converged();
  });
});

describe("two different events for the same resource at once", () => {
  it("two ingress rules added together, two events: both rules revoked, no error", async () => {
    const a = await account();
    const world = await a.seed.nfsFrom(a.groupId, "0.0.0.0/0");
    const v6 = await a.seed.nfsFrom(a.groupId, "::/0");
    await host.putEvents([
      authorizeIngressEvent({ groupId: a.groupId, ruleId: world, cidr: "0.0.0.0/0" }),
      authorizeIngressEvent({ groupId: a.groupId, ruleId: v6, cidr: "::/0" }),
    ]);
    const invocations = remediating(await host.drain({ concurrency: 2 }));
    expect(invocations.map((i) => i.error)).toEqual([undefined, undefined]);
    expect((await a.seed.ingressRules(a.groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([a.inside]);
    const alerts = await host.alerts();
    const claimed = alerts
      .filter((x) => ["remediated", "already-remediated"].includes(x.attributes.outcome ?? ""))
      .flatMap((x) => String(x.message.metadata.additionalContext.ruleIds).split(","));
    expect(new Set(claimed)).toEqual(new Set([world, v6]));
  });

  it("a rule added while the first event is being handled is caught by its own event", async () => {
    const a = await account();
    const first = await a.seed.nfsFrom(a.groupId, "0.0.0.0/0");
    await host.putEvents([authorizeIngressEvent({ groupId: a.groupId, ruleId: first, cidr: "0.0.0.0/0" })]);
    const drained = host.drain({ concurrency: 2 });
    const second = await a.seed.nfsFrom(a.groupId, "192.168.0.0/16", { protocol: "-1" });
    await host.putEvents([
      authorizeIngressEvent({ groupId: a.groupId, ruleId: second, cidr: "192.168.0.0/16", protocol: "-1" }),
    ]);
    await drained;
    await host.drain({ concurrency: 2 });
    expect((await a.seed.ingressRules(a.groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([a.inside]);
  });
});

describe("two different file-policy events for one file system at once", () => {
  /** Two policy changes, both already made, whose events arrive together: the final policy is the last one + the deny. */
  const RACES: [string, (seed: Seeder, fs: string) => Promise<{ events: any[]; kept: unknown[]; total: number }>][] = [
    [
      "PutFileSystemPolicy, then another PutFileSystemPolicy adding a statement",
      async (seed, fs) => {
        const first = policyText([appStatement(fs)]);
        await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fs, Policy: first }));
        const kept = [appStatement(fs), appStatement(fs, "Backup", "backup")];
        const second = policyText(kept);
        await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fs, Policy: second }));
        return {
          events: [putFileSystemPolicyEvent(fs, first), putFileSystemPolicyEvent(fs, second)],
          kept,
          total: 3,
        };
      },
    ],
    [
      "DeleteFileSystemPolicy, then PutFileSystemPolicy",
      async (seed, fs) => {
        await seed.efs.send(new DeleteFileSystemPolicyCommand({ FileSystemId: fs })).catch(() => undefined);
        const kept = [appStatement(fs)];
        const policy = policyText(kept);
        await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fs, Policy: policy }));
        return { events: [deleteFileSystemPolicyEvent(fs), putFileSystemPolicyEvent(fs, policy)], kept, total: 2 };
      },
    ],
    [
      "PutFileSystemPolicy, then DeleteFileSystemPolicy",
      async (seed, fs) => {
        const policy = policyText([appStatement(fs)]);
        await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fs, Policy: policy }));
        await seed.efs.send(new DeleteFileSystemPolicyCommand({ FileSystemId: fs }));
        // Nothing is left to keep: the console's pair is written, which carries the deny.
        return {
          events: [putFileSystemPolicyEvent(fs, policy), deleteFileSystemPolicyEvent(fs)],
          kept: consoleDefaultPolicy(arnOf(fs)).Statement as unknown[],
          total: 2,
        };
      },
    ],
  ];

  it.each(RACES)("%s: the final policy has the TLS deny and every statement of the last change", async (_, make) => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const { events, kept, total } = await make(seed, fs);
    await host.putEvents(events);
    const invocations = remediating(await host.drain({ concurrency: 2 }));
    expect(invocations.map((i) => i.error)).toEqual([undefined, undefined]);
    await expectTlsWith(seed, fs, kept);
    const parsed = parsePolicy(await policyOf(seed, fs));
    // One deny, not one per event: whichever invocation wrote second found it already there.
    expect(parsed.status === "ok" && parsed.statements).toHaveLength(total);
    const outcomes = (await host.alerts()).map((x) => x.attributes.outcome);
    expect(outcomes).not.toContain("remediation-failed");
    expect(outcomes).toContain("remediated");
  });
});

describe("the guard's own events", () => {
  const sample = JSON.parse(
    readFileSync(
      join(import.meta.dirname, "../../../events/samples/ec2-revoke-security-group-ingress-by-guard.json"),
      "utf8",
    ),
  );

  it("its RevokeSecurityGroupIngress matches no rule, and the handler would ignore it anyway", async () => {
    const a = await account();
    const open = await a.seed.nfsFrom(a.groupId, "0.0.0.0/0");
    await host.putEvents([authorizeIngressEvent({ groupId: a.groupId, ruleId: open, cidr: "0.0.0.0/0" })]);
    expect(await host.drain()).toHaveLength(1);
    const own = structuredClone(sample);
    own.detail.requestParameters.groupId = a.groupId;
    own.detail.requestParameters.securityGroupRuleIds = { items: [{ securityGroupRuleId: open }] };
    await host.putEvents([own]);
    expect(await host.drain()).toEqual([]);
    const report = await processEvent(own, nfsIngressGuard(), testDeps());
    expect(report).toMatchObject({ outcome: "ignored", reason: "unsupported-event" });
  });

  it("re-evaluating after the remediation finds the group compliant: no write, no alert", async () => {
    const a = await account();
    const open = await a.seed.nfsFrom(a.groupId, "0.0.0.0/0");
    const event = authorizeIngressEvent({ groupId: a.groupId, ruleId: open, cidr: "0.0.0.0/0" });
    await host.putEvents([event]);
    await host.drain();
    expect(await host.alerts()).toHaveLength(1);
    const before = await a.seed.ingressRules(a.groupId);
    const deps = testDeps();
    const report = await processEvent(event, nfsIngressGuard(), deps);
    expect(report.findings).toMatchObject([{ verdict: "compliant", action: "none", outcome: "compliant" }]);
    expect(deps.notifier.published).toEqual([]);
    expect(await a.seed.ingressRules(a.groupId)).toEqual(before);
  });
});
