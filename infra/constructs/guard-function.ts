import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { type IEventBus, Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import {
  Architecture,
  type CfnFunction,
  Code,
  type IDestination,
  Function as LambdaFn,
  LoggingFormat,
  Runtime,
} from "aws-cdk-lib/aws-lambda";
import { type ILogGroup, LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { type EventPattern, patternsFor } from "../../events/patterns.js";
import { configEnvironment } from "../../shared/config/runtime.js";
import type { GuardConfig } from "../../shared/config/schema.js";
import type { EventSpecs } from "../../shared/events/triggers.js";
import { BUNDLE_FILE, bundleFunctionSync } from "../bundling.js";
import { regionFence } from "../iam.js";
import { PROJECT_ROOT } from "../paths.js";
import { alarmOnDeadLetterQueue, alarmOnFunction, alarmOnRuleDlqFailure } from "./alarms.js";

/** How the functions are bundled; `npm run bench` and the infra tests build with exactly these. */
export { BUNDLE_FILE, BUNDLE_OPTIONS, BUNDLE_PLUGINS, bundleFunction, esbuildOptions } from "../bundling.js";

export interface GuardFunctionProps {
  /** Path of the handler, relative to the project root (functions/NAME/handler.ts). */
  entry: string;
  description: string;
  config: GuardConfig;
  topic: ITopic;
  /**
   * The alert inbox (deduplication on): the function hands its alerts there and may not publish to `topic`, which
   * only its alarms (CloudWatch) and the alerts function write to.
   */
  inbox?: ITopic | undefined;
  key: IKey;
  /** The function's events (events/patterns.ts), the table its handler parses; one EventBridge rule per source. */
  events?: EventSpecs;
  /**
   * In an organization, the hub's efs-guard bus, where the members' events arrive (infra/constructs/hub.ts): it
   * gets the same rules as the account's default bus.
   */
  hubBus?: IEventBus | undefined;
  statements: PolicyStatement[];
  /** Actions of a global service among `statements`, which the region fence must not deny (iam.ts regionFence). */
  globalActions?: string[];
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
}

/** Metadata key that tells the local function host which handler a synthesized function runs. */
export const ENTRY_METADATA = "EfsGuardEntry";

/**
 * One guard function with the defaults every guard function shares: Node.js 24 on arm64, an ESM bundle with the
 * SDK inside (no dependency on the runtime's SDK version; see infra/bundling.ts), JSON logs kept 90 days, the validated configuration in
 * its environment, and:
 * - its own role holding only `statements`, the alerts publish, the dead-letter send and the log writes (no AWS
 *   managed policy), fenced to the guarded regions;
 * - nothing lost on failure: rule targets retry and dead-letter, asynchronous invocations that still fail go to the
 *   same queue;
 * - alarms to the alerts topic on a non-empty dead-letter queue, errors, throttles, and lost events.
 */
export class GuardFunction extends Construct {
  readonly fn: LambdaFn;
  readonly role: Role;
  readonly deadLetterQueue: Queue;
  readonly rules: Rule[] = [];
  /** The "eventSource:eventName" keys this function's rules match (forwarded from the other regions too). */
  readonly events: readonly string[];

  constructor(scope: Construct, id: string, props: GuardFunctionProps) {
    super(scope, id);
    this.events = Object.keys(props.events ?? {});
    this.deadLetterQueue = deadLetterQueue(
      this,
      "DeadLetterQueue",
      props.key,
      "This queue is itself the dead-letter queue of the function's EventBridge targets and of its asynchronous invocations (on-failure destination); cdk-nag only recognises queues named in another queue's RedrivePolicy.",
    );
    const logGroup = new LogGroup(this, "Logs", {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = functionRole(this, "Role", logGroup, `EFS Guard ${id}: the function's execution role`);
    // The alerts go to the topic (or the inbox) and failed invocations to the queue, all encrypted with the guard's key.
    const alertsTo = props.inbox ?? props.topic;
    for (const statement of publishAlertStatements(this, alertsTo, props.key)) this.role.addToPolicy(statement);
    this.role.addToPolicy(
      new PolicyStatement({
        sid: "SendToDeadLetterQueue",
        actions: ["sqs:SendMessage"],
        resources: [this.deadLetterQueue.queueArn],
      }),
    );
    const stack = Stack.of(this);
    this.role.addToPolicy(regionFence([stack.region, ...props.config.regions], props.globalActions));
    // The grant above is ours; CDK's SqsDestination would also grant kms:Encrypt and kms:ReEncrypt*.
    const onFailure: IDestination = { bind: () => ({ destination: this.deadLetterQueue.queueArn }) };
    this.fn = new LambdaFn(this, "Function", {
      code: bundledCode(props.entry),
      handler: BUNDLE_HANDLER,
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
      // No NODE_OPTIONS=--enable-source-maps: Node then parses the source map of the bundle at load (nodejs/node#38817),
      // 70-100 ms of every cold start on the bench machine (docs/performance.md). The maps ship in the asset: set it
      // on a function to read stack traces against the sources while debugging.
      environment: {
        ...configEnvironment(props.config),
        ...(props.inbox
          ? { ALERTS_INBOX_TOPIC_ARN: props.inbox.topicArn }
          : { ALERTS_TOPIC_ARN: props.topic.topicArn }),
        POWERTOOLS_SERVICE_NAME: "efs-guard",
        LOG_LEVEL: "INFO",
        ...props.environment,
      },
    });
    (this.fn.node.defaultChild as CfnFunction).addMetadata(ENTRY_METADATA, props.entry);
    for (const statement of props.statements) this.role.addToPolicy(statement);

    const patterns = props.events ? patternsFor(props.events) : [];
    // The default bus keeps the ids it always had (a single-account template is unchanged); the hub bus's rules
    // are Hub0, Hub1...
    const buses: [string, IEventBus | undefined][] = [["Rule", undefined]];
    if (props.hubBus) buses.push(["Hub", props.hubBus]);
    for (const [prefix, eventBus] of buses)
      patterns.forEach((pattern, index) => {
        const rule = new Rule(this, `${prefix}${index}`, {
          description: `EFS Guard ${id}: ${pattern.detail.eventName.join(", ")} (${pattern.detail.eventSource[0]})${eventBus ? " from the members" : ""}`,
          eventPattern: toCdkPattern(pattern),
          ...(eventBus ? { eventBus } : {}),
          targets: [
            new LambdaFunction(this.fn, {
              deadLetterQueue: this.deadLetterQueue,
              retryAttempts: 8,
              maxEventAge: Duration.hours(24),
            }),
          ],
        });
        this.rules.push(rule);
        alarmOnRuleDlqFailure(this, `${prefix}${index}DlqFailureAlarm`, rule, props.topic);
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

/** A dead-letter queue: encrypted with the guard's key, TLS-only, messages kept 14 days. */
export function deadLetterQueue(scope: Construct, id: string, key: IKey, why: string): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({ id: "AwsSolutions::AwsSolutions-SQS3", reason: why });
  return queue;
}

/** The handler setting of a function whose code is bundledCode(): the `handler` export of the bundle. */
export const BUNDLE_HANDLER = `${BUNDLE_FILE.replace(/\.mjs$/, "")}.handler`;

/**
 * A function's own execution role: it may write to its own log group, nothing else yet. The default role carries
 * AWSLambdaBasicExecutionRole (logs:CreateLogGroup, CreateLogStream, PutLogEvents on every log group of the account).
 */
export function functionRole(scope: Construct, id: string, logGroup: ILogGroup, description: string): Role {
  const role = new Role(scope, id, { assumedBy: new ServicePrincipal("lambda.amazonaws.com"), description });
  role.addToPolicy(
    new PolicyStatement({
      sid: "WriteOwnLogs",
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [logGroup.logGroupArn],
    }),
  );
  return role;
}

/**
 * Publishing to the alerts topic, which is encrypted with `key`. A producer of an SSE-KMS topic or queue needs
 * GenerateDataKey and Decrypt only, and only through SNS or SQS (the guard functions also dead-letter to an SQS
 * queue under the same key); CDK's grantPublish would add `kms:GenerateDataKey*` on the key from anywhere.
 */
export function publishAlertStatements(scope: Construct, topic: ITopic, key: IKey): PolicyStatement[] {
  const region = Stack.of(scope).region;
  return [
    new PolicyStatement({ sid: "PublishAlerts", actions: ["sns:Publish"], resources: [topic.topicArn] }),
    new PolicyStatement({
      sid: "UseGuardKeyViaSnsAndSqs",
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: [key.keyArn],
      conditions: {
        StringEquals: { "kms:ViaService": [`sns.${region}.amazonaws.com`, `sqs.${region}.amazonaws.com`] },
      },
    }),
  ];
}

/** Every event key some guard function under `scope` subscribes to: what the other regions must forward. */
export function guardEventsOf(scope: Construct): string[] {
  const keys = new Set<string>();
  for (const c of scope.node.findAll()) if (c instanceof GuardFunction) for (const k of c.events) keys.add(k);
  return [...keys].sort();
}

/**
 * The function's code: the entry bundled by infra/bundling.ts (esbuild with the plugins that make the SDK
 * tree-shakeable, which NodejsFunction's command-line bundling cannot run), hashed by its output like
 * NodejsFunction does. Bundling always runs locally; there is no Docker fallback.
 */
export function bundledCode(entry: string): Code {
  return Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry("efs-guard-local-bundling-only"),
      // Never run (local bundling always succeeds), but part of CDK's staging cache key, which serializes the bundling
      // options as JSON and so drops tryBundle: without the entry here every function would get the first bundle.
      command: ["bundle", entry],
      local: {
        tryBundle(outputDir: string) {
          bundleFunctionSync(entry, outputDir);
          return true;
        },
      },
    },
  });
}

export function toCdkPattern(pattern: EventPattern) {
  return { source: pattern.source, detailType: pattern["detail-type"], detail: pattern.detail };
}
