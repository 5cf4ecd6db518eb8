import type { Context } from "aws-lambda";
import { cloudFormationClient, stackCreationTime } from "../../shared/aws/deployment.js";
import { defaultInventory } from "../../shared/aws/inventory.js";
import { sfnClient } from "../../shared/aws/migration.js";
import { startSweepMap } from "../../shared/aws/sweep-map.js";
import { allGuards } from "../../shared/guards/index.js";
import { withSweepSummary } from "../../shared/notify/sweep-notifier.js";
import { deployedAlertSender, deployedDeps } from "../../shared/pipeline/deps.js";
import { observingUntil, resolveObservePeriod, STACK_ID_ENV } from "../../shared/pipeline/observe.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import {
  type SweepError,
  type SweepReport,
  type SweepSummary,
  summarizeSweep,
  sweepRegion,
  sweepScope,
} from "../../shared/pipeline/sweep.js";
import {
  capErrors,
  itemOf,
  planItems,
  SWEEP_MAP_ENV,
  type SweepItem,
  type SweepItemEvent,
  type SweepItemResult,
  summarizeItems,
  summaryEventOf,
} from "../../shared/pipeline/sweep-map.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { errorMessage, GuardError } from "../../shared/runtime/errors.js";
import { logger } from "../../shared/runtime/logger.js";
import { guardHandler } from "../../shared/runtime/middleware.js";

/** Time kept for the Security Hub hand-over and the summary after the last assessment starts. */
export const REPORT_MARGIN_MS = 90_000;

/** The regions one sweep covers: the home region (the function's own) and those that forward their events to it. */
export function sweepRegions(home: string, others: readonly string[]): string[] {
  return [...new Set([home, ...others])];
}

/**
 * The scheduled sweep: every guard's inventory in every region through the same decide/act/report path as the
 * event handlers, one alert per non-compliant finding, then one summary message. In the observe period after the
 * first deploy it only reports what it would do (shared/pipeline/observe.ts). Regions run one after another
 * (each with bounded concurrency), so one sweep never multiplies the API rate it uses by the number of regions.
 */
export function createHandler(
  guards: readonly Guard[],
  deps: PipelineDeps,
  home: string,
  deployedAt?: () => Promise<Date>,
  /** The split's state machine (SWEEP_MAP_ENV): a region above sweepMap.fileSystemsPerItem is swept on it. */
  sweepMap?: string,
) {
  return guardHandler(async (event: unknown, context: Context): Promise<SweepSummary> => {
    // Assessments stop REPORT_MARGIN_MS before Lambda's timeout, so the findings and the summary still go out.
    const remaining =
      typeof context?.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : undefined;
    const deadline = remaining === undefined ? undefined : Date.now() + remaining - REPORT_MARGIN_MS;
    // The state machine's two steps: one item of a split region, and the summary of all of them.
    const item = itemOf(event);
    if (item) return sweepItem(guards, deps, item, deadline);
    const toSummarize = summaryEventOf(event);
    if (toSummarize) {
      const summary = summarizeItems(toSummarize);
      logger.info("sweep done", { ...summary });
      await deps.notifier.publishSummary?.(summary);
      return summary;
    }
    const period = await resolveObservePeriod(deps.config, deployedAt);
    const observing = observingUntil(period, deps.clock.now());
    const reports: SweepReport[] = [];
    const handover: SweepError[] = [];
    const items: SweepItem[] = [];
    for (const region of sweepRegions(home, deps.config.regions)) {
      const startedAt = deps.clock.now();
      const inventory = defaultInventory(region);
      const perItem = deps.config.sweepMap.fileSystemsPerItem;
      // The listing is the sweep's first read anyway (memoised): a failed one is reported by sweepRegion below.
      const listed = sweepMap ? await inventory.fileSystems().catch(() => undefined) : undefined;
      if (listed && listed.length > perItem) {
        const planned = planItems(region, await inventory.listingMarkers(), perItem);
        logger.info("sweep split", { region, fileSystems: listed.length, items: planned.length });
        items.push(...planned);
        continue;
      }
      // Streamed: each finding goes to its alert (and Security Hub) as it is decided, the summary gets counts.
      const report = await sweepRegion(guards, region, deps, {
        inventory,
        keepResults: false,
        ...(observing ? { observingUntil: observing } : {}),
        ...(deadline !== undefined ? { deadline } : {}),
      });
      reports.push(report);
      // Each region's decisions go to Security Hub with what the sweep covered, so stale findings are archived.
      try {
        await deps.findings?.flush([sweepScope(guards, report, deps.config, startedAt)]);
      } catch (error) {
        handover.push(handoverError(region, error));
      }
    }
    const summary = summarizeSweep(reports);
    summary.errors.push(...handover);
    if (observing) {
      summary.observe = { until: observing, ...(period.status === "unknown" ? { reason: period.reason } : {}) };
    }
    if (sweepMap && items.length > 0) {
      // The one summary is the state machine's last step: it adds the items to what this invocation swept.
      const execution = await startSweepMap(sfnClient(home), sweepMap, context?.awsRequestId ?? "local", {
        items,
        done: capErrors(summary),
        run: observing ? { observingUntil: observing } : {},
      });
      summary.split = { items: items.length, failedItems: 0, execution };
      logger.info("sweep split started", { execution, items: items.length });
      return summary;
    }
    logger.info("sweep done", { ...summary });
    await deps.notifier.publishSummary?.(summary);
    return summary;
  });
}

function handoverError(region: string, error: unknown): SweepError {
  return {
    guard: "security-hub",
    region,
    code: (error as { awsCode?: string }).awsCode ?? "Error",
    message: `the findings could not be handed to the Security Hub reporter: ${errorMessage(error)}`,
    retryable: error instanceof GuardError ? error.retryable : false,
  };
}

/**
 * One item of a split region (a child of the Map): its slice of the listing through the same sweepRegion, the
 * region-wide resources in the first item only. Its findings go to Security Hub without an archive scope: stale
 * findings are archived only by a sweep that saw the whole region (docs/performance.md).
 */
async function sweepItem(
  guards: readonly Guard[],
  deps: PipelineDeps,
  { sweepItem: item, run: { observingUntil: observing } }: SweepItemEvent,
  deadline: number | undefined,
): Promise<SweepItemResult> {
  const first = item.page.index === 0;
  const slice = { pages: item.page.pages, first, ...(item.page.marker ? { marker: item.page.marker } : {}) };
  const report = await sweepRegion(guards, item.region, deps, {
    inventory: defaultInventory(item.region, slice),
    slice: { first },
    keepResults: false,
    ...(observing ? { observingUntil: observing } : {}),
    ...(deadline !== undefined ? { deadline } : {}),
  });
  const summary = summarizeSweep([report]);
  try {
    await deps.findings?.flush([]);
  } catch (error) {
    summary.errors.push(handoverError(item.region, error));
  }
  if (observing) summary.observe = { until: observing };
  logger.info("sweep item done", { region: item.region, item: item.page.index, ...summary });
  return { ...capErrors(summary), sweepItem: item };
}

const home = process.env.AWS_REGION ?? "us-east-1";
const stackId = process.env[STACK_ID_ENV];
const deps = await deployedDeps();
export const handler = createHandler(
  allGuards(),
  { ...deps, notifier: withSweepSummary(deps.notifier, deployedAlertSender()) },
  home,
  stackId ? () => stackCreationTime(cloudFormationClient(home), stackId) : undefined,
  process.env[SWEEP_MAP_ENV] || undefined,
);
