import { allGuards } from "../../shared/guards/index.js";
import { withSweepSummary } from "../../shared/notify/sweep-notifier.js";
import { deployedAlertSender, deployedDeps } from "../../shared/pipeline/deps.js";
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

/** The regions one sweep covers: the home region (the function's own) and those that forward their events to it. */
export function sweepRegions(home: string, others: readonly string[]): string[] {
  return [...new Set([home, ...others])];
}

/**
 * The scheduled sweep: every guard's inventory in every region through the same decide/act/report path as the
 * event handlers, one alert per non-compliant finding, then one summary message. Regions run one after another
 * (each with bounded concurrency), so one sweep never multiplies the API rate it uses by the number of regions.
 */
export function createHandler(guards: readonly Guard[], deps: PipelineDeps, home: string) {
  return guardHandler(async (): Promise<SweepSummary> => {
    const reports: SweepReport[] = [];
    const handover: SweepError[] = [];
    for (const region of sweepRegions(home, deps.config.regions)) {
      const startedAt = deps.clock.now();
      const report = await sweepRegion(guards, region, deps);
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
    logger.info("sweep done", { ...summary });
    await deps.notifier.publishSummary?.(summary);
    return summary;
  });
}

const deps = deployedDeps();
export const handler = createHandler(
  allGuards(),
  { ...deps, notifier: withSweepSummary(deps.notifier, deployedAlertSender()) },
  process.env.AWS_REGION ?? "us-east-1",
);
