import { Duration, Stack } from "aws-cdk-lib";
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

export interface SecurityHubReporterProps {
  config: GuardConfig;
  topic: ITopic;
  key: IKey;
}

/**
 * Security Hub, when `securityHub` is on: a findings topic that the guard functions publish every decision to, a
 * queue subscribed to it, and the reporter function that imports them into Security Hub. Only the reporter holds
 * Security Hub permissions, exactly:
 * - securityhub:BatchImportFindings on the account's default product of custom integrations in each guarded region
 *   (resource type "product" in the Service Authorization Reference), for this account's findings only
 *   (securityhub:TargetAccount, the AwsAccountId in the request);
 * - securityhub:GetFindings and securityhub:BatchUpdateFindings on the hub of each guarded region (resource type
 *   "hub": arn:PARTITION:securityhub:REGION:ACCOUNT:hub/default).
 * Topic and queues are encrypted with the guard's key and TLS-only; the topic denies Publish to every principal but
 * the guard roles (`allowPublishers`), so nobody else in the account can feed findings to Security Hub through it.
 * The queue retries a failed message 5 times, then keeps it 14 days in a dead-letter queue with an alarm.
 */
export class SecurityHubReporter extends Construct {
  readonly topic: Topic;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly function: GuardFunction;
  private readonly publishers: IRole[] = [];

  constructor(scope: Construct, id: string, props: SecurityHubReporterProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.topic = new Topic(this, "Topic", {
      displayName: "EFS Guard findings for Security Hub",
      masterKey: props.key,
      enforceSSL: true,
    });
    this.deadLetterQueue = deadLetterQueue(
      this,
      "DeadLetterQueue",
      props.key,
      "This queue is the dead-letter queue of the findings queue (its RedrivePolicy names it).",
    );
    this.function = new GuardFunction(this, "Function", {
      config: props.config,
      topic: props.topic,
      key: props.key,
      entry: "functions/security-hub/handler.ts",
      description: "EFS Guard Security Hub reporter: imports every finding (ASFF) and sets its workflow",
      statements: securityHubStatements(this, [stack.region, ...props.config.regions]),
      timeout: Duration.minutes(5),
      environment: { EFS_GUARD_ACCOUNT: stack.account },
    });
    this.queue = new Queue(this, "Queue", {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      // Six times the function timeout, as Lambda recommends for an SQS event source.
      visibilityTimeout: Duration.minutes(30),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    this.topic.addSubscription(new SqsSubscription(this.queue, { rawMessageDelivery: true }));
    // No CDK grant: consuming needs these four SQS actions on this queue and Decrypt of its key through SQS only.
    this.function.role.addToPolicy(
      new PolicyStatement({
        sid: "ConsumeFindingsQueue",
        actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
        resources: [this.queue.queueArn],
      }),
    );
    new EventSourceMapping(this, "FromQueue", {
      target: this.function.fn,
      eventSourceArn: this.queue.queueArn,
      batchSize: 10,
      maxBatchingWindow: Duration.seconds(5),
      reportBatchItemFailures: true,
      // Two reporters at most: Security Hub allows 10 imports and 3 reads per second per account and region.
      maxConcurrency: 2,
    });
    alarmOnDeadLetterQueue(
      this,
      "DeadLetterAlarm",
      this.deadLetterQueue,
      props.topic,
      "the dead-letter queue of the Security Hub reporter",
    );
    alarmOnGuardMetric(
      this,
      "RefusedAlarm",
      { name: "SecurityHubFailures" },
      "EFS Guard: Security Hub refused findings (not enabled in a region, access denied, or invalid). The reporter's log names each finding and the reason.",
      props.topic,
    );
    onlyThesePublish(this.topic, "OnlyTheGuardPublishes", () => this.publishers);
  }

  /** Lets a guard function publish its decisions (and nobody else). */
  allowPublisher(fn: GuardFunction): void {
    this.publishers.push(fn.role);
    fn.role.addToPolicy(
      new PolicyStatement({ sid: "PublishFindings", actions: ["sns:Publish"], resources: [this.topic.topicArn] }),
    );
    fn.fn.addEnvironment("FINDINGS_TOPIC_ARN", this.topic.topicArn);
  }
}

export function securityHubStatements(scope: Construct, regions: string[]): PolicyStatement[] {
  const stack = Stack.of(scope);
  const p = stack.partition;
  const a = stack.account;
  return [
    new PolicyStatement({
      sid: "ImportOwnFindings",
      actions: ["securityhub:BatchImportFindings"],
      resources: regions.map((r) => `arn:${p}:securityhub:${r}:${a}:product/${a}/default`),
      conditions: { StringEquals: { "securityhub:TargetAccount": a } },
    }),
    new PolicyStatement({
      sid: "ReadAndTriageOwnFindings",
      actions: ["securityhub:GetFindings", "securityhub:BatchUpdateFindings"],
      resources: regions.map((r) => `arn:${p}:securityhub:${r}:${a}:hub/default`),
    }),
  ];
}
