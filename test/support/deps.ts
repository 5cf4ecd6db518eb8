import { type ConfigInput, parseConfig } from "../../shared/config/schema.js";
import type { Finding } from "../../shared/controls/types.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Notifier, Origin, Result } from "../../shared/pipeline/types.js";
import { fixedClock } from "../../shared/runtime/clock.js";

/** A notifier that keeps what would have been published, for tests that call the pipeline directly. */
export class RecordingNotifier implements Notifier {
  readonly published: { result: Result; origin: Origin }[] = [];
  async publish(result: Result, origin: Origin) {
    this.published.push({ result, origin });
  }
}

export function testDeps(
  config: ConfigInput = {},
  now = "2026-11-26T12:00:00Z",
): PipelineDeps & { notifier: RecordingNotifier } {
  return { config: parseConfig(config), clock: fixedClock(now), notifier: new RecordingNotifier() };
}

/** An `efs-guard:exempt-until` date `days` after today (UTC): within maxExemptionDays for the real clock. */
export function exemptUntil(days = 30): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

export function only<T extends Finding>(findings: T[]): T {
  if (findings.length !== 1) throw new Error(`expected one finding, got ${findings.length}`);
  return findings[0]!;
}
