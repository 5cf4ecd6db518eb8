import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { securityHubClient } from "../../shared/aws/securityhub.js";
import { findingId } from "../../shared/report/asff.js";
import type { ReportItem } from "../../shared/report/item.js";
import { parseFindingsMessage } from "../../shared/report/message.js";
import { type SecurityHubDeps, sendToSecurityHub } from "../../shared/report/security-hub.js";
import type { ArchiveScope } from "../../shared/report/security-hub-plan.js";
import { systemClock } from "../../shared/runtime/clock.js";
import { ConfigError } from "../../shared/runtime/errors.js";
import { logger } from "../../shared/runtime/logger.js";
import { emfMetrics, type GuardMetrics } from "../../shared/runtime/metrics.js";
import { guardHandler } from "../../shared/runtime/middleware.js";

/**
 * The Security Hub reporter: reads the findings messages the guard functions and the sweep publish (through the
 * findings topic and this function's queue), and imports them with BatchImportFindings / BatchUpdateFindings.
 * A message whose findings failed with a retryable cause (throttling, Security Hub errors) is returned as a batch
 * item failure: SQS delivers it again and, after the queue's maxReceiveCount, moves it to the dead-letter queue.
 * Findings refused for good (invalid, access denied, Security Hub not enabled) are logged one by one and counted;
 * a retry cannot help them. Messages that are not findings messages are logged and dropped.
 */
export function createHandler(deps: SecurityHubDeps & { account: string; metrics?: GuardMetrics }) {
  return guardHandler(async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const items: ReportItem[] = [];
    const scopes: ArchiveScope[] = [];
    const owner = new Map<string, string[]>();
    for (const record of event.Records ?? []) {
      const parsed = parseFindingsMessage(record.body, deps.account);
      if (!parsed) {
        logger.warn("not a findings message: dropped", { messageId: record.messageId });
        continue;
      }
      if (parsed.refused > 0) {
        logger.error("findings refused: malformed or of another account", {
          messageId: record.messageId,
          refused: parsed.refused,
        });
      }
      items.push(...parsed.items);
      scopes.push(...parsed.scopes);
      for (const item of parsed.items) {
        const id = findingId(item);
        owner.set(id, [...(owner.get(id) ?? []), record.messageId]);
      }
    }
    const result = await sendToSecurityHub(items, deps, scopes);
    deps.metrics?.securityHub(result.imported, result.failed.length);
    const retry = new Set<string>();
    for (const failure of result.failed) {
      if (!failure.retryable) continue;
      for (const messageId of owner.get(failure.id) ?? event.Records.map((r) => r.messageId)) retry.add(messageId);
    }
    return { batchItemFailures: [...retry].map((itemIdentifier) => ({ itemIdentifier })) };
  });
}

function ownAccount(): string {
  const account = process.env.AWS_ACCOUNT_ID ?? process.env.EFS_GUARD_ACCOUNT;
  if (!account)
    throw new ConfigError(["EFS_GUARD_ACCOUNT is not set: the reporter cannot check whose findings it imports"]);
  return account;
}

export const handler = createHandler({
  client: securityHubClient,
  clock: systemClock,
  account: ownAccount(),
  metrics: emfMetrics(),
});
