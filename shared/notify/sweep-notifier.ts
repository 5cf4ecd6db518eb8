import type { Notifier } from "../pipeline/types.js";
import type { AlertSender } from "./publish.js";
import { buildSummaryMessage } from "./summary.js";

/**
 * The sweep's notifier: the per-finding alerts of `inner`, plus the one summary message at the end of a sweep,
 * sent the same way as the alerts but without a dedup key (every sweep's summary is delivered).
 * Kept apart from alertNotifier so that the event functions, which never send a summary, do not bundle it.
 */
export function withSweepSummary(inner: Notifier, send: AlertSender): Notifier {
  return {
    publish: (result, origin) => inner.publish(result, origin),
    async publishSummary(summary) {
      // outcome=summary tells it apart; a sweep that failed somewhere is "high" so a paging filter sees it.
      await send(buildSummaryMessage(summary, new Date()), {
        control: "sweep",
        severity: summary.failed > 0 || summary.errors.length > 0 ? "high" : "info",
        outcome: "summary",
      });
    },
  };
}
