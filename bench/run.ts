/**
 * `npm run bench`: bundle sizes, cold import time against the SDK floor, AWS API calls per event (counted on the
 * wire) and their growth with the account, warm latency and burst throughput, measured in one run on the
 * embedded emulator. Writes bench/results.json and prints a table.
 *
 * `npm run bench -- --check`: the deterministic part only (sizes, call counts, growth; no timings), compared with
 * bench/budgets.json; exits 1 when a budget is exceeded. CI runs it.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import type { Context } from "aws-lambda";
import { emulatorEnv, startEmulator } from "../emulator/emulator.js";
import { FunctionHost, type Handler } from "../emulator/host.js";
import { checkOperations, describeViolation, readOperationsLog } from "../emulator/permission-check.js";
import { synthTemplate } from "../emulator/template.js";
import { PROJECT_ROOT } from "../infra/paths.js";
import {
  buildFloor,
  buildFunction,
  coldImports,
  discoverFunctions,
  type GuardFunctionInfo,
  measureBundle,
  median,
  pairedRatio,
  percentile,
  templateEnv,
} from "./bundles.js";
import {
  type BenchResults,
  type Budgets,
  bundleLimitKb,
  type CallResult,
  checkBudgets,
  type FunctionResult,
  type LatencyResult,
  type SweepResult,
} from "./check.js";
import { criticalPath, steps } from "./critical-path.js";
import { CountingProxy, type TimedWireCall } from "./proxy.js";
import {
  BENCH_CONFIG,
  type BenchAccount,
  buildAccount,
  EXPECTED_OUTCOME,
  outcomeMatches,
  type PathName,
  SCENARIOS,
} from "./scenarios.js";
import { buildSweepAccount } from "./sweep-account.js";

const args = new Set(process.argv.slice(2));
const CHECK = args.has("--check");
/** Bundles, sizes and import times only: no emulator, no call counts (for measuring the import work alone). */
const IMPORTS_ONLY = args.has("--imports-only");
/** Call counts and round trips without the latency and burst passes. */
const NO_LATENCY = args.has("--no-latency");
/** Rounds of fresh processes per function: one import of the bundle and one of its floor per round, alternated. */
const IMPORT_RUNS = 30;
/**
 * How long the proxy holds each request of the counting pass (bench/critical-path.ts): far longer than the SDK takes
 * to send the sibling calls of a Promise.all, far shorter than anything a test waits for.
 */
const HOLD_MS = 20;
const LATENCY_EVENTS = 200;
const BURST_EVENTS = 200;
const BURST_CONCURRENCY = 10;
const ACCOUNT_SIZES = [1, 200];
const REGION = "us-east-1";
const TOPIC_PLACEHOLDER = "arn:aws:sns:us-east-1:123456789012:efs-guard-alerts";

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The bundles write their EMF metrics to stdout, as in Lambda. The bench keeps the TimeToRemediate values (what the
 * dashboard shows) and keeps the documents themselves out of its output.
 */
const remediationTimes: number[] = [];
const stdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
  const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : "";
  if (!text.startsWith('{"_aws"')) return (stdoutWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
  for (const line of text.split("\n").filter(Boolean)) {
    try {
      const doc = JSON.parse(line) as { TimeToRemediate?: number };
      if (typeof doc.TimeToRemediate === "number") remediationTimes.push(doc.TimeToRemediate);
    } catch {
      // not one document per line: ignored
    }
  }
  return true;
}) as typeof process.stdout.write;

function classify(call: TimedWireCall): "reads" | "writes" | "publishes" {
  if (call.service === "sns" && call.operation === "Publish") return "publishes";
  return /^(Describe|List|Get)/.test(call.operation) || call.operation.startsWith("GET ") ? "reads" : "writes";
}

function fakeContext(name: string, n: number): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${REGION}:123456789012:function:${name}`,
    memoryLimitInMB: "256",
    awsRequestId: `bench-${n}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: "bench",
    getRemainingTimeInMillis: () => 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

