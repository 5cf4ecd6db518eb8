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
  /** The deployed sweep over a compliant region of each size (issue 17); absent with --imports-only. */
  sweep?: SweepResult[];
}

/** One run of the deployed sweep function over a compliant account (bench/sweep-account.ts). */
export interface SweepResult {
  fileSystems: number;
  keys: number;
  total: number;
  byOperation: Record<string, number>;
  /** The sweep's wall time on the emulator (one invocation, the home region). */
  seconds: number;
  /** Seeding the account through the SDK. */
  seededSeconds: number;
  /** Every finding compliant and no error: the floor is for a compliant account. */
  compliant: boolean;
  /**
   * The sweep sandbox's memory (emulator/lambda-runtime.mjs, the Node.js 24 process running the bundle): its peak
   * resident set since init (getrusage maxRSS, what Lambda reports as Max Memory Used) and the V8 heap's high-water
   * mark during the invocation, in MB (10^6 bytes). Reported, not gated.
   */
  maxRssMb?: number;
  peakHeapMb?: number;
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
  /** Median of the per-round ratios (bench/bundles.ts pairedRatio). */
  importRatio?: number;
  /** Quartiles of the per-round ratios. */
  importRatioSpread?: { p25: number; p75: number };
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
  /** Sequential round trips (bench/critical-path.ts); absent in results from before it was measured. */
  roundTrips?: number;
  /** The calls in the order they ran, concurrent ones joined with "+". */
  schedule?: string;
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
  /**
   * Issue 17's floor for the sweep of a compliant region of N file systems on K keys: at most ceil(N/100) +
   * `listingConstant` file-system listings, at most K DescribeKey, at most 2N + 3K + ceil(N/100) + `callsConstant`
   * calls in all; measured at each of `sizes`.
   */
  sweep?: { listingConstant: number; callsConstant: number; sizes: { fileSystems: number; keys: number }[] };
  /** Documented exceptions to the bundle limit, per function, with the reason. */
  bundleExceptions?: { function: string; maxMinifiedKb: number; why: string }[];
  /**
   * Targets for sequential round trips (bench/critical-path.ts) and calls per event, per function, trigger and path.
   * A path whose kind pages through the file systems gets its growth allowance on both (each page is one call after
   * the other). `gated: false` reports a target that is not met, with the reason, instead of failing the check.
   */
  roundTrips?: {
    targets: {
      name: string;
      function: string;
      triggers?: string[];
      paths: string[];
      roundTrips: number;
      calls: number;
      gated?: boolean;
      why?: string;
    }[];
  };
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

  for (const target of budgets.roundTrips?.targets ?? []) {
    const rows = results.calls.filter(
      (row) =>
        row.function === target.function &&
        (target.triggers === undefined || target.triggers.includes(row.trigger)) &&
        target.paths.includes(row.path),
    );
    let worst = { roundTrips: 0, calls: 0 };
    for (const row of rows) {
      const pages =
        budgets.growth[row.kind].extraCallsPer100FileSystems * Math.max(0, Math.ceil(row.accountFileSystems / 100) - 1);
      const where = `${target.name}, ${row.trigger} ${row.path} (${row.accountFileSystems} file systems)`;
      if (row.roundTrips === undefined) {
        (target.gated === false ? warnings : violations).push(`${where}: round trips not measured`);
        continue;
      }
      // Compared in the 1-file-system account's terms: the pages beyond the first are the growth allowance.
      worst = {
        roundTrips: Math.max(worst.roundTrips, row.roundTrips - pages),
        calls: Math.max(worst.calls, row.total - pages),
      };
      if (target.gated === false) continue;
      if (row.roundTrips > target.roundTrips + pages) {
        violations.push(`${where}: ${row.roundTrips} round trips > ${target.roundTrips + pages}`);
      }
      if (row.total > target.calls + pages) violations.push(`${where}: ${row.total} calls > ${target.calls + pages}`);
    }
    if (target.gated === false && (worst.roundTrips > target.roundTrips || worst.calls > target.calls)) {
      warnings.push(
        `${target.name}: target ${target.roundTrips} round trips and ${target.calls} calls, measured up to ` +
          `${worst.roundTrips} and ${worst.calls}; reported, not gated: ${target.why ?? "(no reason given)"}`,
      );
    }
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
  checkSweep(results, budgets, violations);
  return { violations, warnings };
}

/** The sweep's floor (budgets.sweep) at every size it names. */
function checkSweep(results: BenchResults, budgets: Budgets, violations: string[]) {
  const floor = budgets.sweep;
  if (!floor || results.calls.length === 0) return; // --imports-only measures no calls
  for (const size of floor.sizes) {
    const { fileSystems: n, keys: k } = size;
    const row = results.sweep?.find((r) => r.fileSystems === n && r.keys === k);
    const name = `sweep of ${n} file systems on ${k} keys`;
    if (!row) {
      violations.push(`${name}: not measured`);
      continue;
    }
    if (!row.compliant) violations.push(`${name}: the account was not found compliant, so the floor does not apply`);
    const pages = Math.ceil(n / 100);
    const listings = row.byOperation["elasticfilesystem:DescribeFileSystems"] ?? 0;
    if (listings > pages + floor.listingConstant) {
      violations.push(`${name}: ${listings} file-system listings > ${pages} + ${floor.listingConstant}`);
    }
    const described = row.byOperation["kms:DescribeKey"] ?? 0;
    if (described > k) violations.push(`${name}: ${described} DescribeKey > ${k} keys`);
    const allowed = 2 * n + 3 * k + pages + floor.callsConstant;
    if (row.total > allowed)
      violations.push(`${name}: ${row.total} calls > 2N + 3K + ceil(N/100) + ${floor.callsConstant} = ${allowed}`);
  }
}
