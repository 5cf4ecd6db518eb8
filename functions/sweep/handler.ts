import type { Context } from "aws-lambda";
import { cloudFormationClient, stackCreationTime } from "../../shared/aws/deployment.js";
import { defaultInventory } from "../../shared/aws/inventory.js";
import { sfnClient } from "../../shared/aws/migration.js";
import {
  putRunItems,
  readRunItems,
  readRunResults,
  s3Client,
  startSweepMap,
  sweepExecutionName,
} from "../../shared/aws/sweep-map.js";
import { allGuards } from "../../shared/guards/index.js";
import { withSweepSummary } from "../../shared/notify/sweep-notifier.js";
import { deployedAlertSender, deployedDeps } from "../../shared/pipeline/deps.js";
import { observingUntil, resolveObservePeriod, STACK_ID_ENV } from "../../shared/pipeline/observe.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import {
  accountTally,
  type SweepError,
  type SweepReport,
  type SweepSummary,
  summarizeSweep,
  sweepRegion,
  sweepScope,
} from "../../shared/pipeline/sweep.js";
import {
  capErrors,
  compactSummary,
  itemOf,
  planAccountItems,
  planItems,
  resultsOfEntries,
  runKeys,
  SWEEP_BUCKET_ENV,
  SWEEP_MAP_ENV,
  type SweepItem,
  type SweepItemEvent,
  type SweepItemResult,
  type SweepRunSummary,
  type SweepSummaryEvent,
  summarizeItems,
  summaryEventOf,
} from "../../shared/pipeline/sweep-map.js";
import { type OrgSweep, orgSweep } from "../../shared/pipeline/sweep-org.js";
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
  /** The hub's organization sweep, from the function's ARN (shared/pipeline/sweep-org.ts); undefined elsewhere. */
  organization?: (functionArn: string) => OrgSweep | undefined,
  /** The runs bucket (SWEEP_BUCKET_ENV, the hub only): the Map's items and results are its objects. */
  runsBucket?: string,
) {
  let org: OrgSweep | undefined | null = null;
  const orgOf = (context: Context) => {
    if (org === null) org = context?.invokedFunctionArn ? organization?.(context.invokedFunctionArn) : undefined;
    return org;
  };
  return guardHandler(async (event: unknown, context: Context): Promise<SweepSummary> => {
    // Assessments stop REPORT_MARGIN_MS before Lambda's timeout, so the findings and the summary still go out.
    const remaining =
      typeof context?.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : undefined;
    const deadline = remaining === undefined ? undefined : Date.now() + remaining - REPORT_MARGIN_MS;
    // The state machine's two steps: one item of a split region, and the summary of all of them.
    const item = itemOf(event);
    if (item) return sweepItem(guards, deps, item, deadline, orgOf(context));
    const toSummarize = summaryEventOf(event);
    if (toSummarize) {
      const all = summarizeItems("resultWriter" in toSummarize ? await readRun(home, toSummarize) : toSummarize);
      // The log line and the execution's output (256 KiB at most) carry the first errors and unreachable accounts,
      // the rest counted; the message counts them all.
      const summary = compactSummary(all);
      logger.info("sweep done", { ...summary });
      await deps.notifier.publishSummary?.(all);
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
    const organizationSweep = sweepMap ? orgOf(context) : undefined;
    if (organizationSweep) {
      items.push(...(await memberItems(organizationSweep, sweepRegions(home, deps.config.regions), summary, home)));
      summary.accounts = { [organizationSweep.homeAccount]: accountTally(summary) };
    }
    if (observing) {
      summary.observe = { until: observing, ...(period.status === "unknown" ? { reason: period.reason } : {}) };
    }
    if (sweepMap && items.length > 0) {
      // The one summary is the state machine's last step: it adds the items to what this invocation swept. With the
      // runs bucket the items are an object the Map's ItemReader reads (no 256 KiB limit on their number).
      const requestId = context?.awsRequestId ?? "local";
      const run = observing ? { observingUntil: observing } : {};
      let carried: { items: SweepItem[] } | ReturnType<typeof runKeys> = { items };
      if (runsBucket) {
        carried = runKeys(sweepExecutionName(requestId));
        await putRunItems(s3Client(home), runsBucket, carried.itemsKey, items);
      }
      const execution = await startSweepMap(sfnClient(home), sweepMap, requestId, {
        ...carried,
        done: capErrors(summary),
        run,
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

/**
 * The organization's items: every member account times the guarded regions. A failed listing is an error of the
 * summary (the hub's own regions are still swept and reported); its accounts are swept by the next sweep.
 */
async function memberItems(
  org: OrgSweep,
  regions: string[],
  summary: SweepSummary,
  home: string,
): Promise<SweepItem[]> {
  try {
    const members = await org.members();
    logger.info("sweep organization", { accounts: members.length, regions: regions.length });
    return planAccountItems(
      members.map((m) => m.id),
      regions,
    );
  } catch (error) {
    logger.error("sweep organization listing failed", { error: errorMessage(error) });
    summary.errors.push({
      guard: "organization",
      region: home,
      code: (error as { awsCode?: string }).awsCode ?? "Error",
      message: `the member accounts could not be listed, only this account was swept: ${errorMessage(error)}`,
      retryable: error instanceof GuardError ? error.retryable : false,
    });
    return [];
  }
}

/** A run's items and its children's results, from the runs bucket (the summary step's event names them). */
async function readRun(home: string, run: SweepRunSummary): Promise<SweepSummaryEvent["sweepSummary"]> {
  const s3 = s3Client(home);
  const [items, entries] = await Promise.all([
    readRunItems(s3, run.resultWriter.Bucket, run.itemsKey),
    readRunResults(s3, run.resultWriter),
  ]);
  return { items, done: run.done, results: resultsOfEntries(entries) };
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
  org: OrgSweep | undefined,
): Promise<SweepItemResult> {
  const common = {
    keepResults: false,
    ...(observing ? { observingUntil: observing } : {}),
    ...(deadline !== undefined ? { deadline } : {}),
  };
  let report: SweepReport;
  if (item.account !== undefined) {
    // A member's whole region, with its clients (its member role); a role that cannot be assumed fails the item
    // with MemberRoleUnavailableError, which the Map's Catch hands to the summary.
    if (!org) throw new GuardError("EVENT_MALFORMED", `sweep item for account ${item.account}: not the hub`);
    const member = await org.member(item.account);
    report = await sweepRegion(member.guards, item.region, deps, {
      ...common,
      account: item.account,
      inventory: defaultInventory(item.region, undefined, member.clients),
    });
  } else {
    const page = item.page ?? { index: 0, of: 1, pages: 1 };
    const first = page.index === 0;
    const slice = { pages: page.pages, first, ...(page.marker ? { marker: page.marker } : {}) };
    report = await sweepRegion(guards, item.region, deps, {
      ...common,
      inventory: defaultInventory(item.region, slice),
      slice: { first },
    });
  }
  const summary = summarizeSweep([report]);
  // A member's tally is its item's (the summary step files it under item.account: not repeated here, the Map's
  // results must stay within 256 KiB); the hub's own pages say whose they are.
  if (org && item.account === undefined) summary.accounts = { [org.homeAccount]: accountTally(summary) };
  try {
    await deps.findings?.flush([]);
  } catch (error) {
    summary.errors.push(handoverError(item.region, error));
  }
  if (observing) summary.observe = { until: observing };
  logger.info("sweep item done", {
    region: item.region,
    ...(item.account ? { account: item.account } : { item: item.page?.index }),
    ...summary,
  });
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
  (functionArn) => orgSweep(deps.config, functionArn, deps.clock, { guards: (clients) => allGuards({ clients }) }),
  process.env[SWEEP_BUCKET_ENV] || undefined,
);
