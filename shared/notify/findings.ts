import { PublishCommand } from "@aws-sdk/client-sns";
import { call } from "../aws/errors.js";
import type { ArchiveScopeInput, FindingsSink, Origin, Result } from "../pipeline/types.js";
import { itemFromResult, type ReportItem } from "../report/item.js";
import { MAX_MESSAGE_BYTES, toMessages } from "../report/message.js";
import type { Clock } from "../runtime/clock.js";
import { logger } from "../runtime/logger.js";
import { snsClient } from "./publish.js";

/**
 * The guard functions' side of Security Hub: every decision, as a report item, published to the findings topic at
 * the end of the event (or of a sweep's region), which the Security Hub reporter function consumes through its
 * queue. The functions themselves hold no Security Hub permission and load no Security Hub client: their bundles
 * stay within budget, and what fails in Security Hub is retried from the queue, not by re-running the guard.
 * A failed publish throws (retryable), so the event is retried rather than its findings lost.
 */
export function snsFindingsSink(topicArn: string, clock: Clock): FindingsSink {
  const [, , , region = "us-east-1", account = ""] = topicArn.split(":");
  const sns = snsClient(region);
  let pending: ReportItem[] = [];
  return {
    record(result: Result, origin: Origin) {
      pending.push(itemFromResult(result, origin, account, clock.now()));
    },
    async flush(scopes: ArchiveScopeInput[] = []) {
      const items = pending;
      pending = [];
      const full = scopes
        .map((s) => ({ ...s, account }))
        .filter((s) => {
          const fits = Buffer.byteLength(JSON.stringify(s)) < MAX_MESSAGE_BYTES;
          if (!fits) {
            logger.warn("sweep scope too large for one message: stale findings are not archived this time", {
              region: s.region,
              resources: s.resources.length,
            });
          }
          return fits;
        });
      if (items.length === 0 && full.length === 0) return;
      for (const message of toMessages(account, items, full)) {
        await call("sns:Publish", () => sns.send(new PublishCommand({ TopicArn: topicArn, Message: message })));
      }
    },
  };
}
