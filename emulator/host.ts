import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { KMSClient } from "@aws-sdk/client-kms";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import { ENTRY_METADATA } from "../infra/constructs/guard-function.js";
import { bundleOf } from "./function-bundles.js";
import { ACCOUNT, bucketNameOf, expectedResolution, type Resolved, resolveIntrinsics } from "./intrinsics.js";
import { deployTemplateKey, hasAlias } from "./kms-keys.js";
import { Recorder } from "./recorder.js";
import { assumeRole, deployRole, roleOf, rolePolicies } from "./roles.js";
import { FunctionRuntime, type SandboxMemory, track } from "./runtime.js";
import type { CfnTemplate } from "./template.js";

/** The alerts function (alert deduplication): the alert path, not a guard. */
export const ALERTS_ENTRY = "functions/alerts/handler.ts";

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface Invocation {
  function: string;
  entry: string;
  event: any;
  result?: unknown;
  error?: string;
  /** 1 for the first delivery, 2 and 3 for Lambda's asynchronous retries (with `asyncRetries`). */
  attempt?: number;
  /** The sandbox's memory after this invocation (hosted bundles only, not overrides). */
  memory?: SandboxMemory;
}

/** An event that failed every attempt, as Lambda puts it on a function's dead-letter queue. */
export interface DeadLetter {
  function: string;
  event: any;
  /** Lambda's DLQ message attributes: RequestID, ErrorCode, ErrorMessage. */
  requestId: string;
  errorCode: string;
  errorMessage: string;
}

/**
 * Lambda's asynchronous invocation, as far as delivery goes: a handler that throws is retried up to `retries`
 * more times (Lambda's default and maximum is 2; it waits about 1 and then 2 minutes, `delayMs` here), and an
 * event that fails every attempt goes to the function's dead-letter queue with the error. Off by default: a
 * thrown error is then only recorded on the invocation.
 */
export interface AsyncRetryOptions {
  retries?: number;
  delayMs?: number;
}

interface DeployedFunction {
  logicalId: string;
  entry: string;
  queueUrl: string;
  dlqUrl?: string;
  /** The function's variables from the template (tokens resolved), as Lambda sets them. */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** Where the function's SDK clients send their calls: the recording proxy in front of AWS_ENDPOINT_URL. */
  endpoint: string;
  roleArn: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  runtime?: FunctionRuntime;
  /** The queue is the function's SQS event source (an AWS::Lambda::EventSourceMapping): SQS events, batch failures. */
  sqsEvents?: boolean;
}

/**
 * The sandbox environment of a hosted function, as Lambda builds it: the function's variables, its role's temporary
 * credentials, the region, and the reserved variables the runtime reads. Nothing of the host's own environment
 * leaks in but AWS_ENDPOINT_URL (the emulator, or a fault proxy in front of it) and PATH.
 */
