import { join } from "node:path";
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
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
import type { CfnTemplate } from "./template.js";
import { PROJECT_ROOT } from "./venv.js";

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface Invocation {
  function: string;
  entry: string;
  event: any;
  result?: unknown;
  error?: string;
  /** 1 for the first delivery, 2 and 3 for Lambda's asynchronous retries (with `asyncRetries`). */
  attempt?: number;
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
  environment: Record<string, string>;
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

  private constructor(
    functions: DeployedFunction[],
    topicArn: string,
    alertsQueueUrl: string,
    sqs: SQSClient,
    events: EventBridgeClient,
    asyncRetry?: AsyncRetryOptions,
  ) {
    this.functions = functions;
    this.alertsTopicArn = topicArn;
    this.alertsQueueUrl = alertsQueueUrl;
    this.sqs = sqs;
    this.events = events;
    this.asyncRetry = asyncRetry;
  }

  /** Installs the template's rules in the emulator and an alerts topic with a queue subscribed to it. */
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

    const functions: DeployedFunction[] = [];
    const resources = template.Resources;
    // The stack itself, as CloudFormation would hold it (the sweep reads its creation time for the observe period).
    let stackId: string | undefined;
    const stackIdOf = async () => {
      stackId ??= await deploymentStack(client);
      return stackId;
    };
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== "AWS::Lambda::Function" || !resource.Metadata?.[ENTRY_METADATA]) continue;
      const env = (resource.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>;
      const environment: Record<string, string> = {};
      for (const [key, value] of Object.entries(env)) {
        // Tokens (Ref/GetAtt) are the values the emulator has to supply: the topic and the stack id, for now.
        environment[key] =
          typeof value === "string"
            ? value
            : key === "ALERTS_TOPIC_ARN"
              ? topicArn
              : (value as { Ref?: string })?.Ref === "AWS::StackId"
                ? await stackIdOf()
                : "";
      }
      const queueName = `efs-guard-fn-${logicalId}`.slice(0, 80);
      const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: queueName }))).QueueUrl!;
      Object.assign(environment, options.env);
      const dlqUrl = options.asyncRetry
        ? (await sqs.send(new CreateQueueCommand({ QueueName: `efs-guard-dlq-${logicalId}`.slice(0, 80) }))).QueueUrl
        : undefined;
      functions.push({
        logicalId,
        entry: resource.Metadata[ENTRY_METADATA],
        queueUrl,
        environment,
        ...(dlqUrl ? { dlqUrl } : {}),
      });
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
    return new FunctionHost(functions, topicArn, alertsQueueUrl, sqs, events, options.asyncRetry);
  }

  /**
   * Sets variables in every function's environment, for values the template holds as tokens that the emulator
   * resolves later (e.g. the migration state machine's ARN). Takes effect for handlers not yet initialised.
   */
  setEnvironment(vars: Record<string, string>): void {
    for (const fn of this.functions) Object.assign(fn.environment, vars);
  }

  /** Overrides the handler of a function (by entry), e.g. one built with another configuration. */
  use(entry: string, handler: Handler): void {
    this.handlers.set(entry, handler);
  }

  private async handlerFor(fn: DeployedFunction): Promise<Handler> {
    const known = this.handlers.get(fn.entry);
    if (known) return known;
    // The function's environment from the template, as Lambda would set it before the module initializes.
    Object.assign(process.env, fn.environment);
    const mod = (await import(join(PROJECT_ROOT, fn.entry))) as { handler: Handler };
    this.handlers.set(fn.entry, mod.handler);
    return mod.handler;
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

  /** Delivers every queued event to its handler until all queues are empty; returns the invocations made. */
  async drain(options: { concurrency?: number } = {}): Promise<Invocation[]> {
    const start = this.invocations.length;
    const concurrency = options.concurrency ?? 1;
    for (;;) {
      let delivered = 0;
      for (const fn of this.functions) {
        const received = await this.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: fn.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) continue;
        delivered += messages.length;
        const handler = await this.handlerFor(fn);
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
      }
      if (delivered === 0) break;
    }
    return this.invocations.slice(start);
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

  /** Reads the alerts published so far (the Chatbot JSON and the message attributes), removing them. */
  async alerts(): Promise<{ message: any; attributes: Record<string, string> }[]> {
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
