import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { accountNames } from "../../shared/aws/account-names.js";
import { dynamoDbClient, dynamoDbDedupStore } from "../../shared/aws/alert-dedup.js";
import { call } from "../../shared/aws/errors.js";
import { organizationsClient } from "../../shared/aws/organization.js";
import { clientConfig } from "../../shared/aws/sdk-config.js";
import { configFromEnv } from "../../shared/config/schema.js";
import { namingAccounts } from "../../shared/notify/account-name.js";
import { type RouterDeps, routeAlert, routeReminder } from "../../shared/notify/alert-router.js";
import { parseInboxMessage } from "../../shared/notify/envelope.js";
import type { ChatbotMessage } from "../../shared/notify/message.js";
import { publishChatbot, snsClient } from "../../shared/notify/publish.js";
import { systemClock } from "../../shared/runtime/clock.js";
import { ConfigError, errorMessage } from "../../shared/runtime/errors.js";
import { logger } from "../../shared/runtime/logger.js";
import { emfMetrics, type GuardMetrics } from "../../shared/runtime/metrics.js";
import { guardHandler } from "../../shared/runtime/middleware.js";

/**
 * The alerts function: reads the alerts the guard functions hand to the alert inbox (topic -> this function's
 * queue), merges identical ones within `alertDedupWindowMinutes` (shared/notify/alert-router.ts) and publishes the
 * rest to the alerts topic. A message whose alert could not be published is returned as a batch item failure: SQS
 * delivers it again and, after the queue's maxReceiveCount, keeps it in the dead-letter queue (alarmed). Messages
 * that are neither alerts nor its own reminders are logged and dropped.
 */
export function createHandler(deps: RouterDeps & { metrics?: GuardMetrics }) {
  return guardHandler(async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: { itemIdentifier: string }[] = [];
    // One at a time, in queue order: the first of a flood is delivered before its duplicates are counted.
    for (const record of event.Records ?? []) {
      const parsed = parseInboxMessage(record.body);
      if (!parsed) {
        logger.warn("not an alert: dropped", { messageId: record.messageId });
        continue;
      }
      try {
        const routed =
          parsed.kind === "alert" ? await routeAlert(parsed.alert, deps) : await routeReminder(parsed.close, deps);
        deps.metrics?.alert?.(routed);
        logger.info(`alert ${routed}`, {
          messageId: record.messageId,
          ...(parsed.kind === "alert"
            ? { alertId: parsed.alert.message.id, outcome: parsed.alert.attributes.outcome }
            : { windowStart: parsed.close.windowStart }),
        });
      } catch (error) {
        logger.error("alert not published: returned to the queue", {
          messageId: record.messageId,
          error: errorMessage(error),
        });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  });
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new ConfigError([`${name} is not set: the alerts function cannot work without it`]);
  return value;
}

const config = configFromEnv();
const topicArn = required("ALERTS_TOPIC_ARN");
const queueUrl = required("ALERTS_QUEUE_URL");
const region = process.env.AWS_REGION ?? "us-east-1";
const sns = snsClient(region);
const sqs = new SQSClient(clientConfig(region));
// An organization's hub names the account of each alert (Organizations DescribeAccount); a single account has one.
const named = config.organization?.organizationId
  ? namingAccounts(accountNames({ client: organizationsClient(region), clock: systemClock }))
  : async (message: ChatbotMessage) => message;

export const handler = createHandler({
  store: dynamoDbDedupStore(dynamoDbClient(region), required("ALERT_DEDUP_TABLE")),
  publish: async (message, attributes) => publishChatbot(sns, topicArn, await named(message), attributes),
  remind: async (note, delaySeconds) => {
    await call("sqs:SendMessage", () =>
      sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(note), DelaySeconds: delaySeconds }),
      ),
    );
  },
  clock: systemClock,
  windowMinutes: config.alertDedupWindowMinutes,
  metrics: emfMetrics(),
});
