import { CreateKeyCommand, GetKeyRotationStatusCommand, KMSClient } from "@aws-sdk/client-kms";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { emulatorEnv, startEmulator } from "../../emulator/emulator.js";
import { FunctionHost } from "../../emulator/host.js";
import { LambdaHost } from "../../emulator/lambda-host.js";
import { Seeder } from "../../emulator/seed.js";
import { synthTemplate } from "../../emulator/template.js";
import {
  authorizeIngressEvent,
  createFileSystemEvent,
  createMountTargetEvent,
  kmsKeyEvent,
} from "../../events/build.js";
import { pendingApproval } from "../../shared/aws/approvals.js";
import { MIGRATION_ENV, migrationExecutionName } from "../../shared/aws/migration.js";
import { parseConfig } from "../../shared/config/schema.js";
import { allGuards } from "../../shared/guards/index.js";
import type { ChatbotMessage } from "../../shared/notify/message.js";
import { renderForTerminal } from "../../shared/notify/render.js";
import { type ScanReport, scanAccount } from "../../shared/pipeline/scan.js";
import type { EventReport } from "../../shared/pipeline/types.js";
import { systemClock } from "../../shared/runtime/clock.js";
import { bold, dim, table } from "../format.js";
import { approve } from "./approve.js";
import type { Io } from "./types.js";

const REGION = "us-east-1";
const MIGRATION_ROLE = "arn:aws:sts::123456789012:assumed-role/EfsGuard-MigrationRecreate/efs-guard";

export interface DemoCheck {
  check: string;
  ok: boolean;
}

export interface DemoResult {
  exitCode: number;
  checks: DemoCheck[];
  alerts: { title: string; attributes: Record<string, string> }[];
  seconds: number;
}

interface Alert {
  message: ChatbotMessage;
  attributes: Record<string, string>;
}

/**
 * The main job: a realistic account on the embedded emulator, the CloudTrail events its changes produce sent
 * through the real EventBridge patterns to the real handlers, the migration executed by the synthesized state
 * machine and approved with the real `approve` command, then the posture before and after and the alerts as a
 * Slack channel shows them. Exit code 0 only when every expected outcome happened.
 */
