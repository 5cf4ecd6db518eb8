import { defaultInventory, type RegionInventory } from "../aws/inventory.js";
import type { GuardConfig } from "../config/schema.js";
import type { Trigger } from "../events/triggers.js";
import { triggerResourceId } from "../events/triggers.js";
import type { Clock } from "../runtime/clock.js";
import { errorMessage, GuardError } from "../runtime/errors.js";
import { logger } from "../runtime/logger.js";
import { mapLimit } from "./concurrency.js";
import { handleFinding, type PipelineDeps } from "./run.js";
import type { ArchiveScopeInput, Guard, Origin, Outcome, Result } from "./types.js";

/** How many resources are read and decided at once: enough to finish a large account, few enough for rate limits. */
export const SWEEP_CONCURRENCY = 4;

export interface SweepError {
  guard: string;
  region: string;
  /** The resource being assessed, or undefined when the guard's inventory itself failed. */
  resource?: string;
  code: string;
  message: string;
  retryable: boolean;
  /** The organization sweep: the member account it happened in (absent: the deployment's own account). */
  account?: string;
}

export interface SweepReport {
  region: string;
  /**
   * Every decision taken, compliant and not applicable included, in inventory order per guard; empty with
   * `keepResults: false` (the scheduled sweep), where each result goes to its alert and the tally as it is decided.
   */
  results: Result[];
  /** Resources (or whole inventories) that could not be read: reported, never silently skipped. */
  errors: SweepError[];
  /** What the summary and the Security Hub archive need, added up as the results come. */
  tally: SweepTally;
}

/** A region's results as counts and resource ids: a few bytes per resource instead of every finding's evidence. */
export interface SweepTally {
  counts: Record<string, Partial<Record<Outcome, number>>>;
  nonCompliant: number;
  remediated: number;
  failed: number;
  cutOverPending: { fileSystemId: string; replacement: string; region: string }[];
  resources: Set<string>;
}

function emptyTally(): SweepTally {
  return { counts: {}, nonCompliant: 0, remediated: 0, failed: 0, cutOverPending: [], resources: new Set() };
}

/** The tally of results already at hand. */
export function tallyOf(results: readonly Result[]): SweepTally {
  const tally = emptyTally();
  for (const result of results) addToTally(tally, result);
  return tally;
}

function addToTally(tally: SweepTally, result: Result) {
  if (result.outcome === "cut-over-pending" && result.finding.pending) {
    tally.cutOverPending.push({
      fileSystemId: result.finding.resource.id,
      replacement: result.finding.pending.replacement,
      region: result.finding.resource.region,
    });
  }
  const perControl = tally.counts[result.finding.control] ?? {};
  tally.counts[result.finding.control] = perControl;
  perControl[result.outcome] = (perControl[result.outcome] ?? 0) + 1;
  if (result.finding.verdict === "non-compliant") tally.nonCompliant += 1;
  if (result.outcome === "remediated") tally.remediated += 1;
  if (result.outcome === "remediation-failed") tally.failed += 1;
  tally.resources.add(result.finding.resource.id);
}

export interface SweepOptions {
  /** Overrides config.sweepConcurrency for every guard (tests). */
  concurrency?: number;
  /** The region's shared inventory (default: on the guard's own clients, read once for this sweep of the region). */
  inventory?: RegionInventory;
  account?: string;
  /** In the observe period: remediations are reported, not done (shared/pipeline/observe.ts). */
  observingUntil?: string;
  /** false: stream (each result is alerted and added to the tally, not kept); default true (scan, tests). */
  keepResults?: boolean;
  /**
   * When (epoch ms) to stop starting assessments, so that the invocation still sends its findings and summary
   * before Lambda's timeout. What is left is reported as an error of its guard (code SweepTimeBudget), which also
   * keeps its controls out of the Security Hub archive: nothing is dropped silently.
   */
  deadline?: number;
  /** Wall clock for the deadline (ms). */
  now?: () => number;
  /**
   * One item of a split sweep (shared/pipeline/sweep-map.ts), with `inventory` scoped to its slice of the listing:
   * only the file systems of the slice are assessed, and the region-wide resources (keys, groups, access points,
   * task definitions) by the first item only, so that every resource is assessed by exactly one item.
   */
  slice?: { first: boolean };
}

export const TIME_BUDGET_CODE = "SweepTimeBudget";

function timeBudgetError(guard: string, region: string, left: number, total: number): SweepError {
  return {
    guard,
    region,
    code: TIME_BUDGET_CODE,
    message: `${left} of ${total} resources not assessed: the sweep reached its time budget (the function's timeout less the time to report); they are assessed by the next sweep`,
    retryable: true,
  };
}

