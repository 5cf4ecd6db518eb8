import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import type { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import {
  Architecture,
  type CfnFunction,
  Code,
  Function as LambdaFn,
  LoggingFormat,
  Runtime,
} from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { type EventPattern, patternsFor } from "../../events/patterns.js";
import { CONFIG_ENV, type GuardConfig } from "../../shared/config/schema.js";
import { BUNDLE_FILE, bundleFunctionSync } from "../bundling.js";
import { PROJECT_ROOT } from "../paths.js";

/** How the functions are bundled; `npm run bench` and the infra tests build with exactly these. */
export { BUNDLE_FILE, BUNDLE_OPTIONS, BUNDLE_PLUGINS, bundleFunction, esbuildOptions } from "../bundling.js";

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
 * SDK inside (no dependency on the runtime's SDK version; see infra/bundling.ts), JSON logs kept 90 days, the validated configuration in
 * its environment, its own least-privilege role, and nothing lost on failure: rule targets retry and dead-letter,
 * asynchronous invocations that still fail go to the same queue.
 */
export class GuardFunction extends Construct {
  readonly fn: LambdaFn;
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
    this.fn = new LambdaFn(this, "Function", {
      code: bundledCode(props.entry),
      handler: `${BUNDLE_FILE.replace(/\.mjs$/, "")}.handler`,
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

/**
 * The function's code: the entry bundled by infra/bundling.ts (esbuild with the plugins that make the SDK
 * tree-shakeable, which NodejsFunction's command-line bundling cannot run), hashed by its output like
 * NodejsFunction does. Bundling always runs locally; there is no Docker fallback.
 */
function bundledCode(entry: string): Code {
  return Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry("efs-guard-local-bundling-only"),
      local: {
        tryBundle(outputDir: string) {
          bundleFunctionSync(entry, outputDir);
          return true;
        },
      },
    },
  });
}

function toCdkPattern(pattern: EventPattern) {
  return { source: pattern.source, detailType: pattern["detail-type"], detail: pattern.detail };
}