const functionEnv = (fn: GuardFunctionInfo) => templateEnv(fn, { region: REGION, topicArn: TOPIC_PLACEHOLDER });

async function measureBundles(functions: GuardFunctionInfo[]): Promise<FunctionResult[]> {
  const results: FunctionResult[] = [];
  const importTargets: { fn: FunctionResult; file: string; floor: string; env: Record<string, string> }[] = [];
  for (const fn of functions) {
    log(`bundling ${fn.entry}`);
    const built = await buildFunction(fn);
    const measure = await measureBundle(built.metafile, built.outdir);
    const floorBuilt = await buildFloor(fn.name, measure.sdkClients);
    const floor = await measureBundle(floorBuilt.metafile, floorBuilt.outdir);
    const result: FunctionResult = {
      name: fn.name,
      entry: fn.entry,
      minifiedBytes: measure.minifiedBytes,
      gzippedBytes: measure.gzippedBytes,
      sdkClients: measure.sdkClients,
      packages: measure.packages,
      largestInputs: measure.largestInputs,
      floorMinifiedBytes: floor.minifiedBytes,
    };
    results.push(result);
    importTargets.push({
      fn: result,
      file: join(PROJECT_ROOT, measure.file),
      floor: join(PROJECT_ROOT, floor.file),
      env: functionEnv(fn),
    });
  }
  if (!CHECK) {
    for (const target of importTargets) {
      log(`cold imports of ${target.fn.name} and its floor (${IMPORT_RUNS} fresh processes each)`);
      const env = {
        ...target.env,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: "testing",
        AWS_SECRET_ACCESS_KEY: "testing",
        AWS_SESSION_TOKEN: "testing",
      };
      const samples = await coldImports([target.file, target.floor], IMPORT_RUNS, env);
      const ours = samples.get(target.file) ?? [];
      const floor = samples.get(target.floor) ?? [];
      target.fn.coldImportMs = { median: round(median(ours)), runs: IMPORT_RUNS };
      target.fn.floorImportMs = { median: round(median(floor)), runs: IMPORT_RUNS };
      const ratio = pairedRatio(ours, floor);
      target.fn.importRatio = ratio.median;
      target.fn.importRatioSpread = { p25: ratio.p25, p75: ratio.p75 };
    }
  }
  return results;
}

const round = (n: number) => Math.round(n * 10) / 10;

interface Loaded {
  fn: GuardFunctionInfo;
  handler: Handler;
}

/**
 * The deployed functions, as the host runs them: each bundle in its Node.js 24 sandbox with its role's credentials
 * (IAM enforced by the emulator), invoked directly as Lambda's Invoke does. The sandbox's init happens on the first
 * call, outside the counting window (countCalls warms each function first).
 */
function deployedHandlers(host: FunctionHost, functions: GuardFunctionInfo[]): Map<string, Loaded> {
  const loaded = new Map<string, Loaded>();
  for (const fn of functions) {
    loaded.set(fn.entry, { fn, handler: (event) => host.invoke(fn.entry, event) as Promise<unknown> });
  }
  return loaded;
}

let invocations = 0;
async function invoke(loaded: Loaded, event: unknown): Promise<any> {
  invocations += 1;
  return loaded.handler(event, fakeContext(loaded.fn.name, invocations));
}

function outcomesOf(report: any): string[] {
  const findings = (report?.findings ?? []) as { outcome: string }[];
  return findings.map((f) => f.outcome);
}

function outcomeOf(report: any): string {
  const outcomes = outcomesOf(report);
  if (outcomes.length === 0) return report?.outcome ?? "none";
  return [...new Set(outcomes)].join(",");
}