export async function runDemo(io: Io = consoleIo()): Promise<DemoResult> {
  const started = Date.now();
  const styled = io.styled ?? false;
  const b = (s: string) => (styled ? bold(s) : s);
  const d = (s: string) => (styled ? dim(s) : s);
  const say = (line = "") => io.out(line);
  let stepNo = 0;
  const step = (text: string) => say(`\n${b(`[${++stepNo}]`)} ${text}`);
  const progress = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    say(`    … ${label}`);
    const out = await work();
    say(`    ✔ ${label} ${d(`(${((Date.now() - t0) / 1000).toFixed(1)}s)`)}`);
    return out;
  };

  say(
    `${b("EFS Guard demo")} ${d("— a local AWS (moto) with the real rules, handlers and state machine; no AWS account")}`,
  );
  step("Starting the embedded AWS emulator");
  const emulator = await progress("moto server on 127.0.0.1", () => startEmulator({ log: (l) => say(`    ${l}`) }));
  const saved = { ...process.env };
  Object.assign(process.env, emulatorEnv(emulator.endpoint, REGION), { LOG_LEVEL: "ERROR" });
  const checks: DemoCheck[] = [];
  const alerts: Alert[] = [];
  let lambdas: LambdaHost | undefined;
  try {
    await emulator.configure({ stepfunctions: { execute_state_machine: true } });
    const seed = new Seeder();
    const kms = new KMSClient({ region: REGION });
    const sfn = new SFNClient({ region: REGION });

    step("Building the account: a VPC over three AZs, an unencrypted file system mounted in all three");
    const { vpcId, subnets } = await seed.vpc("10.20.0.0/16");
    const groupId = await seed.securityGroup(vpcId, "shared-efs");
    const inside = await seed.nfsFrom(groupId, "10.20.0.0/16");
    const open = await seed.nfsFrom(groupId, "0.0.0.0/0");
    const fileSystemId = await seed.fileSystem({ tags: { Name: "winterday-shared", team: "platform" } });
    const mountTargets: { id: string; subnet: string }[] = [];
    for (const subnet of subnets) {
      mountTargets.push({ id: await seed.mountTarget(fileSystemId, subnet, [groupId]), subnet });
    }
    const key = (await kms.send(new CreateKeyCommand({ Description: "winterday data key (EFS Guard migrations)" })))
      .KeyMetadata!;
    say(`    file system ${fileSystemId} (not encrypted, no file system policy, no backups) in ${vpcId}`);
    say(`    mount targets in ${subnets.length} subnets / AZs, all with security group ${groupId}`);
    say(`    ${groupId}: NFS from 10.20.0.0/16 (${inside}) and from 0.0.0.0/0 (${open})`);
    say(`    customer managed key ${key.KeyId} with automatic rotation off`);

    step("Deploying EFS Guard into the emulator (the synthesized CDK stack)");
    const template = synthTemplate({ kmsKeyArn: key.Arn! });
    const host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "ERROR" } });
    lambdas = await LambdaHost.deploy(template, { topicArn: host.alertsTopicArn, region: REGION });
    // The file-system function starts the migration through the state machine the stack deployed.
    host.setEnvironment({ [MIGRATION_ENV]: lambdas.stateMachineArn });
    const rules = Object.values(template.Resources).filter((r) => r.Type === "AWS::Events::Rule").length;
    say(`    ${rules} EventBridge rules on the default bus, the guard functions, the migration state machine`);
    const config = parseConfig({ kmsKeyArn: key.Arn! });

    step("Posture before: every control over every file system, mount-target security group and key");
    const before = await scanAccount(allGuards(), [REGION], { config, clock: systemClock });
    say(postureTable(before, styled));

    step("CloudTrail records the changes that built this account; EventBridge delivers them to the guard");
    const trail = [
      createFileSystemEvent({ fileSystemId, encrypted: false, tags: { Name: "winterday-shared" } }),
      ...mountTargets.map((m) =>
        createMountTargetEvent({ fileSystemId, mountTargetId: m.id, subnetId: m.subnet, securityGroups: [groupId] }),
      ),
      authorizeIngressEvent({ groupId, ruleId: open, cidr: "0.0.0.0/0" }),
      kmsKeyEvent("DisableKeyRotation", { sent: key.KeyId!, keyArn: key.Arn! }),
    ];
    for (const e of trail) say(`    ${d(e.detail.eventSource as string)} ${e.detail.eventName}`);
    await host.putEvents(trail);
    const invocations = await progress("handlers run: parse, re-read, evaluate, decide, act, report", () =>
      host.drain(),
    );
    for (const inv of invocations) {
      for (const f of findingsOf(inv.result)) {
        if (f.verdict === "compliant" && f.action === "none") continue;
        say(
          `    ${inv.event.detail.eventName.padEnd(30)} ${f.control.padEnd(27)} ${f.resource.padEnd(22)} ${f.verdict} → ${b(f.outcome)}`,
        );
        if (f.verdict === "not-applicable") say(d(`      ${f.detail}`));
      }
      if (inv.error) say(`    ${inv.event.detail.eventName}: ERROR ${inv.error}`);
    }
    alerts.push(...((await host.alerts()) as Alert[]));

    step("The migration of the unencrypted file system waits for approval");
    const executionArn = `${lambdas.stateMachineArn.replace(":stateMachine:", ":execution:")}:${migrationExecutionName(fileSystemId)}`;
    await progress("capture, then the approval request (nothing billable before an approval)", () =>
      waitFor(async () => {
        try {
          return await pendingApproval(sfn, executionArn);
        } catch {
          return undefined;
        }
      }),
    );
    const request = await waitFor(async () => {
      alerts.push(...((await host.alerts()) as Alert[]));
      return alerts.find((a) => a.attributes.outcome === "approval-requested");
    });
    say(indent(renderForTerminal(request.message, styled)));

    step(`An approver runs: efs-guard approve ${fileSystemId}`);
    const approved = await approve.run([fileSystemId], { out: (t) => say(`    ${t}`), err: (t) => say(`    ${t}`) });
    const ended = await progress(
      "safety backup, recreate encrypted, mount targets, policy, access points; verify",
      () =>
        waitFor(async () => {
          const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
          return out.status === "RUNNING" ? undefined : out;
        }, 90_000),
    );
    alerts.push(...((await host.alerts()) as Alert[]));
    const output = ended.output ? JSON.parse(ended.output) : {};
    const replacement: string | undefined = output.destination?.fileSystemId;
    say(`    execution ${ended.status}; replacement file system ${replacement ?? "(none)"}`);

    if (replacement) {
      step("The replacement's CreateFileSystem reaches the guard: its key has no rotation");
      await host.putEvents([
        createFileSystemEvent(
          { fileSystemId: replacement, encrypted: true, kmsKeyId: key.Arn!, tags: { Name: "winterday-shared" } },
          { actor: { arn: MIGRATION_ROLE, sourceIPAddress: "states.amazonaws.com" } },
        ),
      ]);
      for (const inv of await progress("handlers run", () => host.drain())) {
        for (const f of findingsOf(inv.result)) {
          say(`    ${f.control.padEnd(27)} ${f.resource.padEnd(40)} ${f.verdict} → ${b(f.outcome)}`);
        }
      }
      alerts.push(...((await host.alerts()) as Alert[]));
    }

    step("Posture after (the source stays untouched until you cut over)");
    const after = await scanAccount(allGuards(), [REGION], { config, clock: systemClock });
    say(beforeAfterTable(before, after, styled));

    step("The alerts, as the Slack channel shows them");
    for (const alert of alerts) {
      say(indent(renderForTerminal(alert.message, styled)));
      say(d(`    attributes: ${JSON.stringify(alert.attributes)}`));
    }

    const verdict = (report: ScanReport, control: string, resource: string) =>
      report.findings.find((f) => f.control === control && f.resource === resource)?.verdict;
    const rules2 = (await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId);
    const rotation = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId! }));
    const outcomes = alerts.map((a) => `${a.attributes.control}:${a.attributes.outcome}`);
    checks.push(
      { check: "open NFS rule revoked, VPC-internal rule kept", ok: !rules2.includes(open) && rules2.includes(inside) },
      {
        check: "TLS enforced on the source file system",
        ok: verdict(after, "efs-tls-enforced", fileSystemId) === "compliant",
      },
      { check: "migration approved with `efs-guard approve`", ok: approved === 0 },
      { check: "migration succeeded", ok: ended.status === "SUCCEEDED" },
      {
        check: "replacement encrypted with the customer managed key",
        ok: replacement !== undefined && verdict(after, "efs-encrypted-at-rest", replacement) === "compliant",
      },
      {
        check: "replacement enforces TLS",
        ok: replacement !== undefined && verdict(after, "efs-tls-enforced", replacement) === "compliant",
      },
      {
        check: "source left in place, unencrypted (cut-over is yours)",
        ok: verdict(after, "efs-encrypted-at-rest", fileSystemId) === "non-compliant",
      },
      { check: "key rotation re-enabled", ok: rotation.KeyRotationEnabled === true },
      {
        check: "alerts: NFS remediated, TLS remediated, migration requested and done, rotation remediated",
        ok: [
          "efs-nfs-ingress-restricted:remediated",
          "efs-tls-enforced:remediated",
          "efs-encrypted-at-rest:approval-requested",
          "efs-encrypted-at-rest:migrated",
          "efs-key-rotation-enabled:remediated",
        ].every((o) => outcomes.includes(o)),
      },
    );
  } finally {
    step("Stopping the emulator");
    await lambdas?.stop();
    await emulator.stop();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }

  const ok = checks.length > 0 && checks.every((c) => c.ok);
  const seconds = (Date.now() - started) / 1000;
  say(`\n${b("Summary")}`);
  say(table([["check", "result"], ...checks.map((c) => [c.check, c.ok ? "yes" : "NO"])], { indent: "    " }));
  say(
    ok
      ? `\nDemo finished in ${seconds.toFixed(0)} s: every expected outcome happened.`
      : "\nDemo FAILED: see the summary above.",
  );
  return {
    exitCode: ok ? 0 : 1,
    checks,
    alerts: alerts.map((a) => ({ title: a.message.content.title, attributes: a.attributes })),
    seconds,
  };
}

