import { EFSClient, ListTagsForResourceCommand } from "@aws-sdk/client-efs";
import { GetKeyRotationStatusCommand, KMSClient } from "@aws-sdk/client-kms";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { emulatorEnv } from "../../emulator/emulator.js";
import { FunctionHost } from "../../emulator/host.js";
import { LambdaHost } from "../../emulator/lambda-host.js";
import { synthTemplate } from "../../emulator/template.js";
import { createFileSystemEvent } from "../../events/build.js";
import { pendingApproval } from "../../shared/aws/approvals.js";
import { MIGRATION_ENV, migrationExecutionName } from "../../shared/aws/migration.js";
import type { GuardConfig } from "../../shared/config/schema.js";
import { parseConfig } from "../../shared/config/schema.js";
import { allGuards } from "../../shared/guards/index.js";
import { REPLACEMENT_TAG } from "../../shared/migration/types.js";
import type { ChatbotMessage } from "../../shared/notify/message.js";
import { renderForTerminal } from "../../shared/notify/render.js";
import { type ScanFinding, type ScanReport, scanAccount, wouldDo } from "../../shared/pipeline/scan.js";
import type { EventReport } from "../../shared/pipeline/types.js";
import { systemClock } from "../../shared/runtime/clock.js";
import { table } from "../format.js";
import { styles, withProgress } from "../terminal.js";
import { approve } from "./approve.js";
import { startWithProgress } from "./emulator-start.js";
import { SAMPLE_REGION, sampleTrail, seedSampleAccount } from "./sample-account.js";
import type { Io } from "./types.js";

