import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

/**
 * What the deployed functions measure, as CloudWatch embedded metric format (EMF) log lines through Powertools
 * Metrics: CloudWatch turns them into metrics of the namespace EfsGuard, dimension `service` (efs-guard) plus the
 * ones named here. The CLI and the tests pass none (no output on stdout).
 */
export interface GuardMetrics {
  /** One per decision: control and verdict (compliant, non-compliant, not-applicable). */
  finding(control: string, verdict: string): void;
  /** A remediation that was attempted: outcome remediated | already-remediated | remediation-failed. */
  remediation(control: string, outcome: string): void;
  /** An event that was not acted upon, by reason (malformed, failed-call, foreign-source, unsupported-event). */
  ignored(reason: string): void;
  /** CloudTrail eventTime of the change -> the remediation's write succeeded, in milliseconds. */
  timeToRemediate(control: string, milliseconds: number): void;
  /** Findings that reached Security Hub, and those that did not. */
  securityHub(imported: number, failed: number): void;
  /** The alerts function's decision per alert (delivered, merged, redelivery, delivered-table-failed, ...). */
  alert?(routed: string): void;
}

export const METRICS_NAMESPACE = "EfsGuard";
export const METRICS_SERVICE = "efs-guard";

/**
 * Powertools Metrics, created on first use: a function that records nothing builds nothing at init. Each data point
 * is a single metric with its own dimensions (Powertools flushes a single metric at once), so the handlers need no
 * flush at the end of an invocation.
 */
export function emfMetrics(): GuardMetrics {
  let metrics: Metrics | undefined;
  const put = (
    name: string,
    dimensions: Record<string, string>,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
  ) => {
    metrics ??= new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? METRICS_SERVICE,
    });
    const single = metrics.singleMetric();
    for (const [k, v] of Object.entries(dimensions)) single.addDimension(k, v);
    single.addMetric(name, unit, value);
  };
  return {
    finding: (control, verdict) => put("Findings", { control, verdict }, MetricUnit.Count, 1),
    remediation: (control, outcome) =>
      put(outcome === "remediation-failed" ? "RemediationFailures" : "Remediations", { control }, MetricUnit.Count, 1),
    ignored: (reason) => put("IgnoredEvents", { reason }, MetricUnit.Count, 1),
    timeToRemediate: (control, ms) => put("TimeToRemediate", { control }, MetricUnit.Milliseconds, ms),
    securityHub: (imported, failed) => {
      put("SecurityHubImported", {}, MetricUnit.Count, imported);
      put("SecurityHubFailures", {}, MetricUnit.Count, failed);
    },
    alert: (routed) => put("Alerts", { routed }, MetricUnit.Count, 1),
  };
}
