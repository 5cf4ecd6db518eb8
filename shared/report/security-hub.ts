import type { SecurityHubClient } from "@aws-sdk/client-securityhub";
import {
  activeFindings,
  type FailedFinding,
  findingsByIds,
  importFindings,
  updateWorkflow,
} from "../aws/securityhub.js";
import type { Clock } from "../runtime/clock.js";
import { errorMessage } from "../runtime/errors.js";
import { logger } from "../runtime/logger.js";
import { findingId, NOTE_AUTHOR, productArn } from "./asff.js";
import type { ReportItem } from "./item.js";
import { type ArchiveScope, archiveStale, planSecurityHub } from "./security-hub-plan.js";

export interface SecurityHubResult {
  imported: number;
  updated: number;
  archived: number;
  stale: number;
  /** Every finding that did not reach Security Hub, with the reason; `retryable` ones may succeed later. */
  failed: FailedFinding[];
}

export interface SecurityHubDeps {
  client: (region: string) => SecurityHubClient;
  clock: Clock;
}

/**
 * read -> plan -> import -> workflow, per region (a finding is imported into the Security Hub of its resource's
 * region; cross-Region aggregation brings them together). With `scopes`, the active findings a complete sweep no
 * longer produced are archived. Every failure is logged with the finding id and returned; nothing here throws for
 * an AWS failure, so one region's outage does not hide another's results.
 */
export async function sendToSecurityHub(
  items: readonly ReportItem[],
  deps: SecurityHubDeps,
  scopes: readonly ArchiveScope[] = [],
): Promise<SecurityHubResult> {
  const result: SecurityHubResult = { imported: 0, updated: 0, archived: 0, stale: 0, failed: [] };
  const byProduct = new Map<string, { region: string; account: string; items: ReportItem[] }>();
  for (const item of items) {
    const key = productArn(item.resource.region, item.resource.account);
    const group = byProduct.get(key) ?? { region: item.resource.region, account: item.resource.account, items: [] };
    group.items.push(item);
    byProduct.set(key, group);
  }
  for (const scope of scopes) {
    const key = productArn(scope.region, scope.account);
    if (!byProduct.has(key)) byProduct.set(key, { region: scope.region, account: scope.account, items: [] });
  }
  for (const [product, group] of byProduct) {
    const client = deps.client(group.region);
    const ids = group.items.map(findingId);
    const scope = scopes.find((s) => s.region === group.region && s.account === group.account);
    let existing: Awaited<ReturnType<typeof findingsByIds>>;
    let active: Awaited<ReturnType<typeof activeFindings>> = [];
    try {
      if (scope) {
        // A sweep reads every active finding once (100 per page) instead of 20 ids per call.
        active = await activeFindings(client, product, group.account);
        const known = new Set(ids);
        existing = new Map(active.filter((f) => known.has(f.Id)).map((f) => [f.Id, f]));
        const missing = ids.filter((id) => !existing.has(id));
        // Archived findings that come back are not in the active list.
        for (const [id, f] of await findingsByIds(client, product, missing)) existing.set(id, f);
      } else {
        existing = await findingsByIds(client, product, ids);
      }
    } catch (error) {
      const failed = ids.map((id) => ({
        id,
        code: (error as { awsCode?: string }).awsCode ?? "Error",
        message: `could not read the current findings: ${errorMessage(error)}`,
        retryable: (error as { retryable?: boolean }).retryable ?? false,
      }));
      report(result, failed, group.region);
      continue;
    }
    const plan = planSecurityHub(group.items, existing);
    const archive = scope ? archiveStale(scope, active, deps.clock.now()) : [];
    result.stale += plan.stale.length;
    const imported = await importFindings(client, [...plan.imports, ...archive]);
    result.imported += imported.imported;
    result.archived += archive.filter((a) => !imported.failed.some((f) => f.id === a.Id)).length;
    report(result, imported.failed, group.region);
    // A finding whose import failed keeps its workflow as it was: the next attempt decides again.
    const notImported = new Set(imported.failed.map((f) => f.id));
    for (const update of plan.updates) {
      const ok = update.ids.filter((id) => !notImported.has(id));
      if (ok.length === 0) continue;
      const out = await updateWorkflow(client, { ...update, ids: ok, author: NOTE_AUTHOR });
      result.updated += out.updated;
      report(result, out.failed, group.region);
    }
  }
  logger.info("security hub report", {
    findings: items.length,
    imported: result.imported,
    updated: result.updated,
    archived: result.archived,
    stale: result.stale,
    failed: result.failed.length,
  });
  return result;
}

function report(result: SecurityHubResult, failed: FailedFinding[], region: string): void {
  for (const f of failed) {
    logger.error("security hub finding not imported", { findingId: f.id, region, error: f });
    result.failed.push(f);
  }
}
