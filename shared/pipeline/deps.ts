import { configFromEnv } from "../config/schema.js";
import { snsFindingsSink } from "../notify/findings.js";
import { snsNotifier } from "../notify/sns.js";
import { systemClock } from "../runtime/clock.js";
import { ConfigError } from "../runtime/errors.js";
import { emfMetrics } from "../runtime/metrics.js";
import type { PipelineDeps } from "./run.js";

/** Where the guard functions send every decision for Security Hub; set by the stack only when `securityHub` is on. */
export const FINDINGS_TOPIC_ENV = "FINDINGS_TOPIC_ARN";

/** The dependencies of a deployed function, from its environment; a missing or bad setting fails the init. */
export function deployedDeps(env: NodeJS.ProcessEnv = process.env): PipelineDeps {
  const config = configFromEnv(env);
  const topic = env.ALERTS_TOPIC_ARN;
  if (!topic) throw new ConfigError(["ALERTS_TOPIC_ARN is not set: the function has nowhere to report"]);
  const findings = env[FINDINGS_TOPIC_ENV];
  if (config.securityHub && !findings) {
    throw new ConfigError([`securityHub is on but ${FINDINGS_TOPIC_ENV} is not set: findings would be lost`]);
  }
  return {
    config,
    clock: systemClock,
    notifier: snsNotifier(topic, undefined, config),
    metrics: emfMetrics(),
    ...(config.securityHub && findings ? { findings: snsFindingsSink(findings, systemClock) } : {}),
  };
}
