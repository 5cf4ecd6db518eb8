import type { Context } from "aws-lambda";
import { cloudFormationClient, stackCreationTime } from "../../shared/aws/deployment.js";
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
) {
  return guardHandler(async (_event: unknown, context: Context): Promise<SweepSummary> => {
    // Assessments stop REPORT_MARGIN_MS before Lambda's timeout, so the findings and the summary still go out.
    const remaining =
      typeof context?.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : undefined;
    const deadline = remaining === undefined ? undefined : Date.now() + remaining - REPORT_MARGIN_MS;
    const period = await resolveObservePeriod(deps.config, deployedAt);
    const observing = observingUntil(period, deps.clock.now());
    const reports: SweepReport[] = [];
    const handover: SweepError[] = [];
    for (const region of sweepRegions(home, deps.config.regions)) {
      const startedAt = deps.clock.now();
      // Streamed: each finding goes to its alert (and Security Hub) as it is decided, the summary gets counts.
      const report = await sweepRegion(guards, region, deps, {
        keepResults: false,
        ...(observing ? { observingUntil: observing } : {}),
        ...(deadline !== undefined ? { deadline } : {}),
      });
      reports.push(report);
      // Each region's decisions go to Security Hub with what the sweep covered, so stale findings are archived.
      try {
        await deps.findings?.flush([sweepScope(guards, report, deps.config, startedAt)]);
      } catch (error) {
        handover.push({
          guard: "security-hub",
          region,
          code: (error as { awsCode?: string }).awsCode ?? "Error",
          message: `the findings could not be handed to the Security Hub reporter: ${errorMessage(error)}`,
          retryable: error instanceof GuardError ? error.retryable : false,
        });
      }
    }
    const summary = summarizeSweep(reports);
    summary.errors.push(...handover);
    if (observing) {
      summary.observe = { until: observing, ...(period.status === "unknown" ? { reason: period.reason } : {}) };
    }
    logger.info("sweep done", { ...summary });
    await deps.notifier.publishSummary?.(summary);
    return summary;
  });
}

const home = process.env.AWS_REGION ?? "us-east-1";
const stackId = process.env[STACK_ID_ENV];
const deps = await deployedDeps();
export const handler = createHandler(
  allGuards(),
  { ...deps, notifier: withSweepSummary(deps.notifier, deployedAlertSender()) },
  home,
  stackId ? () => stackCreationTime(cloudFormationClient(home), stackId) : undefined,
);