async function countCalls(
  proxy: CountingProxy,
  handlers: Map<string, Loaded>,
  account: BenchAccount,
): Promise<CallResult[]> {
  const rows: CallResult[] = [];
  for (const scenario of SCENARIOS) {
    const loaded = handlers.get(scenario.function);
    if (!loaded) continue;
    for (const [path, prepare] of Object.entries(scenario.paths) as [PathName, (a: BenchAccount) => Promise<any>][]) {
      const event = await prepare(account);
      const { result, calls } = await proxy.count(() => invoke(loaded, event), HOLD_MS);
      const outcome = outcomeOf(result);
      if (!outcomeMatches(path, outcomesOf(result))) {
        throw new Error(
          `${scenario.trigger} ${path}: expected ${EXPECTED_OUTCOME[path]}, the handler reported ${outcome}`,
        );
      }
      const byOperation: Record<string, number> = {};
      const tally = { reads: 0, writes: 0, publishes: 0 };
      for (const call of calls) {
        const key = `${call.service}:${call.operation}`;
        byOperation[key] = (byOperation[key] ?? 0) + 1;
        tally[classify(call)] += 1;
      }
      rows.push({
        function: loaded.fn.name,
        trigger: scenario.trigger,
        kind: scenario.kind,
        path,
        accountFileSystems: account.size,
        ...tally,
        total: calls.length,
        roundTrips: criticalPath(calls),
        schedule: steps(calls)
          .map((step) => step.map((c) => c.operation).join(" + "))
          .join(" > "),
        byOperation,
        outcome,
      });
    }
  }
  return rows;
}

async function measureLatency(handlers: Map<string, Loaded>, account: BenchAccount): Promise<LatencyResult[]> {
  const rows: LatencyResult[] = [];
  for (const scenario of SCENARIOS) {
    const loaded = handlers.get(scenario.function);
    if (!loaded) continue;
    for (const path of ["compliant", "remediation"] as PathName[]) {
      const prepare = scenario.paths[path];
      if (!prepare) continue;
      log(`latency: ${scenario.trigger} ${path} x ${LATENCY_EVENTS}`);
      const samples: number[] = [];
      remediationTimes.length = 0;
      for (let i = 0; i < LATENCY_EVENTS; i++) {
        const event = await prepare(account);
        // The change happens now: CloudTrail's delivery to EventBridge (seconds on AWS) is not part of the emulator.
        const detail = (event as { detail?: { eventTime?: string } } | undefined)?.detail;
        if (detail) detail.eventTime = new Date().toISOString();
        const started = performance.now();
        const report = await invoke(loaded, event);
        samples.push(performance.now() - started);
        if (!outcomeMatches(path, outcomesOf(report))) throw new Error(`${scenario.trigger} ${path}: wrong outcome`);
      }
      const ttr = path === "remediation" ? [...remediationTimes] : [];
      rows.push({
        function: loaded.fn.name,
        trigger: scenario.trigger,
        path,
        events: LATENCY_EVENTS,
        p50Ms: round(percentile(samples, 50)),
        p99Ms: round(percentile(samples, 99)),
        ...(ttr.length > 0
          ? { timeToRemediateP50Ms: round(percentile(ttr, 50)), timeToRemediateP99Ms: round(percentile(ttr, 99)) }
          : {}),
      });
    }
  }
  return rows;
}

/** A burst of compliant AuthorizeSecurityGroupIngress events through the emulated EventBridge and the host. */
async function measureThroughput(host: FunctionHost, account: BenchAccount) {
  const burst = SCENARIOS.find((s) => s.trigger === "ec2:AuthorizeSecurityGroupIngress");
  const prepare = burst?.paths.compliant;
  if (!prepare) return undefined;
  const events: unknown[] = [];
  for (let i = 0; i < BURST_EVENTS; i++) events.push(await prepare(account));
  const started = performance.now();
  await host.putEvents(events);
  const done = await host.drain({ concurrency: BURST_CONCURRENCY });
  const seconds = (performance.now() - started) / 1000;
  const failed = done.filter((i) => i.error);
  if (done.length !== BURST_EVENTS || failed.length > 0) {
    throw new Error(`burst: ${done.length} of ${BURST_EVENTS} delivered, ${failed.length} failed`);
  }
  return {
    events: BURST_EVENTS,
    concurrency: BURST_CONCURRENCY,
    seconds: round(seconds),
    eventsPerSecond: round(BURST_EVENTS / seconds),
  };
}

