import type { Notifier } from "../pipeline/types.js";
import { publishChatbot, snsClient } from "./publish.js";
import { buildSummaryMessage } from "./summary.js";

/**
 * The sweep's notifier: the per-finding alerts of `inner`, plus the one summary message at the end of a sweep.
 * Kept apart from snsNotifier so that the event functions, which never send a summary, do not bundle it.
 */
export function withSweepSummary(
  inner: Notifier,
  topicArn: string,
  region: string = topicArn.split(":")[3] ?? "us-east-1",
): Notifier {
  const sns = snsClient(region);
  return {
    publish: (result, origin) => inner.publish(result, origin),
    async publishSummary(summary) {
      // outcome=summary tells it apart; a sweep that failed somewhere is "high" so a paging filter sees it.
      await publishChatbot(sns, topicArn, buildSummaryMessage(summary, new Date()), {
        control: "sweep",
        severity: summary.failed > 0 || summary.errors.length > 0 ? "high" : "info",
        outcome: "summary",
      });
    },
  };
}