const REGION = SAMPLE_REGION;
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
  const s = styles(styled);
  const b = s.bold;
  const d = s.dim;
  const say = (line = "") => io.out(line);
  let stepNo = 0;
  const step = (text: string) => say(`\n${b(`[${++stepNo}]`)} ${text}`);
  // Every wait shows live progress on a terminal (a spinner with the seconds) and one line when done elsewhere.
  const progress = <T>(label: string, work: () => Promise<T>): Promise<T> =>
    withProgress(label, work, { live: io.live, line: say, styles: s, indent: "    " });

  say(
    `${b("EFS Guard demo")} ${d("— a local AWS (moto) with the real rules, handlers and state machine; no AWS account")}`,
  );
  step("Starting the embedded AWS emulator");
  const emulator = await startWithProgress(progress);
  const saved = { ...process.env };
  Object.assign(process.env, emulatorEnv(emulator.endpoint, REGION), { LOG_LEVEL: "ERROR" });
  const checks: DemoCheck[] = [];
  const alerts: Alert[] = [];
  let lambdas: LambdaHost | undefined;
  let deployed: FunctionHost | undefined;
  try {
    await emulator.configure({ stepfunctions: { execute_state_machine: true } });
    step("Building the account: a VPC over three AZs, an unencrypted file system mounted in all three");
    const account = await seedSampleAccount();
    const { vpcId, subnets, groupId, inside, open, fileSystemId, seed } = account;
    const key = { KeyId: account.key.keyId, Arn: account.key.arn };
    const kms = new KMSClient({ region: REGION });
    const sfn = new SFNClient({ region: REGION });
    say(`    file system ${fileSystemId} (not encrypted, no file system policy, no backups) in ${vpcId}`);
    say(`    mount targets in ${subnets.length} subnets / AZs, all with security group ${groupId}`);
    say(`    ${groupId}: NFS from 10.20.0.0/16 (${inside}) and from 0.0.0.0/0 (${open})`);
    say(`    customer managed key ${key.KeyId} with automatic rotation off`);

    step("Deploying EFS Guard into the emulator (the synthesized CDK stack)");
    const template = synthTemplate({ kmsKeyArn: key.Arn! });
    const host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "ERROR" } });
    deployed = host;
    lambdas = await LambdaHost.deploy(template, { topicArn: host.alertsTopicArn, region: REGION });
    // The file-system function starts the migration through the state machine the stack deployed.
    host.setEnvironment({ [MIGRATION_ENV]: lambdas.stateMachineArn });
    const rules = Object.values(template.Resources).filter((r) => r.Type === "AWS::Events::Rule").length;
    say(`    ${rules} EventBridge rules on the default bus, the guard functions, the migration state machine`);
    const config = parseConfig({ kmsKeyArn: key.Arn! });

    step("Posture before: every control over every file system, mount-target security group and key");
    const before = await posture(config, key.Arn!);
    say(postureTable(before, styled));

    step("CloudTrail records the changes that built this account; EventBridge delivers them to the guard");
    const trail = sampleTrail(account);
    for (const e of trail) say(`    ${d(e.detail.eventSource as string)} ${e.detail.eventName}`);
    await host.putEvents(trail);
    const invocations = await progress("handlers run: parse, re-read, evaluate, decide, act, report", () =>
      host.drain(),
    );
    say(transitions(invocations, b, d));
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
      say(transitions(await progress("handlers run", () => host.drain()), b, d));
      alerts.push(...((await host.alerts()) as Alert[]));
    }

    step("Posture after (the source stays untouched until you cut over)");
    const after = await posture(config, key.Arn!);
    const pending = replacement ? await pendingCutOver(fileSystemId, replacement) : undefined;
    say(beforeAfterTable(before, after, styled, pending ? { source: fileSystemId, replacement: pending } : undefined));

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
        check: "source tagged with its replacement: pending cut-over",
        ok: replacement !== undefined && pending === replacement,
      },
      {
        check: "alerts: NFS remediated, TLS remediated, migration started, requested and done, rotation remediated",
        ok: [
          "efs-nfs-ingress-restricted:remediated",
          "efs-tls-enforced:remediated",
          "efs-encrypted-at-rest:migration-started",
          "efs-encrypted-at-rest:approval-requested",
          "efs-encrypted-at-rest:migrated",
          "efs-key-rotation-enabled:remediated",
        ].every((o) => outcomes.includes(o)),
      },
      {
        check: "the encryption alert says migration started: no fix is claimed before the cut-over",
        ok: !outcomes.includes("efs-encrypted-at-rest:remediated"),
      },
      {
        check: "one severity: the encryption finding and its approval request agree",
        ok: sameSeverity(alerts),
      },
    );
  } finally {
    step("Stopping the emulator");
    await lambdas?.stop();
    await deployed?.stop();
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

/**
 * The scan, plus the configured migration key: before the migration no file system uses it, so the key guard's
 * inventory (keys that encrypt file systems) does not list it, yet the story presents its rotation as a problem.
 * Its rows come from the key guard's own assessment, so they say what the guard concludes (not applicable until a
 * file system uses it), not what the demo would like.
 */
async function posture(config: GuardConfig, keyArn: string): Promise<ScanReport> {
  const report = await scanAccount(allGuards(), [REGION], { config, clock: systemClock });
  if (report.findings.some((f) => f.resourceType === "kms-key" && keyArn.endsWith(f.resource))) return report;
  const guard = allGuards().find((g) => g.name === "kms-key");
  const findings = guard ? await guard.assess({ type: "kms-key", keyId: keyArn }, REGION, config, systemClock) : [];
  for (const f of findings) {
    const { wouldDo: action, why } = wouldDo(f, config, systemClock);
    const row: ScanFinding = {
      control: f.control,
      resource: f.resource.id,
      resourceType: f.resource.type,
      region: f.resource.region,
      verdict: f.verdict,
      severity: f.severity,
      wouldDo: action,
      why,
      summary: f.summary,
      evidence: f.evidence,
    };
    report.findings.push(row);
  }
  return report;
}

/** The replacement named by the source's efs-guard:replacement tag (what the migration writes when it is done). */
async function pendingCutOver(source: string, replacement: string): Promise<string | undefined> {
  const tags = await new EFSClient({ region: REGION }).send(new ListTagsForResourceCommand({ ResourceId: source }));
  const tagged = tags.Tags?.find((t) => t.Key === REPLACEMENT_TAG)?.Value;
  return tagged === replacement ? tagged : undefined;
}

/** The encryption finding's alert and its approval request must say the same severity. */
function sameSeverity(alerts: Alert[]): boolean {
  const started = alerts.find(
    (a) => a.attributes.control === "efs-encrypted-at-rest" && a.attributes.outcome === "migration-started",
  );
  const request = alerts.find((a) => a.attributes.outcome === "approval-requested");
  return started !== undefined && request !== undefined && started.attributes.severity === request.attributes.severity;
}

/**
 * What the handlers did, one line per finding that something happened to: a finding already compliant or not
 * applicable (the key no file system uses yet) changed nothing and is counted, not listed.
 */
function transitions(
  invocations: { event: { detail: { eventName: string } }; result?: unknown; error?: string }[],
  b: (s: string) => string,
  d: (s: string) => string,
): string {
  const lines: string[] = [];
  let quiet = 0;
  for (const inv of invocations) {
    for (const f of findingsOf(inv.result)) {
      if (f.verdict !== "non-compliant") {
        quiet += 1;
        continue;
      }
      lines.push(
        `    ${inv.event.detail.eventName.padEnd(30)} ${f.control.padEnd(27)} ${f.resource.padEnd(22)} ${f.verdict} → ${b(f.outcome)}`,
      );
    }
    if (inv.error) lines.push(`    ${inv.event.detail.eventName}: ERROR ${inv.error}`);
  }
  if (quiet > 0) lines.push(d(`    (${quiet} other finding(s) compliant or not applicable: nothing to do)`));
  return lines.join("\n");
}

function postureTable(report: ScanReport, styled: boolean): string {
  const rows = report.findings.map((f) => [
    f.control,
    f.resource,
    SHORT[f.verdict] ?? f.verdict,
    f.wouldDo,
    short(f.summary),
  ]);
  return table([["control", "resource", "verdict", "EFS Guard would", "why"], ...rows], {
    indent: "    ",
    ...(styled ? { header: styles(true).bold } : {}),
  });
}

function short(text: string): string {
  return text.length > 70 ? `${text.slice(0, 67)}...` : text;
}

function beforeAfterTable(
  before: ScanReport,
  after: ScanReport,
  styled: boolean,
  cutOver?: { source: string; replacement: string },
): string {
  const key = (f: { control: string; resource: string }) => `${f.control} ${f.resource}`;
  const was = new Map(before.findings.map((f) => [key(f), f.verdict]));
  const rows = after.findings.map((f) => {
    // The source stays unencrypted on purpose: it is pending cut-over to its encrypted replacement, not failing.
    const pending = cutOver && f.control === "efs-encrypted-at-rest" && f.resource === cutOver.source;
    return [
      f.control,
      f.resource,
      SHORT[was.get(key(f)) ?? ""] ?? "(new)",
      pending ? "pending cut-over" : (SHORT[f.verdict] ?? f.verdict),
      pending ? `unencrypted until you cut over to ${cutOver.replacement}` : short(f.summary),
    ];
  });
  return table([["control", "resource", "before", "after", "now"], ...rows], {
    indent: "    ",
    ...(styled ? { header: styles(true).bold } : {}),
  });
}
