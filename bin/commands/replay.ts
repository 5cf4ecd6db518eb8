import { parseArgs } from "node:util";
import { SFNClient } from "@aws-sdk/client-sfn";
import { ApprovalError, migrationStateMachineArn, STATE_MACHINE_NAME } from "../../shared/aws/approvals.js";
import { MIGRATION_ENV } from "../../shared/aws/migration.js";
import { clientConfig } from "../../shared/aws/sdk-config.js";
import type { GuardConfig } from "../../shared/config/schema.js";
import { silentNotifier, snsNotifier } from "../../shared/notify/sns.js";
import { type RoutedReport, routeEvent } from "../../shared/pipeline/replay.js";
import type { Guard, Notifier } from "../../shared/pipeline/types.js";
import { type Clock, systemClock } from "../../shared/runtime/clock.js";
import { errorMessage } from "../../shared/runtime/errors.js";
import { defaultRegion, parsing, UsageError } from "../args.js";
import { environmentProblem } from "../aws-problem.js";
import { loadConfig } from "../config.js";
import { collectFiles, readItems, where } from "../replay-input.js";
import { replayGuards } from "./guards.js";
import type { Command, Io } from "./types.js";

const HELP = `Usage: efs-guard replay <file|dir>... [--dry-run] [--config FILE] [--topic ARN] [--state-machine ARN]
                        [--only-evaluated | --quiet] [--json]

Feeds recorded CloudTrail events through the same pipeline as the deployed functions: each event goes to every
guard that handles its eventSource:eventName, which re-reads the real state, evaluates, decides and acts.

Inputs: EventBridge events ("AWS API Call via CloudTrail"), bare CloudTrail records, CloudTrail log files
({"Records":[...]}) and JSON arrays of events, gzip-compressed or not (recognised by content, not name).
Directories are walked recursively (*.json, *.json.gz, *.gz), in path order. CloudTrail digest files are skipped.

Options:
  --dry-run             change nothing: every remediation becomes "would-remediate" (forces dryRun), and says
                        when the real run would fail (e.g. the migration workflow is not deployed)
  --config FILE         EFS Guard configuration: the efsGuard object (JSON) or a cdk.json (its efsGuard context);
                        default: the efsGuard context of ./cdk.json when present, else the defaults. Without
                        --dry-run, controls in remediate mode REMEDIATE for real in the account of your credentials.
  --topic ARN           publish alerts to this SNS topic (default: ALERTS_TOPIC_ARN); with neither, nothing is published
  --state-machine ARN   the migration workflow an unencrypted file system is sent to (default:
                        MIGRATION_STATE_MACHINE_ARN, else the state machine efs-guard-migration in the region)
  --only-evaluated      print only the events a guard evaluated (or failed on), not the ignored ones
  --quiet               print no event, only problems (stderr) and the summary line
  --json                one JSON object per event per line (see docs/cli.md), instead of text; the summary line
                        then goes to stderr
  -h, --help            this help

The last line sums up: records read, evaluated, ignored by reason, failed, malformed, and the actions taken (or,
with --dry-run, that would be taken).

Exit codes: 0 every input was read and every event processed (events the guard ignores by design, such as failed
calls or unsupported events, count as processed); 1 an AWS call failed for some event (or a remediation failed),
or an input was malformed or unreadable (named on stderr; the rest still ran); 2 usage error (unknown option,
no inputs, a path that does not exist, invalid configuration) or AWS unreachable / no credentials (replay stops).`;

const TOPIC = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/;
const STATE_MACHINE = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

/** The control whose remediation is the migration workflow: what a dry run checks is deployed. */
const MIGRATING_CONTROL = "efs-encrypted-at-rest";

export interface ReplayOptions {
  guards?: Guard[];
  clock?: Clock;
  cwd?: string;
  /** Overrides the notifier chosen from --topic / ALERTS_TOPIC_ARN (tests record what would be published). */
  notifier?: Notifier;
}

/**
 * The migration workflow a real run would start, as the deployed file-system function has it: --state-machine,
 * else MIGRATION_STATE_MACHINE_ARN, else the stack's state machine found by its fixed name in the region. A
 * failed look-up is "unknown", not "absent": the events themselves then show what AWS answers.
 */
