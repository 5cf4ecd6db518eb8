import { Duration } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, type IMetric, Metric, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IRule } from "aws-cdk-lib/aws-events";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { IStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { METRICS_NAMESPACE, METRICS_SERVICE } from "../../shared/runtime/metrics.js";

/**
 * Alarms that tell the operators when something was not handled: every one fires on the first occurrence (> 0 in
 * one 5-minute period) and notifies the alerts topic, whose key lets CloudWatch publish. Missing data is "not
 * breaching": these metrics are only emitted when something happens.
 */
const PERIOD = Duration.minutes(5);

function alarm(scope: Construct, id: string, metric: IMetric, description: string, topic: ITopic): Alarm {
  const a = new Alarm(scope, id, {
    metric,
    threshold: 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
    alarmDescription: description,
  });
  a.addAlarmAction(new SnsAction(topic));
  return a;
}

/** Any other metric that must stay at 0 (e.g. findings Security Hub refused). */
export function alarmOnMetric(scope: Construct, id: string, metric: IMetric, description: string, topic: ITopic) {
  return alarm(scope, id, metric, description, topic);
}

/** An EfsGuard metric the functions emit (shared/runtime/metrics.ts) that must stay at 0, summed per period. */
export function alarmOnGuardMetric(
  scope: Construct,
  id: string,
  metric: { name: string; dimensions?: Record<string, string> },
  description: string,
  topic: ITopic,
) {
  const m = new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: metric.name,
    dimensionsMap: { service: METRICS_SERVICE, ...metric.dimensions },
    statistic: "Sum",
    period: PERIOD,
  });
  return alarm(scope, id, m, description, topic);
}

/** A dead-letter queue is not empty: an event or invocation failed after every retry and waits for a human. */
export function alarmOnDeadLetterQueue(scope: Construct, id: string, queue: IQueue, topic: ITopic, what: string) {
  return alarm(
    scope,
    id,
    queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: "Maximum" }),
    `EFS Guard: ${what} has messages. An event was not handled after every retry; inspect the messages, fix the cause, then redrive or delete them.`,
    topic,
  );
}

/** An EventBridge rule could neither deliver an event nor dead-letter it: the event is lost. */
export function alarmOnRuleDlqFailure(scope: Construct, id: string, rule: IRule, topic: ITopic) {
  return alarm(
    scope,
    id,
    new Metric({
      namespace: "AWS/Events",
      metricName: "InvocationsFailedToBeSentToDlq",
      dimensionsMap: { RuleName: rule.ruleName },
      period: PERIOD,
      statistic: "Sum",
    }),
    "EFS Guard: EventBridge could not write a failed event to the dead-letter queue (the event is lost). Check the queue policy and the key policy.",
    topic,
  );
}

/**
 * Errors (the handler threw: a retryable AWS failure, or a bug), throttles (concurrency exhausted, invocations
 * delayed) and destination delivery failures (an asynchronous failure could not reach the dead-letter queue).
 */
export function alarmOnFunction(scope: Construct, fn: IFunction, topic: ITopic, name: string) {
  return [
    alarm(
      scope,
      "ErrorsAlarm",
      fn.metricErrors({ period: PERIOD, statistic: "Sum" }),
      `EFS Guard: ${name} failed an invocation. Lambda retries it; read the function's log for the error.`,
      topic,
    ),
    alarm(
      scope,
      "ThrottlesAlarm",
      fn.metricThrottles({ period: PERIOD, statistic: "Sum" }),
      `EFS Guard: ${name} was throttled. Events are delayed; check the account's Lambda concurrency.`,
      topic,
    ),
    alarm(
      scope,
      "DestinationFailuresAlarm",
      fn.metric("DestinationDeliveryFailures", { period: PERIOD, statistic: "Sum" }),
      `EFS Guard: ${name} could not send a failed invocation to its dead-letter queue (the event is lost).`,
      topic,
    ),
  ];
}

/**
 * A state machine run that ended failed, timed out or aborted: the workflow did not finish and someone has to look.
 * Used for the migration workflow; any state machine of the stack can be wired with it.
 */
export class StateMachineAlarms extends Construct {
  readonly alarms: Alarm[];
  constructor(scope: Construct, id: string, stateMachine: IStateMachine, topic: ITopic) {
    super(scope, id);
    this.alarms = [
      alarm(
        this,
        "FailedAlarm",
        stateMachine.metricFailed({ period: PERIOD, statistic: "Sum" }),
        "EFS Guard: a workflow execution failed. Open the execution in the Step Functions console for the failed state.",
        topic,
      ),
      alarm(
        this,
        "TimedOutAlarm",
        stateMachine.metricTimedOut({ period: PERIOD, statistic: "Sum" }),
        "EFS Guard: a workflow execution timed out.",
        topic,
      ),
      alarm(
        this,
        "AbortedAlarm",
        stateMachine.metricAborted({ period: PERIOD, statistic: "Sum" }),
        "EFS Guard: a workflow execution was aborted (stopped by someone or something).",
        topic,
      ),
    ];
  }
}

/**
 * Alarms on failed, timed-out and aborted executions of a state machine, notifying the alerts topic. The alarms are
 * created under `scope` (usually the construct that owns the state machine).
 */
export function alarmOnStateMachine(
  scope: Construct,
  stateMachine: IStateMachine,
  topic: ITopic,
  id = "ExecutionAlarms",
): StateMachineAlarms {
  return new StateMachineAlarms(scope, id, stateMachine, topic);
}