type ReportedFinding = EventReport["findings"][number];

function findingsOf(result: unknown): ReportedFinding[] {
  return (result as EventReport | undefined)?.findings ?? [];
}

function consoleIo(): Io {
  return { out: (t) => console.log(t), err: (t) => console.error(t), styled: Boolean(process.stdout.isTTY) };
}

function indent(text: string): string {
  return text.replace(/^/gm, "    ");
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const SHORT: Record<string, string> = {
  compliant: "ok",
  "non-compliant": "FAIL",
  "not-applicable": "n/a",
};

function postureTable(report: ScanReport, styled: boolean): string {
  const rows = report.findings.map((f) => [f.control, f.resource, SHORT[f.verdict] ?? f.verdict, f.wouldDo]);
  return table([["control", "resource", "verdict", "EFS Guard would"], ...rows], {
    indent: "    ",
    ...(styled ? { header: bold } : {}),
  });
}

function beforeAfterTable(before: ScanReport, after: ScanReport, styled: boolean): string {
  const key = (f: { control: string; resource: string }) => `${f.control} ${f.resource}`;
  const was = new Map(before.findings.map((f) => [key(f), f.verdict]));
  const rows = after.findings.map((f) => [
    f.control,
    f.resource,
    SHORT[was.get(key(f)) ?? ""] ?? "(new)",
    SHORT[f.verdict] ?? f.verdict,
    f.summary.length > 70 ? `${f.summary.slice(0, 67)}...` : f.summary,
  ]);
  return table([["control", "resource", "before", "after", "now"], ...rows], {
    indent: "    ",
    ...(styled ? { header: bold } : {}),
  });
}