const SWEEP_ENTRY = "functions/sweep/handler.ts";

/**
 * The deployed sweep function (its bundle, its role) over a compliant region of each size in budgets.sweep, one
 * invocation each, counted on the wire: the growth table of docs/performance.md and the floor bench --check gates.
 */
async function measureSweep(
  emulator: { reset(): Promise<void> },
  proxy: CountingProxy,
  budgets: Budgets,
): Promise<SweepResult[]> {
  const rows: SweepResult[] = [];
  for (const { fileSystems, keys } of budgets.sweep?.sizes ?? []) {
    await emulator.reset();
    // After the observe period (observeDays 0), the state a sweep runs in every day after its first week. In the
    // period it also reads its stack's creation time (cloudformation:DescribeStacks on its own stack), which the
    // dependent-action check flags (the reference lists ListStacks, needed only to describe all stacks).
    const host = await FunctionHost.deploy(synthTemplate({ ...BENCH_CONFIG, observeDays: 0 }), {
      env: { LOG_LEVEL: "ERROR" },
    });
    try {
      log(`sweep: seeding ${fileSystems} file system(s) on ${keys} key(s)`);
      const account = await buildSweepAccount(fileSystems, keys);
      const started = performance.now();
      const { result, calls } = await proxy.count(() => host.invoke(SWEEP_ENTRY, {}) as Promise<any>);
      const seconds = round((performance.now() - started) / 1000);
      const byOperation: Record<string, number> = {};
      for (const c of calls)
        byOperation[`${c.service}:${c.operation}`] = (byOperation[`${c.service}:${c.operation}`] ?? 0) + 1;
      const compliant = result?.nonCompliant === 0 && (result?.errors ?? []).length === 0;
      const memory = host.invocations.findLast((i) => i.entry === SWEEP_ENTRY)?.memory;
      const mb = (bytes: number) => round(bytes / 1e6);
      log(
        `sweep: ${calls.length} calls in ${seconds} s (seeded in ${round(account.seededInMs / 1000)} s)` +
          (memory ? `, max RSS ${mb(memory.maxRssBytes)} MB, peak heap ${mb(memory.peakHeapBytes)} MB` : ""),
      );
      rows.push({
        fileSystems,
        keys,
        total: calls.length,
        byOperation,
        seconds,
        seededSeconds: round(account.seededInMs / 1000),
        compliant,
        ...(memory ? { maxRssMb: mb(memory.maxRssBytes), peakHeapMb: mb(memory.peakHeapBytes) } : {}),
      });
    } finally {
      await host.stop();
    }
  }
  return rows;
}

const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

