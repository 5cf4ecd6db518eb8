import { allGuards } from "../../shared/guards/index.js";
import { deployedDeps } from "../../shared/pipeline/deps.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import { type SweepReport, type SweepSummary, summarizeSweep, sweepRegion } from "../../shared/pipeline/sweep.js";
import type { Guard } from "../../shared/pipeline/types.js";
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
    for (const region of sweepRegions(home, deps.config.regions)) {
      reports.push(await sweepRegion(guards, region, deps));
    }
    const summary = summarizeSweep(reports);
    logger.info("sweep done", { ...summary });
    await deps.notifier.publishSummary?.(summary);
    return summary;
  });
}

export const handler = createHandler(allGuards(), await deployedDeps(), process.env.AWS_REGION ?? "us-east-1");
