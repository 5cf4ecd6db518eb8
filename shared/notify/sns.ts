import type { Notifier, Origin, Result } from "../pipeline/types.js";
import { buildMessage, type ExemptionHint } from "./message.js";
import { publishChatbot, snsClient } from "./publish.js";

/**
 * Publishes one message per non-compliant decision to the alerts topic. The message attributes control,
 * severity and outcome let a subscriber filter (for example: only critical, or only remediation-failed).
 */
export function snsNotifier(
  topicArn: string,
  region: string = topicArn.split(":")[3] ?? "us-east-1",
  hint?: ExemptionHint,
): Notifier {
  const sns = snsClient(region);
  return {
    async publish(result: Result, origin: Origin) {
      await publishChatbot(sns, topicArn, buildMessage(result, origin, hint), {
        control: result.finding.control,
        severity: result.finding.severity,
        outcome: result.outcome,
      });
    },
  };
}

/** For read-only use (scan): decisions are logged and printed, never published. */
export const silentNotifier: Notifier = { publish: async () => {} };