export function renderTables(results: BenchResults, budgets: Budgets): string {
  const lines: string[] = [];
  const table = (rows: string[][]) => {
    const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
    rows.forEach((r, i) => {
      lines.push(`| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(" | ")} |`);
      if (i === 0) lines.push(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
    });
    lines.push("");
  };
  table([
    [
      "function",
      "minified",
      "gzipped",
      "budget",
      "cold import (median)",
      "floor import",
      "ratio [IQR] (budget)",
      "largest inputs",
    ],
    ...results.functions.map((f) => [
      f.name,
      kb(f.minifiedBytes),
      kb(f.gzippedBytes),
      `${bundleLimitKb(f, budgets)} kB`,
      f.coldImportMs ? `${f.coldImportMs.median} ms` : "-",
      f.floorImportMs ? `${f.floorImportMs.median} ms (${kb(f.floorMinifiedBytes)})` : kb(f.floorMinifiedBytes),
      f.importRatio !== undefined
        ? `${f.importRatio.toFixed(2)}${f.importRatioSpread ? ` [${f.importRatioSpread.p25.toFixed(2)}-${f.importRatioSpread.p75.toFixed(2)}]` : ""} (${budgets.importRatio.max})`
        : "-",
      f.packages
        .slice(0, 4)
        .map((p) => `${p.name} ${kb(p.bytes)}`)
        .join(", "),
    ]),
  ]);
  table([
    [
      "function",
      "trigger",
      "path",
      "file systems",
      "reads",
      "writes",
      "publishes",
      "calls",
      "round trips",
      "calls in sequence (+ = at the same time)",
    ],
    ...results.calls.map((c) => [
      c.function,
      c.trigger,
      c.path,
      String(c.accountFileSystems),
      String(c.reads),
      String(c.writes),
      String(c.publishes),
      String(c.total),
      c.roundTrips !== undefined ? String(c.roundTrips) : "-",
      c.schedule ??
        Object.entries(c.byOperation)
          .map(([op, n]) => `${op.replace(/^[a-z0-9]+:/, "")}${n > 1 ? ` x${n}` : ""}`)
          .join(", "),
    ]),
  ]);
  if (results.latency.length > 0) {
    table([
      ["function", "trigger", "path", "events", "p50", "p99", "time to remediate p50", "p99"],
      ...results.latency.map((l) => [
        l.function,
        l.trigger,
        l.path,
        String(l.events),
        `${l.p50Ms} ms`,
        `${l.p99Ms} ms`,
        l.timeToRemediateP50Ms === undefined ? "" : `${l.timeToRemediateP50Ms} ms`,
        l.timeToRemediateP99Ms === undefined ? "" : `${l.timeToRemediateP99Ms} ms`,
      ]),
    ]);
  }
  if (results.sweep && results.sweep.length > 0) {
    const ops = [...new Set(results.sweep.flatMap((r) => Object.keys(r.byOperation)))].sort();
    table([
      [
        "sweep: file systems",
        "keys",
        "calls",
        "floor 2N+3K+ceil(N/100)+20",
        "wall time",
        "max RSS (sandbox)",
        "peak heap",
        ...ops.map((o) => o.replace(/^[a-z0-9]+:/, "")),
      ],
      ...results.sweep.map((r) => [
        String(r.fileSystems),
        String(r.keys),
        String(r.total),
        String(2 * r.fileSystems + 3 * r.keys + Math.ceil(r.fileSystems / 100) + (budgets.sweep?.callsConstant ?? 20)),
        `${r.seconds} s`,
        r.maxRssMb === undefined ? "-" : `${r.maxRssMb} MB`,
        r.peakHeapMb === undefined ? "-" : `${r.peakHeapMb} MB`,
        ...ops.map((o) => String(r.byOperation[o] ?? 0)),
      ]),
    ]);
  }
  if (results.throughput) {
    const t = results.throughput;
    lines.push(
      `Burst: ${t.events} events through EventBridge -> SQS -> host, concurrency ${t.concurrency}: ${t.seconds} s, ${t.eventsPerSecond} events/s`,
      "",
    );
  }
  return lines.join("\n");
}

async function main(): Promise<number> {
  const budgets = JSON.parse(await readFile(join(PROJECT_ROOT, "bench", "budgets.json"), "utf8")) as Budgets;
  const template = synthTemplate(BENCH_CONFIG);
  const functions = discoverFunctions(template);
  log(`${functions.length} guard function(s): ${functions.map((f) => f.name).join(", ")}`);
  const bundleResults = await measureBundles(functions);

  // Every operation the functions make is recorded (emulator/recorder.ts) and checked against their roles below.
  const operationsLog = join(PROJECT_ROOT, ".emulator", "operations", `bench-${process.pid}.jsonl`);
  await mkdir(dirname(operationsLog), { recursive: true });
  await writeFile(operationsLog, "");
  process.env.EFS_GUARD_OPERATIONS_LOG = operationsLog;
  const calls: CallResult[] = [];
  let latency: LatencyResult[] = [];
  let throughput: BenchResults["throughput"];
  let latencyAccount = 0;
  let sweep: SweepResult[] = [];
  if (!IMPORTS_ONLY) await measureCalls();

  async function measureCalls() {
    log("starting the emulator");
    const emulator = await startEmulator({ log });
    const proxy = await CountingProxy.start(emulator.endpoint);
    Object.assign(process.env, emulatorEnv(proxy.endpoint, REGION));
    try {
      for (const size of ACCOUNT_SIZES) {
        await emulator.reset();
        const host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "ERROR" } });
        if (host.alertsTopicArn !== TOPIC_PLACEHOLDER) throw new Error(`unexpected topic ${host.alertsTopicArn}`);
        log(`building an account with ${size} file system(s)`);
        const account = await buildAccount(size);
        // Only the functions with scenarios are invoked; the others (the migration steps, run by the workflow,
        // and the sweep) are measured for size and import time only.
        const handlers = deployedHandlers(
          host,
          functions.filter((f) => SCENARIOS.some((s) => s.function === f.entry)),
        );
        calls.push(...(await countCalls(proxy, handlers, account)));
        // Warm latency and the burst in the small account: with 200 file systems moto's linear interface filter
        // dominates every call, which says more about the emulator than about the guard.
        if (!CHECK && !NO_LATENCY && size === ACCOUNT_SIZES[0]) {
          latency = await measureLatency(handlers, account);
          log(`burst of ${BURST_EVENTS} events`);
          throughput = await measureThroughput(host, account);
          latencyAccount = size;
        }
        await host.stop();
      }
      sweep = await measureSweep(emulator, proxy, budgets);
    } finally {
      await proxy.stop();
      await emulator.stop();
    }
  }

  const measured = new Set(SCENARIOS.map((s) => s.function));
  const cpu = cpus();
  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? "unknown",
    },
    functions: bundleResults,
    calls: calls.sort(
      (a, b) =>
        a.function.localeCompare(b.function) ||
        a.trigger.localeCompare(b.trigger) ||
        a.path.localeCompare(b.path) ||
        a.accountFileSystems - b.accountFileSystems,
    ),
    unmeasured: IMPORTS_ONLY ? [] : functions.filter((f) => !measured.has(f.entry)).map((f) => f.name),
    latency: latency.map((l) => ({ ...l, accountFileSystems: latencyAccount })),
    ...(throughput ? { throughput } : {}),
    ...(sweep.length > 0 ? { sweep } : {}),
  };
  // Only a full run replaces the published results (docs/performance.md quotes one run).
  if (!CHECK && !IMPORTS_ONLY && !NO_LATENCY) {
    await writeFile(join(PROJECT_ROOT, "bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  }
  console.log(renderTables(results, budgets));
  const verdict = checkBudgets(results, budgets);
  // What the functions did, against their synthesized roles with the dependent actions (no budget: a denial on AWS).
  const permissions = await checkOperations(readOperationsLog(operationsLog));
  for (const v of permissions.violations) verdict.violations.push(`permissions: ${describeViolation(v)}`);
  for (const c of permissions.unnamed) verdict.violations.push(`permissions: unnamed operation ${c.operation}`);
  log(`permissions: ${permissions.needed.length} required actions of the recorded operations checked`);
  for (const warning of verdict.warnings) console.log(`warning: ${warning}`);
  for (const violation of verdict.violations) console.log(`OVER BUDGET: ${violation}`);
  if (verdict.violations.length === 0) console.log("every deterministic budget holds (bench/budgets.json)");
  return CHECK && verdict.violations.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
