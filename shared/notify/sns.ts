import type { Notifier, Origin, Result } from "../pipeline/types.js";
import { alertFacts, dedupKey } from "./dedup.js";
import { buildMessage, type ExemptionHint } from "./message.js";
import { type AlertSender, inboxSender, topicSender } from "./publish.js";

/**
 * One alert per non-compliant decision, handed to `send` with its dedup key. The message attributes control,
 * severity and outcome let a subscriber filter (for example: only critical, or only remediation-failed).
 */
export function alertNotifier(send: AlertSender, hint?: ExemptionHint): Notifier {
  return {
    async publish(result: Result, origin: Origin) {
      await send(
        buildMessage(result, origin, hint),
        { control: result.finding.control, severity: result.finding.severity, outcome: result.outcome },
        dedupKey(alertFacts(result, origin)),
      );
    },
  };
}

/** Publishes every alert straight to the alerts topic (deduplication off; `replay --topic`). */
export function snsNotifier(
  topicArn: string,
  region: string = topicArn.split(":")[3] ?? "us-east-1",
  hint?: ExemptionHint,
): Notifier {
  return alertNotifier(topicSender(topicArn, region), hint);
}

/** Hands every alert to the alert inbox, from which the alerts function merges identical ones (dedup.ts). */
export function inboxNotifier(inboxArn: string, hint?: ExemptionHint): Notifier {
  return alertNotifier(inboxSender(inboxArn), hint);
}

/** For read-only use (scan): decisions are logged and printed, never published. */
export const silentNotifier: Notifier = { publish: async () => {} };