async function stateMachine(
  given: string | undefined,
  region: string | undefined,
): Promise<{ arn?: string; absent?: boolean; note: string }> {
  if (given) return { arn: given, note: `migration workflow ${given}` };
  const env = process.env[MIGRATION_ENV];
  if (env) return { arn: env, note: `migration workflow ${env} (${MIGRATION_ENV})` };
  if (!region) return { note: "migration workflow unknown (no region to look in; pass --state-machine ARN)" };
  try {
    // One attempt: the look-up only names the workflow; an endpoint that does not answer is then met by the events
    // themselves, so it must not cost the full retry budget twice (shared/aws/sdk-config.ts).
    const arn = await migrationStateMachineArn(new SFNClient({ ...clientConfig(region), maxAttempts: 1 }));
    return { arn, note: `migration workflow ${arn}` };
  } catch (error) {
    if (error instanceof ApprovalError) {
      return {
        absent: true,
        note: `migration workflow not deployed in ${region} (no state machine ${STATE_MACHINE_NAME})`,
      };
    }
    return { note: `migration workflow not looked up: ${environmentProblem(error) ?? errorMessage(error)}` };
  }
}

/** One line of `replay --json`: the pipeline's event report plus where the event came from. */
export type ReplayLine = Omit<RoutedReport, "error"> & {
  file: string;
  index?: number;
  record?: string;
  error?: { code: string; message: string };
};

function text(line: ReplayLine): string[] {
  const name = line.eventName ? `${line.eventName}${line.eventSource ? ` (${line.eventSource})` : ""}` : "(no event)";
  const head = `${where(line)}: ${name}: ${line.outcome}`;
  const out = [line.outcome === "ignored" ? `${head} (${line.reason}${line.detail ? `: ${line.detail}` : ""})` : head];
  for (const f of line.findings) out.push(`  ${f.control} ${f.resource}: ${f.verdict} -> ${f.action}: ${f.detail}`);
  if (line.error) out.push(`  error: ${line.error.message}`);
  return out;
}

