import { parseArgs } from "node:util";
import type { GuardConfig } from "../../shared/config/schema.js";
import { silentNotifier, snsNotifier } from "../../shared/notify/sns.js";
import { type RoutedReport, routeEvent } from "../../shared/pipeline/replay.js";
import type { Guard, Notifier } from "../../shared/pipeline/types.js";
import { type Clock, systemClock } from "../../shared/runtime/clock.js";
import { errorMessage } from "../../shared/runtime/errors.js";
import { parsing, UsageError } from "../args.js";
import { environmentProblem } from "../aws-problem.js";
import { loadConfig } from "../config.js";
import { collectFiles, readItems, where } from "../replay-input.js";
import { replayGuards } from "./guards.js";
import type { Command, Io } from "./types.js";

const HELP = `Usage: efs-guard replay <file|dir>... [--dry-run] [--config FILE] [--topic ARN] [--json]

Feeds recorded CloudTrail events through the same pipeline as the deployed functions: each event goes to every
guard that handles its eventSource:eventName, which re-reads the real state, evaluates, decides and acts.

Inputs: EventBridge events ("AWS API Call via CloudTrail"), bare CloudTrail records, CloudTrail log files
({"Records":[...]}) and JSON arrays of events, gzip-compressed or not (recognised by content, not name).
Directories are walked recursively (*.json, *.json.gz, *.gz), in path order. CloudTrail digest files are skipped.

Options:
  --dry-run         change nothing: every remediation becomes "would-remediate" (forces dryRun)
  --config FILE     EFS Guard configuration (the efsGuard object, JSON); default: the efsGuard context of
                    ./cdk.json when present, else the defaults. Without --dry-run, controls in remediate mode
                    REMEDIATE for real in the account of your credentials.
  --topic ARN       publish alerts to this SNS topic (default: ALERTS_TOPIC_ARN); with neither, nothing is published
  --json            one JSON object per event per line (see the README), instead of text
  -h, --help        this help

Exit codes: 0 every input was read and every event processed (events the guard ignores by design, such as failed
calls or unsupported events, count as processed); 1 an AWS call failed for some event (or a remediation failed),
or an input was malformed or unreadable (named on stderr; the rest still ran); 2 usage error (unknown option,
no inputs, a path that does not exist, invalid configuration) or AWS unreachable / no credentials (replay stops).`;

const TOPIC = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/;

export interface ReplayOptions {
  guards?: Guard[];
  clock?: Clock;
  cwd?: string;
  /** Overrides the notifier chosen from --topic / ALERTS_TOPIC_ARN (tests record what would be published). */
  notifier?: Notifier;
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
        json: { type: "boolean", default: false },
      },
    }),
  );
  if (positionals.length === 0) throw new UsageError("no input: give one or more event files or directories");
  const topic = values.topic ?? (process.env.ALERTS_TOPIC_ARN || undefined);
  if (topic !== undefined && !TOPIC.test(topic)) {
    throw new UsageError(`not an SNS topic ARN: ${topic} (expected arn:aws:sns:REGION:ACCOUNT:NAME)`);
  }
  const loaded = loadConfig(values.config, options.cwd);
  const config: GuardConfig = values["dry-run"] ? { ...loaded.config, dryRun: true } : loaded.config;
  const files = collectFiles(positionals);
  const notifier = options.notifier ?? (topic ? snsNotifier(topic) : silentNotifier);
  const guards = options.guards ?? replayGuards();

  io.err(
    `efs-guard replay: ${config.dryRun ? "dry run, nothing will be changed" : "acting: controls in remediate mode will remediate"}; ` +
      `configuration from ${loaded.source}; ${topic ? `alerts published to ${topic}` : "alerts not published (no --topic or ALERTS_TOPIC_ARN)"}`,
  );

  const counts = { events: 0, evaluated: 0, ignored: 0, failed: 0, malformed: 0, findings: 0, nonCompliant: 0 };
  const emit = (line: ReplayLine) => {
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
    if (!values.json) return;
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
      counts[report.outcome]++;
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
  if (!values.json) {
    io.out(
      `\n${counts.events} event(s) from ${files.length} file(s): ${counts.evaluated} evaluated, ${counts.ignored} ignored, ` +
        `${counts.failed} failed, ${counts.malformed} malformed; ${counts.nonCompliant} non-compliant finding(s)`,
    );
  }
  return counts.failed > 0 || counts.malformed > 0 ? 1 : 0;
}

export const replay: Command = {
  name: "replay",
  summary: "feed recorded CloudTrail events (files, log files, directories) through the guards",
  help: HELP,
  run: (args, io) => runReplay(args, io),
};
