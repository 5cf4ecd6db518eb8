import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Architecture, type CfnFunction, type IDestination, LoggingFormat, Runtime } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { type EventPattern, patternsFor } from "../../events/patterns.js";
import { CONFIG_ENV, type GuardConfig } from "../../shared/config/schema.js";
import { regionFence } from "../iam.js";
import { PROJECT_ROOT } from "../paths.js";
import { alarmOnDeadLetterQueue, alarmOnFunction, alarmOnRuleDlqFailure } from "./alarms.js";

export interface GuardFunctionProps {
  /** Path of the handler, relative to the project root (functions/NAME/handler.ts). */
  entry: string;
  description: string;
  config: GuardConfig;
  topic: ITopic;
  key: IKey;
  /** "eventSource:eventName" keys; one EventBridge rule per event source. */
  events?: readonly string[];
  statements: PolicyStatement[];
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
}

/** Metadata key that tells the local function host which handler a synthesized function runs. */
export const ENTRY_METADATA = "EfsGuardEntry";

/**
 * One guard function with the defaults every guard function shares: Node.js 24 on arm64, an ESM bundle with the
 * SDK inside (no dependency on the runtime's SDK version), JSON logs kept 90 days, the validated configuration in
 * its environment, and:
 * - its own role holding only `statements`, the alerts publish, the dead-letter send and the log writes (no AWS
 *   managed policy), fenced to the guarded regions;
 * - nothing lost on failure: rule targets retry and dead-letter, asynchronous invocations that still fail go to the
 *   same queue;
 * - alarms to the alerts topic on a non-empty dead-letter queue, errors, throttles, and lost events.
 */
export class GuardFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly deadLetterQueue: Queue;
  readonly rules: Rule[] = [];
  /** The "eventSource:eventName" keys this function's rules match (forwarded from the other regions too). */
  readonly events: readonly string[];

  constructor(scope: Construct, id: string, props: GuardFunctionProps) {
    super(scope, id);
    this.events = props.events ?? [];
    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "AwsSolutions::AwsSolutions-SQS3",
      reason:
        "This queue is itself the dead-letter queue of the function's EventBridge targets and of its asynchronous invocations (on-failure destination); cdk-nag only recognises queues named in another queue's RedrivePolicy.",
    });
    const logGroup = new LogGroup(this, "Logs", {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Our own role: the default one carries AWSLambdaBasicExecutionRole (logs:* on every log group of the account).
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `EFS Guard ${id}: the function's execution role`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        sid: "WriteOwnLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [logGroup.logGroupArn],
      }),
    );
    // The alerts go to the topic and failed invocations to the queue, both encrypted with the guard's key. A producer
    // of an SSE-KMS topic or queue needs GenerateDataKey and Decrypt only, and only through those two services.
    this.role.addToPolicy(
      new PolicyStatement({ sid: "PublishAlerts", actions: ["sns:Publish"], resources: [props.topic.topicArn] }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        sid: "SendToDeadLetterQueue",
        actions: ["sqs:SendMessage"],
        resources: [this.deadLetterQueue.queueArn],
      }),
    );
    const stack = Stack.of(this);
    this.role.addToPolicy(
      new PolicyStatement({
        sid: "UseGuardKeyViaSnsAndSqs",
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: [props.key.keyArn],
        conditions: {
          StringEquals: {
            "kms:ViaService": [`sns.${stack.region}.amazonaws.com`, `sqs.${stack.region}.amazonaws.com`],
          },
        },
      }),
    );
    this.role.addToPolicy(regionFence([stack.region, ...props.config.regions]));
    // The grant above is ours; CDK's SqsDestination would also grant kms:Encrypt and kms:ReEncrypt*.
    const onFailure: IDestination = { bind: () => ({ destination: this.deadLetterQueue.queueArn }) };
    this.fn = new NodejsFunction(this, "Function", {
      entry: `${PROJECT_ROOT}/${props.entry}`,
      handler: "handler",
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}/package-lock.json`,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(60),
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      role: this.role,
      onFailure,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      environment: {
        [CONFIG_ENV]: JSON.stringify(props.config),
        ALERTS_TOPIC_ARN: props.topic.topicArn,
        POWERTOOLS_SERVICE_NAME: "efs-guard",
        LOG_LEVEL: "INFO",
        NODE_OPTIONS: "--enable-source-maps",
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: "node22",
        minify: true,
        sourceMap: true,
        externalModules: [],
        mainFields: ["module", "main"],
        metafile: true,
        // Some CommonJS dependencies call require(); an ESM bundle needs it defined.
        banner:
          "import{createRequire as __efsGuardCreateRequire}from'node:module';const require=__efsGuardCreateRequire(import.meta.url);",
      },
    });
    (this.fn.node.defaultChild as CfnFunction).addMetadata(ENTRY_METADATA, props.entry);
    for (const statement of props.statements) this.role.addToPolicy(statement);

    const patterns = props.events ? patternsFor(props.events) : [];
    patterns.forEach((pattern, index) => {
      const rule = new Rule(this, `Rule${index}`, {
        description: `EFS Guard ${id}: ${pattern.detail.eventName.join(", ")} (${pattern.detail.eventSource[0]})`,
        eventPattern: toCdkPattern(pattern),
        targets: [
          new LambdaFunction(this.fn, {
            deadLetterQueue: this.deadLetterQueue,
            retryAttempts: 8,
            maxEventAge: Duration.hours(24),
          }),
        ],
      });
      this.rules.push(rule);
      alarmOnRuleDlqFailure(this, `Rule${index}DlqFailureAlarm`, rule, props.topic);
    });

    alarmOnDeadLetterQueue(
      this,
      "DeadLetterAlarm",
      this.deadLetterQueue,
      props.topic,
      `the dead-letter queue of ${id}`,
    );
    alarmOnFunction(this, this.fn, props.topic, id);
  }

  get region(): string {
    return Stack.of(this).region;
  }
}

/** Every event key some guard function under `scope` subscribes to: what the other regions must forward. */
export function guardEventsOf(scope: Construct): string[] {
  const keys = new Set<string>();
  for (const c of scope.node.findAll()) if (c instanceof GuardFunction) for (const k of c.events) keys.add(k);
  return [...keys].sort();
}

export function toCdkPattern(pattern: EventPattern) {
  return { source: pattern.source, detailType: pattern["detail-type"], detail: pattern.detail };
}