export function sandboxEnvironment(
  fn: { logicalId: string; environment: Record<string, string>; memoryMb: number; endpoint: string },
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string },
  region: string,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    TZ: ":UTC",
    LANG: "en_US.UTF-8",
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId.slice(0, 64),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.logicalId}`,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    ...fn.environment,
    AWS_ENDPOINT_URL: fn.endpoint,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
  };
}

/** An answer of the runtime as the error Lambda reports: its name is the errorType. */
export function runtimeError(error: { errorType: string; errorMessage: string }): Error {
  const e = new Error(error.errorMessage);
  e.name = error.errorType;
  return e;
}

/**
 * The template's other SNS topics that a function's environment names (the findings topic of the Security Hub
 * reporter), created in the emulator under their logical id, each with the queues the template subscribes to it.
 */
async function templateTopics(
  template: CfnTemplate,
  sns: SNSClient,
  sqs: SQSClient,
): Promise<{ topics: Map<string, string>; eventQueues: Map<string, string>; queues: Map<string, Resolved> }> {
  const resources = template.Resources;
  const topics = new Map<string, string>();
  const eventQueues = new Map<string, string>();
  // The template's event-source queues by logical id, where they really are (a function may send to its own).
  const queues = new Map<string, Resolved>();
  for (const [logicalId, r] of Object.entries(resources)) {
    if (r.Type !== "AWS::SNS::Topic" || logicalId.startsWith("AlertsTopic")) continue;
    topics.set(
      logicalId,
      (await sns.send(new CreateTopicCommand({ Name: `efs-guard-${logicalId}`.slice(0, 256) }))).TopicArn!,
    );
  }
  for (const r of Object.values(resources)) {
    if (r.Type !== "AWS::Lambda::EventSourceMapping") continue;
    const fn = r.Properties?.FunctionName?.Ref as string | undefined;
    const queue = r.Properties?.EventSourceArn?.["Fn::GetAtt"]?.[0] as string | undefined;
    if (!fn || !queue) continue;
    const queueName = `efs-guard-esm-${fn}`.slice(0, 80);
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: queueName }))).QueueUrl!;
    eventQueues.set(fn, url);
    queues.set(queue, { ref: url, atts: { Arn: await queueArn(sqs, url), QueueName: queueName } });
    for (const sub of Object.values(resources)) {
      if (sub.Type !== "AWS::SNS::Subscription" || sub.Properties?.Endpoint?.["Fn::GetAtt"]?.[0] !== queue) continue;
      const topicArn = topics.get(sub.Properties.TopicArn?.Ref);
      if (!topicArn) continue;
      await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: "sqs",
          Endpoint: await queueArn(sqs, url),
          Attributes: { RawMessageDelivery: sub.Properties.RawMessageDelivery ? "true" : "false" },
        }),
      );
    }
  }
  return { topics, eventQueues, queues };
}

/**
 * The template's S3 buckets (the organization sweep's runs bucket), created in the emulator under the name
 * expectedResolution gives them. Their encryption, lifecycle and TLS-only policy are asserted on the template
 * (test/infra); moto stores the objects.
 */
async function templateBuckets(template: CfnTemplate, s3: S3Client): Promise<void> {
  for (const [logicalId, r] of Object.entries(template.Resources)) {
    if (r.Type !== "AWS::S3::Bucket") continue;
    await s3.send(new CreateBucketCommand({ Bucket: bucketNameOf(logicalId) })).catch((error: { name?: string }) => {
      if (error?.name !== "BucketAlreadyOwnedByYou") throw error;
    });
  }
}

/**
 * The template's DynamoDB tables (the alert dedup table), created in the emulator as the template declares them:
 * key schema, on-demand, and the TTL attribute. Returns where each is, by logical id.
 */
async function templateTables(template: CfnTemplate, dynamodb: DynamoDBClient): Promise<Map<string, Resolved>> {
  const tables = new Map<string, Resolved>();
  for (const [logicalId, r] of Object.entries(template.Resources)) {
    if (r.Type !== "AWS::DynamoDB::Table") continue;
    const p = r.Properties ?? {};
    const name = typeof p.TableName === "string" ? p.TableName : logicalId;
    const created = await dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: p.KeySchema,
        AttributeDefinitions: p.AttributeDefinitions,
        BillingMode: p.BillingMode ?? "PAY_PER_REQUEST",
      }),
    );
    if (p.TimeToLiveSpecification?.Enabled) {
      await dynamodb.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { Enabled: true, AttributeName: p.TimeToLiveSpecification.AttributeName },
        }),
      );
    }
    tables.set(logicalId, { ref: name, atts: { Arn: created.TableDescription?.TableArn } });
  }
  return tables;
}

/**
 * The local stand-in for EventBridge -> Lambda. moto cannot target Lambda, so each EventBridge rule of the
 * synthesized template is installed in the emulator with its real pattern and an SQS queue as target; the host
 * consumes those queues and invokes the real handler of the function the rule targets in the template.
 */
export class FunctionHost {
  readonly invocations: Invocation[] = [];
  readonly alertsTopicArn: string;
  readonly alertsQueueUrl: string;
  private readonly functions: DeployedFunction[];
  private readonly handlers = new Map<string, Handler>();
  private readonly sqs: SQSClient;
  private readonly events: EventBridgeClient;
  private readonly asyncRetry: AsyncRetryOptions | undefined;
  /** The recording proxy the functions' calls go through (every operation, by function). */
  readonly recorder: Recorder;
  private readonly region: string;

  private constructor(
    functions: DeployedFunction[],
    topicArn: string,
    alertsQueueUrl: string,
    sqs: SQSClient,
    events: EventBridgeClient,
    recorder: Recorder,
    region: string,
    asyncRetry?: AsyncRetryOptions,
  ) {
    this.functions = functions;
    this.alertsTopicArn = topicArn;
    this.alertsQueueUrl = alertsQueueUrl;
    this.sqs = sqs;
    this.events = events;
    this.recorder = recorder;
    this.region = region;
    this.asyncRetry = asyncRetry;
  }

  /**
   * Installs the template's rules in the emulator and an alerts topic with a queue subscribed to it, and creates
   * each guard function's role with its synthesized policies: the functions run their bundles (Node.js 24, one
   * sandbox process per concurrent invocation) with that role's temporary credentials only.
   */
  static async deploy(
    template: CfnTemplate,
    options: {
      region?: string;
      env?: Record<string, string>;
      asyncRetry?: AsyncRetryOptions;
      /** The host's own plumbing (bus, queues) talks to this endpoint, not AWS_ENDPOINT_URL (e.g. a fault proxy). */
      endpoint?: string;
    } = {},
  ): Promise<FunctionHost> {
    const region = options.region ?? "us-east-1";
    const plumbing = options.endpoint ?? process.env.AWS_ENDPOINT_URL;
    if (!plumbing) throw new Error("AWS_ENDPOINT_URL is not set: the host deploys into the emulator only");
    const functionEndpoint = process.env.AWS_ENDPOINT_URL ?? plumbing;
    const client = { region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) };
    const sqs = new SQSClient(client);
    const sns = new SNSClient(client);
    const events = new EventBridgeClient(client);
    const topic = await sns.send(new CreateTopicCommand({ Name: "efs-guard-alerts" }));
    const topicArn = topic.TopicArn!;
    const alertsQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "efs-guard-alerts-inbox" }))).QueueUrl!;
    await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: await queueArn(sqs, alertsQueueUrl) }),
    );

    const recorder = await Recorder.start(functionEndpoint);
    const functions: DeployedFunction[] = [];
    const resources = template.Resources;
    const { topics, eventQueues, queues } = await templateTopics(template, sns, sqs);
    const tables = await templateTables(template, new DynamoDBClient(client));
    await templateBuckets(template, new S3Client(client));
    // Every token resolves to where the resource would be: the alerts topic is the host's (the alerts queue reads it),
    // the others (the Security Hub findings topic) the ones templateTopics created with their subscriptions. Keys
    // with an alias are the stack's real keys, shared with the workflow's steps (emulator/kms-keys.ts).
    const templateTopicIds = Object.entries(resources)
      .filter(([, r]) => r.Type === "AWS::SNS::Topic")
      .map(([id]) => id);
    const known = new Map<string, Resolved>([
      ...templateTopicIds.map((id): [string, Resolved] => {
        const arn = topics.get(id) ?? topicArn;
        return [id, { ref: arn, atts: { TopicArn: arn } }];
      }),
      ...queues,
      ...tables,
    ]);
    const kms = new KMSClient(client);
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type === "AWS::KMS::Key" && hasAlias(template, id))
        known.set(id, await deployTemplateKey(kms, template, id));
    }
    // The stack itself, as CloudFormation would hold it (the sweep reads its creation time for the observe period).
    known.set("AWS::StackId", { ref: await deploymentStack(client), atts: {} });
    const resolved = expectedResolution(template, region, known);
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== "AWS::Lambda::Function" || !resource.Metadata?.[ENTRY_METADATA]) continue;
      // The workflow's steps are hosted by LambdaHost (moto invokes them); these are the guard functions.
      if (String(resource.Metadata[ENTRY_METADATA]).startsWith("functions/migration/")) continue;
      const env = (resource.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>;
      const environment: Record<string, string> = {};
      for (const [key, value] of Object.entries(env))
        environment[key] = String(resolveIntrinsics(value, resolved, region));
      const roleId = roleOf(template, logicalId);
      const roleArn = await deployRole(plumbing, template, roleId, resolved, region);
      const queueName = `efs-guard-fn-${logicalId}`.slice(0, 80);
      const eventQueue = eventQueues.get(logicalId);
      const queueUrl = eventQueue ?? (await sqs.send(new CreateQueueCommand({ QueueName: queueName }))).QueueUrl!;
      Object.assign(environment, options.env);
      const dlqUrl = options.asyncRetry
        ? (await sqs.send(new CreateQueueCommand({ QueueName: `efs-guard-dlq-${logicalId}`.slice(0, 80) }))).QueueUrl
        : undefined;
      const entry = resource.Metadata[ENTRY_METADATA] as string;
      const fn: DeployedFunction = {
        logicalId,
        entry,
        queueUrl,
        environment,
        timeoutSeconds: Number(resource.Properties?.Timeout ?? 3),
        memoryMb: Number(resource.Properties?.MemorySize ?? 128),
        endpoint: recorder.endpoint,
        roleArn,
        ...(dlqUrl ? { dlqUrl } : {}),
        ...(eventQueue ? { sqsEvents: true } : {}),
      };
      fn.credentials = await assumeRole(plumbing, roleArn, logicalId);
      recorder.register(fn.credentials.accessKeyId, {
        function: logicalId,
        entry,
        roleArn,
        policies: rolePolicies(template, roleId, resolved, region),
      });
      functions.push(fn);
      const arn = await queueArn(sqs, queueUrl);
      for (const [ruleId, rule] of Object.entries(resources)) {
        if (rule.Type !== "AWS::Events::Rule") continue;
        const targets = (rule.Properties?.Targets ?? []) as { Arn: any }[];
        if (!targets.some((t) => t.Arn?.["Fn::GetAtt"]?.[0] === logicalId)) continue;
        await events.send(
          new PutRuleCommand({
            Name: ruleId,
            EventPattern: JSON.stringify(rule.Properties.EventPattern),
            State: "ENABLED",
          }),
        );
        await events.send(new PutTargetsCommand({ Rule: ruleId, Targets: [{ Id: "host", Arn: arn }] }));
      }
    }
    return new FunctionHost(functions, topicArn, alertsQueueUrl, sqs, events, recorder, region, options.asyncRetry);
  }

  /**
   * Sets variables in every function's environment, for values the template holds as tokens that the emulator
   * resolves later (e.g. the migration state machine's ARN). Takes effect for handlers not yet initialised.
   */
  setEnvironment(vars: Record<string, string>): void {
    for (const fn of this.functions) {
      Object.assign(fn.environment, vars);
      // Lambda starts new sandboxes after a configuration change.
      fn.runtime?.stop();
      fn.runtime = undefined;
    }
  }

  /**
   * Overrides the handler of a function (by entry), e.g. one built with another configuration, or one that fails
   * on purpose. An override runs in this process, with this process's credentials (the emulator's administrator):
   * it tests the pipeline's handling, not the deployed function's permissions.
   */
  use(entry: string, handler: Handler): void {
    this.handlers.set(entry, handler);
  }

  /** Invokes a function directly (Lambda's RequestResponse Invoke): its result, or its error thrown. */
  async invoke(entry: string, event: unknown): Promise<unknown> {
    const fn = this.functions.find((f) => f.entry === entry);
    if (!fn) throw new Error(`no hosted function runs ${entry}`);
    const handler = await this.handlerFor(fn);
    const invocation: Invocation = { function: fn.logicalId, entry: fn.entry, event, attempt: 1 };
    this.invocations.push(invocation);
    try {
      invocation.result = await handler(event, fakeContext(fn.logicalId));
      return invocation.result;
    } catch (error) {
      invocation.error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      if (!this.handlers.has(fn.entry) && fn.runtime?.lastMemory) invocation.memory = fn.runtime.lastMemory;
    }
  }

  private async handlerFor(fn: DeployedFunction): Promise<Handler> {
    const known = this.handlers.get(fn.entry);
    if (known) return known;
    if (!fn.runtime) {
      const credentials = fn.credentials;
      if (!credentials) throw new Error(`${fn.logicalId} has no role credentials`);
      fn.runtime = track(
        new FunctionRuntime({
          name: fn.logicalId.slice(0, 64),
          bundle: await bundleOf(fn.entry),
          environment: sandboxEnvironment(fn, credentials, this.region),
          timeoutSeconds: fn.timeoutSeconds,
          memoryMb: fn.memoryMb,
          region: this.region,
          account: ACCOUNT,
        }),
      );
    }
    const runtime = fn.runtime;
    return async (event, context) => {
      const answer = await runtime.invoke(event, context.awsRequestId);
      if (answer.error) throw runtimeError(answer.error);
      return answer.result;
    };
  }

  /** Stops the functions' sandboxes and the recording proxy. */
  async stop(): Promise<void> {
    for (const fn of this.functions) fn.runtime?.stop();
    await this.recorder.stop();
  }

  /** Puts EventBridge envelopes on the emulator's default bus, exactly as CloudTrail's integration would. */
  async putEvents(envelopes: any[]): Promise<void> {
    for (let i = 0; i < envelopes.length; i += 10) {
      const batch = envelopes.slice(i, i + 10);
      const out = await this.events.send(
        new PutEventsCommand({
          Entries: batch.map((e) => ({
            Source: e.source,
            DetailType: e["detail-type"],
            Detail: JSON.stringify(e.detail),
            Resources: e.resources ?? [],
          })),
        }),
      );
      if (out.FailedEntryCount) throw new Error(`PutEvents failed for ${out.FailedEntryCount} entries`);
    }
  }

  /**
   * Delivers every queued event to its handler until all queues are empty, the alert path included (the alerts
   * function's queue, when deduplication is on, so that alerts() then holds what was published); returns the
   * invocations made, but for those of the alerts function, which are in `invocations` (with its entry, ALERTS_ENTRY).
   */
  async drain(options: { concurrency?: number } = {}): Promise<Invocation[]> {
    const start = this.invocations.length;
    const concurrency = options.concurrency ?? 1;
    for (;;) {
      let delivered = 0;
      for (const fn of this.functions) delivered += await this.deliver(fn, concurrency);
      if (delivered === 0) break;
    }
    return this.invocations.slice(start).filter((i) => i.entry !== ALERTS_ENTRY);
  }

  /** Delivers what the alerts function's queue holds (alert deduplication), until it is empty. */
  private async deliverAlerts(): Promise<void> {
    const fn = this.functions.find((f) => f.entry === ALERTS_ENTRY);
    if (!fn) return;
    while ((await this.deliver(fn, 1)) > 0) {}
  }

  /** One receive of a function's queue, delivered to its handler; returns how many messages it held. */
  private async deliver(fn: DeployedFunction, concurrency: number): Promise<number> {
    const received = await this.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: fn.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return 0;
    const handler = await this.handlerFor(fn);
    if (fn.sqsEvents) {
      await this.deliverSqsBatch(fn, handler, messages);
      return messages.length;
    }
    const run = async (body: string) => {
      const event = JSON.parse(body);
      const attempts = 1 + (this.asyncRetry ? (this.asyncRetry.retries ?? 2) : 0);
      const context = fakeContext(fn.logicalId);
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const invocation: Invocation = { function: fn.logicalId, entry: fn.entry, event, attempt };
        let failure: unknown;
        try {
          invocation.result = await handler(event, context);
        } catch (error) {
          failure = error;
          invocation.error = error instanceof Error ? error.message : String(error);
        }
        this.invocations.push(invocation);
        if (invocation.error === undefined) return;
        if (attempt < attempts) {
          if (this.asyncRetry?.delayMs) await new Promise((r) => setTimeout(r, this.asyncRetry?.delayMs));
          continue;
        }
        if (fn.dlqUrl) await this.deadLetter(fn.dlqUrl, body, context.awsRequestId, failure);
      }
    };
    for (let i = 0; i < messages.length; i += concurrency) {
      await Promise.all(messages.slice(i, i + concurrency).map((m) => run(m.Body ?? "{}")));
    }
    await this.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: fn.queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    return messages.length;
  }

  /**
   * An SQS event source as Lambda runs it: the batch as one SQS event; the messages the handler lists in
   * batchItemFailures (or all, when it throws) stay in the queue and come back after the visibility timeout.
   */
  private async deliverSqsBatch(
    fn: DeployedFunction,
    handler: Handler,
    messages: { MessageId?: string; Body?: string; ReceiptHandle?: string }[],
  ): Promise<void> {
    const event = {
      Records: messages.map((m) => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body ?? "",
        attributes: {},
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:efs-guard-esm-${fn.logicalId}`,
        awsRegion: "us-east-1",
      })),
    };
    const invocation: Invocation = { function: fn.logicalId, entry: fn.entry, event, attempt: 1 };
    let failed = new Set<string>();
    try {
      invocation.result = await handler(event, fakeContext(fn.logicalId));
      const failures = (invocation.result as { batchItemFailures?: { itemIdentifier: string }[] } | undefined)
        ?.batchItemFailures;
      failed = new Set((failures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      invocation.error = error instanceof Error ? error.message : String(error);
      failed = new Set(messages.map((m) => m.MessageId!));
    }
    this.invocations.push(invocation);
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    if (done.length === 0) return;
    await this.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: fn.queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }

  private async deadLetter(queueUrl: string, body: string, requestId: string, error: unknown): Promise<void> {
    const attr = (value: string) => ({ DataType: "String", StringValue: value.slice(0, 1000) || "-" });
    const code = error instanceof Error ? error.name : "Error";
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageAttributes: {
          RequestID: attr(requestId),
          ErrorCode: attr(code),
          ErrorMessage: attr(error instanceof Error ? error.message : String(error)),
        },
      }),
    );
  }

  /** Reads (and removes) every dead-lettered event, with the error of its last attempt. */
  async deadLetters(): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for (const fn of this.functions) {
      if (!fn.dlqUrl) continue;
      for (;;) {
        const received = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: fn.dlqUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ["All"],
          }),
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) break;
        for (const m of messages) {
          const a = m.MessageAttributes ?? {};
          out.push({
            function: fn.logicalId,
            event: JSON.parse(m.Body ?? "{}"),
            requestId: a.RequestID?.StringValue ?? "",
            errorCode: a.ErrorCode?.StringValue ?? "",
            errorMessage: a.ErrorMessage?.StringValue ?? "",
          });
        }
        await this.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: fn.dlqUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
    }
    return out;
  }

  /** Sends dead-lettered events back to their function's queue (a DLQ redrive); drain() then delivers them. */
  async redrive(letters: DeadLetter[]): Promise<void> {
    for (const letter of letters) {
      const fn = this.functions.find((f) => f.logicalId === letter.function);
      if (!fn) throw new Error(`no function ${letter.function}`);
      await this.sqs.send(new SendMessageCommand({ QueueUrl: fn.queueUrl, MessageBody: JSON.stringify(letter.event) }));
    }
  }

  /**
   * Reads the alerts published so far (the Chatbot JSON and the message attributes), removing them. With alert
   * deduplication the guards' alerts wait in the alerts function's queue: they are delivered to it first.
   */
  async alerts(): Promise<{ message: any; attributes: Record<string, string> }[]> {
    await this.deliverAlerts();
    const out: { message: any; attributes: Record<string, string> }[] = [];
    for (;;) {
      const received = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.alertsQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const messages = received.Messages ?? [];
      if (messages.length === 0) break;
      for (const m of messages) {
        const envelope = JSON.parse(m.Body ?? "{}");
        const attributes: Record<string, string> = {};
        for (const [k, v] of Object.entries(envelope.MessageAttributes ?? {})) attributes[k] = (v as any).Value;
        out.push({ message: JSON.parse(envelope.Message), attributes });
      }
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.alertsQueueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    return out;
  }
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  return attrs.Attributes!.QueueArn!;
}

let requests = 0;
function fakeContext(functionName: string): Context {
  requests += 1;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: `local-${requests}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/**
 * A CloudFormation stack named EfsGuard standing for the deployment (its one resource does nothing): what the
 * sweep's DescribeStacks finds. Created now, so the observe period starts with the test.
 */
export async function deploymentStack(client: { region: string; endpoint?: string }): Promise<string> {
  const cfn = new CloudFormationClient(client);
  const template = JSON.stringify({ Resources: { Deployed: { Type: "AWS::CloudFormation::WaitConditionHandle" } } });
  const existing = await cfn.send(new DescribeStacksCommand({ StackName: "EfsGuard" })).catch(() => undefined);
  const id = existing?.Stacks?.[0]?.StackId;
  if (id) return id;
  return (await cfn.send(new CreateStackCommand({ StackName: "EfsGuard", TemplateBody: template }))).StackId!;
}
