import { loadConfig } from "../config/runtime.js";
import { snsFindingsSink } from "../notify/findings.js";
import { type AlertSender, inboxSender, topicSender } from "../notify/publish.js";
import { alertNotifier } from "../notify/sns.js";
import { systemClock } from "../runtime/clock.js";
import { ConfigError } from "../runtime/errors.js";
import { emfMetrics } from "../runtime/metrics.js";
import type { PipelineDeps } from "./run.js";

/** Where the guard functions send every decision for Security Hub; set by the stack only when `securityHub` is on. */
export const FINDINGS_TOPIC_ENV = "FINDINGS_TOPIC_ARN";
/** The alert inbox the guard functions hand their alerts to; set by the stack while `alertDedupWindowMinutes` > 0. */
export const ALERTS_INBOX_ENV = "ALERTS_INBOX_TOPIC_ARN";

/**
 * How a deployed guard function sends its alerts: to the alert inbox when deduplication is on (the alerts function
 * publishes them), else straight to the alerts topic. Either is one SNS Publish per alert.
 */
export function deployedAlertSender(env: NodeJS.ProcessEnv = process.env): AlertSender {
  const inbox = env[ALERTS_INBOX_ENV];
  if (inbox) return inboxSender(inbox);
  const topic = env.ALERTS_TOPIC_ARN;
  if (!topic) {
    throw new ConfigError([
      `neither ${ALERTS_INBOX_ENV} nor ALERTS_TOPIC_ARN is set: the function has nowhere to report`,
    ]);
  }
  return topicSender(topic);
}

/** The dependencies of a deployed function, from its environment; a missing or bad setting fails the init. */
export async function deployedDeps(env: NodeJS.ProcessEnv = process.env): Promise<PipelineDeps> {
  const config = await loadConfig(env);
  const send = deployedAlertSender(env);
  const findings = env[FINDINGS_TOPIC_ENV];
  if (config.securityHub && !findings) {
    throw new ConfigError([`securityHub is on but ${FINDINGS_TOPIC_ENV} is not set: findings would be lost`]);
  }
  return {
    config,
    clock: systemClock,
    notifier: alertNotifier(send, config),
    metrics: emfMetrics(),
    ...(config.securityHub && findings ? { findings: snsFindingsSink(findings, systemClock) } : {}),
  };
}
