import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { AttributeType, BillingMode, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { EventSourceMapping } from "aws-cdk-lib/aws-lambda";
import { type ITopic, Topic } from "aws-cdk-lib/aws-sns";
import { SqsSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { GuardConfig } from "../../shared/config/schema.js";
import { onlyThesePublish } from "../iam.js";
import { alarmOnDeadLetterQueue, alarmOnGuardMetric } from "./alarms.js";
import { deadLetterQueue, GuardFunction } from "./guard-function.js";

export interface AlertDedupProps {
  config: GuardConfig;
  /** The alerts topic: what people subscribe to. */
  topic: ITopic;
  key: IKey;
}

/**
 * Alert deduplication, while `alertDedupWindowMinutes` > 0: the guard functions publish each alert once to the
 * inbox topic (encrypted, TLS-only, only the guard roles may publish), whose queue feeds the alerts function; it
 * decides with one conditional write per alert in the dedup table whether the alert is the first of its kind in the
 * window (published to the alerts topic at once) or a duplicate (counted, reported when the window ends), and is
 * the only function that publishes alerts to the alerts topic. The queue retries a failed message 5 times, then
 * keeps it 14 days in a dead-letter queue with an alarm; a table failure delivers the alert anyway, and is alarmed.
 *
 * The table is on-demand, its items expire by TTL a day after their window, and it is encrypted with the AWS managed
 * key for DynamoDB: with a customer managed key, every principal that reads or writes the table would need
 * kms:CreateGrant, kms:Decrypt and kms:DescribeKey through DynamoDB (DynamoDB Developer Guide, "Key policy for a
 * customer managed key"), for a table that holds hashes, counts and alert titles for an hour.
 */
export class AlertDedup extends Construct {
  readonly inbox: Topic;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly table: Table;
  readonly function: GuardFunction;
  private readonly publishers: IRole[] = [];

  constructor(scope: Construct, id: string, props: AlertDedupProps) {
    super(scope, id);
    this.inbox = new Topic(this, "Inbox", {
      displayName: "EFS Guard alert inbox (internal: subscribe to the alerts topic instead)",
      masterKey: props.key,
      enforceSSL: true,
    });
    this.table = new Table(this, "Table", {
      partitionKey: { name: "pk", type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: "expiresAt",
      // Windows of an hour: nothing in it is worth keeping once the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      // Point-in-time recovery costs next to nothing for a table this small, and keeps cdk-nag's rule (DDB3) met
      // rather than acknowledged.
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    this.deadLetterQueue = deadLetterQueue(
      this,
      "DeadLetterQueue",
      props.key,
      "This queue is the dead-letter queue of the alert queue (its RedrivePolicy names it).",
    );
    this.queue = new Queue(this, "Queue", {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      // Six times the function timeout, as Lambda recommends for an SQS event source.
      visibilityTimeout: Duration.minutes(6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    this.inbox.addSubscription(new SqsSubscription(this.queue, { rawMessageDelivery: true }));
    this.function = new GuardFunction(this, "Function", {
      config: props.config,
      topic: props.topic,
      key: props.key,
      entry: "functions/alerts/handler.ts",
      description: "EFS Guard alerts: merges identical alerts within the dedup window, publishes the rest",
      statements: [
        new PolicyStatement({
          sid: "DecideInDedupTable",
          actions: ["dynamodb:UpdateItem"],
          resources: [this.table.tableArn],
        }),
        // No CDK grant: consuming needs these four SQS actions on this queue (and Decrypt of its key through SQS);
        // SendMessage is for its own reminders (a window's count, once the window has ended).
        new PolicyStatement({
          sid: "ConsumeAlertQueue",
          actions: [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
            "sqs:SendMessage",
          ],
          resources: [this.queue.queueArn],
        }),
        // An organization's hub names each alert's account: its name in this organization only.
        ...(props.config.organization?.organizationId
          ? [accountNameStatement(this, props.config.organization.organizationId)]
          : []),
      ],
      environment: { ALERTS_QUEUE_URL: this.queue.queueUrl, ALERT_DEDUP_TABLE: this.table.tableName },
    });
    new EventSourceMapping(this, "FromQueue", {
      target: this.function.fn,
      eventSourceArn: this.queue.queueArn,
      batchSize: 10,
      // No batching window: an alert waits for nothing.
      reportBatchItemFailures: true,
    });
    alarmOnDeadLetterQueue(
      this,
      "DeadLetterAlarm",
      this.deadLetterQueue,
      props.topic,
      "the dead-letter queue of the alerts function",
    );
    alarmOnGuardMetric(
      this,
      "TableFailedAlarm",
      { name: "Alerts", dimensions: { routed: "delivered-table-failed" } },
      "EFS Guard: the alert dedup table could not be used; alerts are delivered without deduplication. The alerts function's log says why.",
      props.topic,
    );
    onlyThesePublish(this.inbox, "OnlyTheGuardPublishes", () => this.publishers);
  }

  /** Lets a guard function hand alerts to the inbox (it got the inbox as its `inbox` prop). */
  allowPublisher(fn: GuardFunction): void {
    this.publishers.push(fn.role);
  }
}

/**
 * organizations:DescribeAccount on the accounts of this organization: the account's ARN is
 * arn:PARTITION:organizations::MANAGEMENT_ACCOUNT:account/o-ORG/ACCOUNT (Service Authorization Reference, AWS
 * Organizations, resource type "account"); the management account is left open because the hub may be a delegated
 * administrator, whose management account the config does not name. Only the management account or a delegated
 * administrator is answered at all (Organizations API Reference, DescribeAccount).
 */
export function accountNameStatement(scope: Construct, organizationId: string): PolicyStatement {
  return new PolicyStatement({
    sid: "NameTheAlertsAccount",
    actions: ["organizations:DescribeAccount"],
    resources: [`arn:${Stack.of(scope).partition}:organizations::*:account/${organizationId}/*`],
  });
}
