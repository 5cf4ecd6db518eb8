import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { call } from "../aws/errors.js";
import { clientConfig } from "../aws/sdk-config.js";
import type { Notifier, Origin, Result } from "../pipeline/types.js";
import { buildMessage } from "./message.js";
import { buildSummaryMessage } from "./summary.js";

/**
 * Publishes one message per non-compliant decision to the alerts topic. The message attributes control,
 * severity and outcome let a subscriber filter (for example: only critical, or only remediation-failed).
 */
export function snsNotifier(topicArn: string, region: string = topicArn.split(":")[3] ?? "us-east-1"): Notifier {
  const sns = new SNSClient(clientConfig(region));
  return {
    async publish(result: Result, origin: Origin) {
      const message = buildMessage(result, origin);
      const attr = (value: string) => ({ DataType: "String", StringValue: value });
      await call("sns:Publish", () =>
        sns.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: message.content.title.replace(/:[a-z_]+:\s*/g, "").slice(0, 99),
            Message: JSON.stringify(message),
            MessageAttributes: {
              control: attr(result.finding.control),
              severity: attr(result.finding.severity),
              outcome: attr(result.outcome),
            },
          }),
        ),
      );
    },
    async publishSummary(summary) {
      const message = buildSummaryMessage(summary, new Date());
      const attr = (value: string) => ({ DataType: "String", StringValue: value });
      await call("sns:Publish", () =>
        sns.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: message.content.title.replace(/:[a-z_]+:\s*/g, "").slice(0, 99),
            Message: JSON.stringify(message),
            // outcome=summary tells it apart; a sweep that failed somewhere is "high" so a paging filter sees it.
            MessageAttributes: {
              control: attr("sweep"),
              severity: attr(summary.failed > 0 || summary.errors.length > 0 ? "high" : "info"),
              outcome: attr("summary"),
            },
          }),
        ),
      );
    },
  };
}

/** For read-only use (scan): decisions are logged and printed, never published. */
export const silentNotifier: Notifier = { publish: async () => {} };
