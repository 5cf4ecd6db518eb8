import type { PathKind } from "./scenarios.js";

/** The shape of bench/results.json (what `npm run bench` measured). */
export interface BenchResults {
  generatedAt: string;
  machine: { node: string; platform: string; arch: string; cpus: number; cpuModel: string };
  functions: FunctionResult[];
  calls: CallResult[];
  /** Functions found in the template with no call-count scenario (bench/scenarios.ts). */
  unmeasured: string[];
  latency: LatencyResult[];
  throughput?: { events: number; concurrency: number; seconds: number; eventsPerSecond: number };
}

export interface FunctionResult {
  name: string;
  entry: string;
  minifiedBytes: number;
  gzippedBytes: number;
  sdkClients: string[];
  packages: { name: string; bytes: number }[];
  largestInputs: { path: string; bytes: number }[];
  floorMinifiedBytes: number;
  /** Absent with --check, which skips timings. */
  coldImportMs?: { median: number; runs: number };
  floorImportMs?: { median: number; runs: number };
  importRatio?: number;
}

export interface CallResult {
  function: string;
  trigger: string;
  kind: PathKind;
  path: string;
  accountFileSystems: number;
  reads: number;
  writes: number;
  publishes: number;
  total: number;
  byOperation: Record<string, number>;
  outcome: string;
}

export interface LatencyResult {
  function: string;
  trigger: string;
  path: string;
  events: number;
  accountFileSystems?: number;
  p50Ms: number;
  p99Ms: number;
  /**
   * Time to remediate as the function's own TimeToRemediate metric (EMF) reports it: the CloudTrail eventTime of
   * the change (set to the moment the event is handed over, as the emulator delivers at once) to the remediation's
   * successful write. Remediation paths only.
   */
  timeToRemediateP50Ms?: number;
  timeToRemediateP99Ms?: number;
}

export interface Budgets {
  bundle: { maxMinifiedKbWithEc2Client: number; maxMinifiedKbWithoutEc2Client: number };
  importRatio: { max: number };
  callsPerEvent: Record<"compliant" | "remediation", { reads: number; writes: number; publishes: number }>;
  growth: Record<PathKind, { extraCallsPer100FileSystems: number }>;
  /**
   * Documented exceptions to callsPerEvent: a higher read (or write) limit for named paths of a function, or of
   * one trigger of it, with the reason.
   */
  callsPerEventExceptions?: {
    function: string;
    trigger?: string;
    paths: string[];
    reads: number;
    writes?: number;
    /**
     * Reads that grow with the file systems behind the resource, on top of `reads` (which is the count with one):
     * for a path that must ask about each of them. Allowed in the growth check too.
     */
    extraReadsPerFileSystem?: number;
    why: string;
  }[];
  /** Documented exceptions to the bundle limit, per function, with the reason. */
  bundleExceptions?: { function: string; maxMinifiedKb: number; why: string }[];
}

export interface Verdict {
  /** Deterministic budgets exceeded: these fail `--check`. */
  violations: string[];
  /** Reported, not gated: timings over budget, things not measured. */
  warnings: string[];
}

export function bundleLimitKb(fn: Pick<FunctionResult, "name" | "sdkClients">, budgets: Budgets): number {
  const exception = budgets.bundleExceptions?.find((e) => e.function === fn.name);
  if (exception) return exception.maxMinifiedKb;
  return fn.sdkClients.includes("@aws-sdk/client-ec2")
    ? budgets.bundle.maxMinifiedKbWithEc2Client
    : budgets.bundle.maxMinifiedKbWithoutEc2Client;
}

/** Compares results with the budgets. Pure: the test feeds it fabricated results. */
export function checkBudgets(results: BenchResults, budgets: Budgets): Verdict {
  const violations: string[] = [];
  const warnings: string[] = [];
  if (results.functions.length === 0) violations.push("no function was measured");

  for (const fn of results.functions) {
    const limit = bundleLimitKb(fn, budgets);
    if (fn.minifiedBytes > limit * 1000) {
      violations.push(`${fn.name}: bundle ${(fn.minifiedBytes / 1000).toFixed(1)} kB > ${limit} kB`);
    } else if (fn.minifiedBytes > bundleLimitKb({ name: "", sdkClients: fn.sdkClients }, budgets) * 1000) {
      warnings.push(
        `${fn.name}: bundle ${(fn.minifiedBytes / 1000).toFixed(1)} kB, over the general limit, within its documented exception (budgets.json)`,
      );
    }
    if (fn.importRatio !== undefined && fn.importRatio > budgets.importRatio.max) {
      warnings.push(`${fn.name}: import ${fn.importRatio.toFixed(2)}x the floor > ${budgets.importRatio.max}x`);
    }
  }
  for (const name of results.unmeasured) warnings.push(`${name}: no call-count scenario in bench/scenarios.ts`);

  const excepted = new Set<string>();
  const exceptionFor = (row: CallResult) =>
    budgets.callsPerEventExceptions?.find(
      (e) =>
        e.function === row.function &&
        (e.trigger === undefined || e.trigger === row.trigger) &&
        e.paths.includes(row.path),
    );
  for (const row of results.calls) {
    const base = row.path === "compliant" ? budgets.callsPerEvent.compliant : budgets.callsPerEvent.remediation;
    // A path whose kind may page through the file systems gets the pages its growth budget allows, on top.
    const pages =
      budgets.growth[row.kind].extraCallsPer100FileSystems * Math.max(0, Math.ceil(row.accountFileSystems / 100) - 1);
    const general = { ...base, reads: base.reads + pages };
    const exception = exceptionFor(row);
    const perFileSystem = (exception?.extraReadsPerFileSystem ?? 0) * Math.max(0, row.accountFileSystems - 1);
    const budget = exception
      ? { ...general, reads: exception.reads + pages + perFileSystem, writes: exception.writes ?? general.writes }
      : general;
    const where = `${row.trigger} ${row.path} (${row.accountFileSystems} file systems)`;
    for (const key of ["reads", "writes", "publishes"] as const) {
      if (row[key] > budget[key]) violations.push(`${where}: ${row[key]} ${key} > ${budget[key]}`);
    }
    if (exception && (row.reads > general.reads || row.writes > general.writes)) {
      excepted.add(`${row.function}${exception.trigger ? ` ${exception.trigger}` : ""} ${row.path}`);
    }
  }
  for (const what of excepted) {
    warnings.push(`${what}: over the general call budget, within its documented exception (budgets.json)`);
  }

  const groups = new Map<string, CallResult[]>();
  for (const row of results.calls) {
    const key = `${row.function}|${row.trigger}|${row.path}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  for (const rows of groups.values()) {
    const sorted = [...rows].sort((a, b) => a.accountFileSystems - b.accountFileSystems);
    const small = sorted[0];
    const large = sorted.at(-1);
    if (!small || !large || small === large) {
      violations.push(`${rows[0]?.trigger} ${rows[0]?.path}: growth not measured (needs two account sizes)`);
      continue;
    }
    const allowed =
      budgets.growth[small.kind].extraCallsPer100FileSystems *
        Math.ceil((large.accountFileSystems - small.accountFileSystems) / 100) +
      (exceptionFor(small)?.extraReadsPerFileSystem ?? 0) * (large.accountFileSystems - small.accountFileSystems);
    const extra = large.total - small.total;
    if (extra > allowed) {
      violations.push(
        `${small.trigger} ${small.path}: ${small.total} calls with ${small.accountFileSystems} file systems, ` +
          `${large.total} with ${large.accountFileSystems} (+${extra}, allowed +${allowed})`,
      );
    }
  }
  return { violations, warnings };
}
