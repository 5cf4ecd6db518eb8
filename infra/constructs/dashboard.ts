import { Duration } from "aws-cdk-lib";
import { Dashboard, GraphWidget, type IMetric, Metric, TextWidget } from "aws-cdk-lib/aws-cloudwatch";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { IStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { CONTROL_IDS } from "../../shared/config/controls.js";
import { METRICS_NAMESPACE, METRICS_SERVICE } from "../../shared/runtime/metrics.js";

export interface GuardDashboardProps {
  /** Dead-letter queues by a short name (the function or workflow they belong to). */
  deadLetterQueues: Record<string, IQueue>;
  migration: IStateMachine;
  securityHub: boolean;
}

const PERIOD = Duration.minutes(5);
const IGNORE_REASONS = ["malformed", "failed-call", "foreign-source", "unsupported-event"];

function guardMetric(name: string, dimensions: Record<string, string>, statistic: string, label: string): IMetric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: METRICS_SERVICE, ...dimensions },
    statistic,
    period: PERIOD,
    label,
  });
}

/**
 * One CloudWatch dashboard for the operators: time to remediate (p50 and p99, from the CloudTrail eventTime of the
 * change to the remediation's successful write) per control, remediations and failures per control, non-compliant
 * findings, ignored events by reason, dead-letter queue depth, the migration workflow's executions by outcome and,
 * when it is on, Security Hub imports. The metrics are the EMF metrics of shared/runtime/metrics.ts.
 */
export class GuardDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: GuardDashboardProps) {
    super(scope, id);
    const perControl = (name: string, statistic: string, suffix = "") =>
      CONTROL_IDS.map((control) => guardMetric(name, { control }, statistic, `${control}${suffix}`));
    this.dashboard = new Dashboard(this, "Dashboard", { defaultInterval: Duration.days(7) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          "## EFS Guard\nTime to remediate runs from the CloudTrail `eventTime` of a change to the moment the remediation's write succeeded. A non-empty dead-letter queue has an alarm of its own.",
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: "Time to remediate p50 (ms)",
        left: perControl("TimeToRemediate", "p50", " p50"),
        width: 12,
      }),
      new GraphWidget({
        title: "Time to remediate p99 (ms)",
        left: perControl("TimeToRemediate", "p99", " p99"),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: "Remediations per control", left: perControl("Remediations", "Sum"), width: 12 }),
      new GraphWidget({
        title: "Remediation failures per control",
        left: perControl("RemediationFailures", "Sum"),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: "Non-compliant findings per control",
        left: CONTROL_IDS.map((control) =>
          guardMetric("Findings", { control, verdict: "non-compliant" }, "Sum", control),
        ),
        width: 12,
      }),
      new GraphWidget({
        title: "Ignored events by reason",
        left: IGNORE_REASONS.map((reason) => guardMetric("IgnoredEvents", { reason }, "Sum", reason)),
        width: 12,
      }),
    );
    const sm = props.migration;
    this.dashboard.addWidgets(
      new GraphWidget({
        title: "Dead-letter queue depth",
        left: Object.entries(props.deadLetterQueues).map(([name, q]) =>
          q.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: "Maximum", label: name }),
        ),
        width: 12,
      }),
      new GraphWidget({
        title: "Migration executions",
        left: [
          sm.metricStarted({ period: PERIOD, statistic: "Sum", label: "started" }),
          sm.metricSucceeded({ period: PERIOD, statistic: "Sum", label: "succeeded" }),
          sm.metricFailed({ period: PERIOD, statistic: "Sum", label: "failed" }),
          sm.metricTimedOut({ period: PERIOD, statistic: "Sum", label: "timed out (approval)" }),
          sm.metricAborted({ period: PERIOD, statistic: "Sum", label: "aborted" }),
        ],
        width: 12,
      }),
    );
    if (props.securityHub) {
      this.dashboard.addWidgets(
        new GraphWidget({
          title: "Security Hub",
          left: [
            guardMetric("SecurityHubImported", {}, "Sum", "imported"),
            guardMetric("SecurityHubFailures", {}, "Sum", "not imported"),
          ],
          width: 24,
        }),
      );
    }
  }
}
