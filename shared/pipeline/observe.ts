import { durationToSeconds, type GuardConfig } from "../config/schema.js";
import { errorMessage } from "../runtime/errors.js";

/**
 * The observe period after the first deploy (issue 11 item 7; design section 9 "First deploy"): until it ends the
 * sweep only reports what it would do, while changes seen as events are remediated at once. So a first deploy
 * never rewrites every file system policy, nor asks to migrate every file system, of an account that was fine
 * with them yesterday; the operator sees the list first, and has `observeDays` to exempt or fix.
 *
 * When it ends: `observeUntil` when set; else `observeDays` (default 7) after the stack was first created. The
 * creation time is CloudFormation's record of the stack (DescribeStacks CreationTime): AWS writes it, no caller of
 * the account can change it, and it survives every later update of the stack (a synth-time timestamp would
 * restart the period at each deploy; a stored parameter could be edited to extend it forever).
 */
/** The environment variable through which the stack tells the sweep its own stack id. */
export const STACK_ID_ENV = "EFS_GUARD_STACK_ID";

export type ObservePeriod =
  | { status: "off" }
  | { status: "until"; until: Date; source: "observeUntil" | "stack-creation" }
  /** The deploy time could not be read: the sweep observes (the safe side) and says why. */
  | { status: "unknown"; reason: string };

/** Whether the period needs the stack's creation time (and so the DescribeStacks permission). */
export function needsDeployTime(config: Pick<GuardConfig, "observeUntil" | "observeDays">): boolean {
  return config.observeUntil === undefined && config.observeDays > 0;
}

export function observePeriod(
  config: Pick<GuardConfig, "observeUntil" | "observeDays">,
  deployedAt: Date | { error: string } | undefined,
): ObservePeriod {
  if (config.observeUntil !== undefined) {
    const v = config.observeUntil;
    return { status: "until", until: new Date(v.length === 10 ? `${v}T00:00:00Z` : v), source: "observeUntil" };
  }
  if (config.observeDays === 0) return { status: "off" };
  if (deployedAt === undefined) return { status: "unknown", reason: "the stack's creation time is not known" };
  if ("error" in deployedAt) return { status: "unknown", reason: deployedAt.error };
  const until = new Date(deployedAt.getTime() + durationToSeconds(`${config.observeDays}d`) * 1000);
  return { status: "until", until, source: "stack-creation" };
}

/** The end of the period if the sweep is inside it at `now` ("unknown" counts as inside), else undefined. */
export function observingUntil(period: ObservePeriod, now: Date): string | undefined {
  if (period.status === "unknown") return "unknown";
  if (period.status === "until" && now.getTime() < period.until.getTime()) return period.until.toISOString();
  return undefined;
}

/** The period for this sweep: reads the deploy time only when the configuration needs it. */
export async function resolveObservePeriod(
  config: Pick<GuardConfig, "observeUntil" | "observeDays">,
  deployedAt?: () => Promise<Date>,
): Promise<ObservePeriod> {
  if (!needsDeployTime(config)) return observePeriod(config, undefined);
  if (!deployedAt) return observePeriod(config, { error: "the stack id is not set (EFS_GUARD_STACK_ID)" });
  try {
    return observePeriod(config, await deployedAt());
  } catch (error) {
    return observePeriod(config, { error: `the stack's creation time could not be read: ${errorMessage(error)}` });
  }
}