export async function runReplay(args: string[], io: Io, options: ReplayOptions = {}): Promise<number> {
  const { values, positionals } = parsing(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        "dry-run": { type: "boolean", default: false },
        config: { type: "string" },
        topic: { type: "string" },
        "state-machine": { type: "string" },
        "only-evaluated": { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
    }),
  );
  if (positionals.length === 0) throw new UsageError("no input: give one or more event files or directories");
  if (values.quiet && values["only-evaluated"]) {
    throw new UsageError("--quiet prints no event and --only-evaluated prints some: give one of them");
  }
  const givenMachine = values["state-machine"];
  if (givenMachine !== undefined && !STATE_MACHINE.test(givenMachine)) {
    throw new UsageError(
      `not a Step Functions state machine ARN: ${givenMachine} (expected arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)`,
    );
  }
  const topic = values.topic ?? (process.env.ALERTS_TOPIC_ARN || undefined);
  if (topic !== undefined && !TOPIC.test(topic)) {
    throw new UsageError(`not an SNS topic ARN: ${topic} (expected arn:aws:sns:REGION:ACCOUNT:NAME)`);
  }
  const loaded = loadConfig(values.config, options.cwd);
  const config: GuardConfig = values["dry-run"] ? { ...loaded.config, dryRun: true } : loaded.config;
  const files = collectFiles(positionals);
  const notifier = options.notifier ?? (topic ? snsNotifier(topic) : silentNotifier);
  // Guards given by a caller (tests) carry their own workflow; otherwise find the one a real run would start.
  const migration: { arn?: string; absent?: boolean; note: string } = options.guards
    ? { note: "migration workflow as the given guards have it" }
    : await stateMachine(givenMachine, defaultRegion());
  const guards = options.guards ?? replayGuards({ migrationStateMachineArn: migration.arn });
  // In a dry run, what the real run would do includes failing: a migration with no workflow to run it. Only a
  // definite "not deployed" says so; a look-up that could not be made is named on the first line instead.
  const wouldFail =
    config.dryRun && migration.absent
      ? `the real run would fail: ${migration.note}; pass --state-machine ARN or deploy the stack`
      : undefined;

  io.err(
    `efs-guard replay: ${config.dryRun ? "dry run, nothing will be changed" : "acting: controls in remediate mode will remediate"}; ` +
      `configuration from ${loaded.source}; ${topic ? `alerts published to ${topic}` : "alerts not published (no --topic or ALERTS_TOPIC_ARN)"}; ${migration.note}`,
  );

  const counts = {
    records: 0,
    events: 0,
    evaluated: 0,
    ignored: 0,
    failed: 0,
    malformed: 0,
    findings: 0,
    nonCompliant: 0,
    wouldFail: 0,
  };
  const ignoredBy = new Map<string, number>();
  const actions = new Map<string, number>();
  const emit = (line: ReplayLine) => {
    if (values.quiet) return;
    if (values["only-evaluated"] && line.outcome === "ignored") return;
    if (values.json) io.out(JSON.stringify(line));
    else for (const l of text(line)) io.out(l);
  };
  const malformed = (
    item: { file: string; index?: number; record?: string },
    problem: string,
    ids: { eventId?: string; eventName?: string; eventSource?: string } = {},
  ) => {
    counts.malformed++;
    io.err(`efs-guard replay: ${where(item)}: malformed: ${problem}`);
    // On a terminal the stderr line says it all; --json keeps one line per input so nothing goes missing.
    if (!values.json || values["only-evaluated"]) return;
    emit({
      file: item.file,
      ...(item.index !== undefined ? { index: item.index, record: item.record } : {}),
      ...ids,
      outcome: "ignored",
      reason: "malformed",
      detail: problem,
      findings: [],
    });
  };

  for (const file of files) {
    let items: ReturnType<typeof readItems>;
    try {
      items = readItems(file);
    } catch (error) {
      // readItems bounds what it reads; anything it still could not cope with costs this file, not the rest.
      items = [{ kind: "malformed", file, problem: `cannot be read as events: ${errorMessage(error)}` }];
    }
    for (const item of items) {
      if (item.kind === "skipped") {
        io.err(`efs-guard replay: ${item.file}: skipped: ${item.note}`);
        continue;
      }
      counts.records++;
      if (item.kind === "malformed") {
        malformed(item, item.problem);
        continue;
      }
      counts.events++;
      const report = await routeEvent(item.event, guards, { config, clock: options.clock ?? systemClock, notifier });
      const place = {
        file: item.file,
        ...(item.index !== undefined ? { index: item.index, record: item.record } : {}),
      };
      if (report.outcome === "ignored" && report.reason === "malformed") {
        const { eventId, eventName, eventSource } = report;
        malformed(item, report.detail ?? "not a CloudTrail API call", {
          ...(eventId ? { eventId } : {}),
          ...(eventName ? { eventName } : {}),
          ...(eventSource ? { eventSource } : {}),
        });
        continue;
      }
      const { error, ...rest } = report;
      const line: ReplayLine = {
        ...place,
        ...rest,
        ...(error ? { error: { code: error.code, message: error.message } } : {}),
      };
      if (wouldFail) {
        for (const f of line.findings) {
          if (f.control !== MIGRATING_CONTROL || f.action !== "would-remediate") continue;
          f.detail = `${f.detail}; ${wouldFail}`;
          counts.wouldFail++;
        }
      }
      counts[report.outcome]++;
      if (report.outcome === "ignored") {
        const reason = report.reason ?? "unknown";
        ignoredBy.set(reason, (ignoredBy.get(reason) ?? 0) + 1);
      }
      for (const f of report.findings) {
        if (f.verdict !== "non-compliant") continue;
        actions.set(f.outcome, (actions.get(f.outcome) ?? 0) + 1);
      }
      counts.findings += report.findings.length;
      counts.nonCompliant += report.findings.filter((f) => f.verdict === "non-compliant").length;
      if (report.findings.some((f) => f.action === "failed") && report.outcome !== "failed") counts.failed++;
      emit(line);
      const unreachable = error ? environmentProblem(error.cause) : undefined;
      if (unreachable) {
        io.err(`efs-guard replay: ${unreachable}`);
        io.err(`efs-guard replay: stopped at ${where(item)}; nothing after it was replayed`);
        return 2;
      }
      if (error) io.err(`efs-guard replay: ${where(item)}: ${error.message}`);
    }
  }
  const by = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([k, n]) => `${n} ${k}`)
      .join(", ");
  const summary =
    `${counts.records} record(s) read from ${files.length} file(s): ${counts.evaluated} evaluated, ` +
    `${counts.ignored} ignored${ignoredBy.size ? ` (${by(ignoredBy)})` : ""}, ${counts.failed} failed, ` +
    `${counts.malformed} malformed; ${counts.nonCompliant} non-compliant finding(s)` +
    `${actions.size ? `; actions: ${by(actions)}` : ""}` +
    `${counts.wouldFail ? `; ${counts.wouldFail} would fail for real (migration workflow not deployed)` : ""}`;
  // Text keeps stdout for people, with the summary last; --json keeps stdout one event per line for machines.
  if (values.json) io.err(`efs-guard replay: ${summary}`);
  else io.out(`${values.quiet ? "" : "\n"}${summary}`);
  return counts.failed > 0 || counts.malformed > 0 ? 1 : 0;
}

export const replay: Command = {
  name: "replay",
  summary: "feed recorded CloudTrail events (files, log files, directories) through the guards",
  aws: true,
  help: HELP,
  run: (args, io) => runReplay(args, io),
};