function toSweepError(guard: string, region: string, error: unknown, resource?: string): SweepError {
  const e = error as { awsCode?: string; code?: string };
  return {
    guard,
    region,
    ...(resource ? { resource } : {}),
    code: e?.awsCode ?? e?.code ?? "Error",
    message: errorMessage(error),
    retryable: error instanceof GuardError ? error.retryable : false,
  };
}

/**
 * Every guard's inventory -> assess -> handleFinding for one region, the same path the event handlers take (so the
 * decisions, remediations and alerts are the same), with origin "sweep". One resource failing to read is recorded
 * and the sweep goes on; nothing here throws for an AWS failure. Used by the scheduled sweep and the `scan` command
 * (with a silent notifier and dry run, scan changes nothing).
 */
export async function sweepRegion(
  guards: readonly Guard[],
  region: string,
  deps: PipelineDeps,
  options: SweepOptions = {},
): Promise<SweepReport> {
  const origin: Origin = {
    kind: "sweep",
    region,
    ...(options.account ? { account: options.account } : {}),
    ...(options.observingUntil ? { observingUntil: options.observingUntil } : {}),
  };
  const report: SweepReport = { region, results: [], errors: [], tally: emptyTally() };
  const keep = options.keepResults !== false;
  const inventory = options.inventory ?? defaultInventory(region);
  const now = options.now ?? Date.now;
  const late = () => options.deadline !== undefined && now() >= options.deadline;
  for (const guard of guards) {
    // A guard without a sweep path reads the whole region itself: the first item has it.
    if (options.slice && !options.slice.first && !guard.sweep) continue;
    const path = guardPath(guard, region, inventory);
    if (late()) {
      report.errors.push({
        ...timeBudgetError(guard.name, region, 0, 0),
        message: "not started: the sweep reached its time budget",
      });
      continue;
    }
    let triggers: Trigger[];
    try {
      triggers = await path.inventory(deps.config);
      if (options.slice) triggers = await inSlice(triggers, inventory, options.slice.first);
    } catch (error) {
      report.errors.push(toSweepError(guard.name, region, error));
      logger.error("sweep inventory failed", { guard: guard.name, region, error: errorMessage(error) });
      continue;
    }
    const limit = options.concurrency ?? (guard.sweep ? deps.config.sweepConcurrency[guard.sweep.service] : undefined);
    let skipped = 0;
    const perTrigger = await mapLimit(triggers, limit ?? SWEEP_CONCURRENCY, async (trigger) => {
      const results: Result[] = [];
      if (late()) {
        skipped += 1;
        return results;
      }
      try {
        const findings = await path.assess(trigger, deps.config, deps.clock, origin);
        for (const finding of findings) {
          if (!finding.resource.account && options.account) finding.resource.account = options.account;
          const result = await handleFinding(finding, origin, guard, deps);
          addToTally(report.tally, result);
          if (keep) results.push(result);
        }
      } catch (error) {
        const id = triggerResourceId(trigger);
        report.errors.push(toSweepError(guard.name, region, error, id));
        logger.error("sweep assessment failed", {
          guard: guard.name,
          region,
          resource: id,
          error: errorMessage(error),
        });
      }
      return results;
    });
    report.results.push(...perTrigger.flat());
    if (skipped > 0) {
      report.errors.push(timeBudgetError(guard.name, region, skipped, triggers.length));
      logger.warn("sweep time budget reached", { guard: guard.name, region, skipped, total: triggers.length });
    }
  }
  return report;
}

/** An item's share of a guard's triggers: the file systems of its slice, and the rest in the first item only. */
async function inSlice(triggers: Trigger[], inventory: RegionInventory, first: boolean): Promise<Trigger[]> {
  const ids = new Set((await inventory.fileSystems()).map((fs) => fs.fileSystemId));
  return triggers.filter((t) => (t.type === "file-system" ? ids.has(t.fileSystemId) : first));
}

/**
 * How the sweep and `scan` read one guard in one region: its sweep path on the shared inventory when it has one,
 * else its own inventory() and assess() (a guard added without a sweep path still runs, at its own cost).
 */
export function guardPath(guard: Guard, region: string, inventory: RegionInventory) {
  const sweep = guard.sweep;
  return {
    inventory: (config: GuardConfig) => (sweep ? sweep.inventory(inventory, config) : guard.inventory(region, config)),
    assess: (trigger: Trigger, config: GuardConfig, clock: Clock, origin: Origin) =>
      sweep ? sweep.assess(trigger, inventory, config, clock, origin) : guard.assess(trigger, region, config, clock),
  };
}

