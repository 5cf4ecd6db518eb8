import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import type { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Architecture, type CfnFunction, LoggingFormat, Runtime } from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { type EventPattern, patternsFor } from "../../events/patterns.js";
import { CONFIG_ENV, type GuardConfig } from "../../shared/config/schema.js";
import { PROJECT_ROOT } from "../paths.js";

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
 * its environment, its own least-privilege role, and nothing lost on failure: rule targets retry and dead-letter,
 * asynchronous invocations that still fail go to the same queue.
 */
export class GuardFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly deadLetterQueue: Queue;
  readonly rules: Rule[] = [];

  constructor(scope: Construct, id: string, props: GuardFunctionProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const logGroup = new LogGroup(this, "Logs", {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
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
      onFailure: new SqsDestination(this.deadLetterQueue),
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
    for (const statement of props.statements) this.fn.addToRolePolicy(statement);
    props.topic.grantPublish(this.fn);

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
    });
  }

  get region(): string {
    return Stack.of(this).region;
  }
}

function toCdkPattern(pattern: EventPattern) {
  return { source: pattern.source, detailType: pattern["detail-type"], detail: pattern.detail };
}