/**
 * What one region's sweep covered completely, for Security Hub: the controls of every guard whose inventory
 * succeeded, the resources it decided, those it could not read. A guard that declares no controls is never covered.
 */
export function sweepScope(
  guards: readonly Guard[],
  report: SweepReport,
  config: PipelineDeps["config"],
  startedAt: Date,
): ArchiveScopeInput {
  const failedInventories = new Set(report.errors.filter((e) => e.resource === undefined).map((e) => e.guard));
  const controls = guards.filter((g) => !failedInventories.has(g.name)).flatMap((g) => [...(g.controls ?? [])]);
  return {
    region: report.region,
    controls,
    evaluated: controls.filter((c) => config.modes[c] !== "off"),
    resources: [...report.tally.resources],
    unreadResources: report.errors.flatMap((e) => (e.resource ? [e.resource] : [])),
    startedAt: startedAt.toISOString(),
  };
}

export interface SweepSummary {
  regions: string[];
  /** control -> outcome -> count. */
  counts: Record<string, Partial<Record<Outcome, number>>>;
  nonCompliant: number;
  remediated: number;
  failed: number;
  errors: SweepError[];
  /** Set while the sweep observes: until when, and why when the end is not known. */
  observe?: { until: string; reason?: string };
  /** Migrated file systems whose cut-over is the operator's (reported here once, not alerted each sweep). */
  cutOverPending: { fileSystemId: string; replacement: string; region: string }[];
  /** Errors counted but not listed (a split sweep's items return at most ITEM_ERRORS each, shared/pipeline/sweep-map.ts). */
  omittedErrors?: number;
  /** Set when regions were split on the Distributed Map: how many items, how many of them failed. */
  split?: { items: number; failedItems: number; execution?: string };
  /** The organization sweep (shared/pipeline/sweep-map.ts): per account id, its counts per control, the hub's too. */
  accounts?: Record<string, AccountTally>;
  /** The organization sweep's member accounts that could not be swept (no member role, AccessDenied, throttled). */
  unreachable?: UnreachableAccount[];
  /** Unreachable accounts counted but not listed (the summary step's output, SUMMARY_UNREACHABLE in sweep-map.ts). */
  omittedUnreachable?: number;
  /** Swept accounts counted but not listed in `accounts` (the summary step's output, ACCOUNT_LINES kept). */
  omittedAccounts?: number;
}

/** One account's share of an organization sweep. */
export interface AccountTally {
  /** control -> outcome -> count, as SweepSummary.counts. */
  counts: Record<string, Partial<Record<Outcome, number>>>;
  nonCompliant: number;
  remediated: number;
  failed: number;
  /** Resources or inventories of the account that could not be read (listed, capped, in SweepSummary.errors). */
  errors: number;
}

export interface UnreachableAccount {
  account: string;
  /** The regions whose items failed. */
  regions: string[];
  /** The item's error (MemberRoleUnavailableError, a throttling code, States.Timeout...) and its message. */
  code: string;
  message: string;
}

/** A summary's tally as one account's share (the organization sweep's per-account counts). */
export function accountTally(summary: SweepSummary): AccountTally {
  return {
    counts: summary.counts,
    nonCompliant: summary.nonCompliant,
    remediated: summary.remediated,
    failed: summary.failed,
    errors: summary.errors.length + (summary.omittedErrors ?? 0),
  };
}

export function summarizeSweep(reports: readonly SweepReport[]): SweepSummary {
  const counts: SweepSummary["counts"] = {};
  for (const { tally } of reports) {
    for (const [control, outcomes] of Object.entries(tally.counts)) {
      const perControl = counts[control] ?? {};
      counts[control] = perControl;
      for (const [outcome, n] of Object.entries(outcomes) as [Outcome, number][]) {
        perControl[outcome] = (perControl[outcome] ?? 0) + n;
      }
    }
  }
  const sum = (pick: (t: SweepTally) => number) => reports.reduce((n, r) => n + pick(r.tally), 0);
  return {
    regions: reports.map((r) => r.region),
    counts,
    nonCompliant: sum((t) => t.nonCompliant),
    remediated: sum((t) => t.remediated),
    failed: sum((t) => t.failed),
    errors: reports.flatMap((r) => r.errors),
    cutOverPending: reports.flatMap((r) => r.tally.cutOverPending),
  };
}
