import {
  type AwsSecurityFinding,
  type AwsSecurityFindingFilters,
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
  type WorkflowStatus,
} from "@aws-sdk/client-securityhub";
import type { ExistingFinding } from "../report/security-hub-plan.js";
import { AwsCallError } from "../runtime/errors.js";
import { call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const securityHubClient = perRegion((region) => new SecurityHubClient(clientConfig(region)));

/** BatchImportFindings and BatchUpdateFindings take at most 100 findings per call (Security Hub API reference). */
export const BATCH = 100;
/** GetFindings: at most 20 values per filter attribute. */
const IDS_PER_FILTER = 20;

/** Per-finding failure codes that a later attempt can fix: throttling and Security Hub's internal errors. */
const RETRYABLE = /throttl|limitexceeded|toomanyrequests|internal|serviceunavailable|timeout/i;

export interface FailedFinding {
  id: string;
  code: string;
  message: string;
  retryable: boolean;
}

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function failedCall(ids: string[], error: unknown): FailedFinding[] {
  const e = error instanceof AwsCallError ? error : undefined;
  return ids.map((id) => ({
    id,
    code: e?.awsCode ?? "Error",
    message: error instanceof Error ? error.message : String(error),
    retryable: e?.retryable ?? false,
  }));
}

/**
 * Imports findings 100 per call. The SDK client retries throttled calls (adaptive mode, sdk-config.ts); a finding
 * that Security Hub lists in FailedFindings with a retryable code is sent again (up to `attempts` times, with
 * backoff), and whatever still fails is returned per finding, never dropped.
 */
export async function importFindings(
  client: SecurityHubClient,
  findings: readonly AwsSecurityFinding[],
  options: { attempts?: number; backoffMs?: number } = {},
): Promise<{ imported: number; failed: FailedFinding[] }> {
  const attempts = options.attempts ?? 3;
  const backoff = options.backoffMs ?? 250;
  let imported = 0;
  const failed: FailedFinding[] = [];
  for (const batch of chunks(findings, BATCH)) {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      let out: { SuccessCount?: number; FailedFindings?: { Id?: string; ErrorCode?: string; ErrorMessage?: string }[] };
      try {
        out = await call("securityhub:BatchImportFindings", () =>
          client.send(new BatchImportFindingsCommand({ Findings: pending })),
        );
      } catch (error) {
        failed.push(
          ...failedCall(
            pending.map((f) => f.Id as string),
            error,
          ),
        );
        break;
      }
      imported += out.SuccessCount ?? 0;
      const again: AwsSecurityFinding[] = [];
      for (const f of out.FailedFindings ?? []) {
        const code = f.ErrorCode ?? "Unknown";
        const retryable = RETRYABLE.test(code);
        const finding = pending.find((p) => p.Id === f.Id);
        if (retryable && finding && attempt < attempts) again.push(finding);
        else failed.push({ id: f.Id ?? "(no id)", code, message: f.ErrorMessage ?? "", retryable });
      }
      pending = again;
      if (pending.length > 0) await pause(backoff * 2 ** (attempt - 1));
    }
  }
  return { imported, failed };
}

async function pages(client: SecurityHubClient, Filters: AwsSecurityFindingFilters): Promise<ExistingFinding[]> {
  const out: ExistingFinding[] = [];
  let NextToken: string | undefined;
  do {
    const page = await call("securityhub:GetFindings", () =>
      client.send(new GetFindingsCommand({ Filters, MaxResults: 100, ...(NextToken ? { NextToken } : {}) })),
    );
    out.push(...((page.Findings ?? []) as ExistingFinding[]));
    NextToken = page.NextToken || undefined;
  } while (NextToken);
  return out;
}

/** The findings Security Hub holds for these ids of one product (20 ids per GetFindings call). */
export async function findingsByIds(
  client: SecurityHubClient,
  productArn: string,
  ids: readonly string[],
): Promise<Map<string, ExistingFinding>> {
  const found = new Map<string, ExistingFinding>();
  for (const group of chunks([...new Set(ids)], IDS_PER_FILTER)) {
    const filters: AwsSecurityFindingFilters = {
      ProductArn: [{ Value: productArn, Comparison: "EQUALS" }],
      Id: group.map((Value) => ({ Value, Comparison: "EQUALS" as const })),
    };
    for (const f of await pages(client, filters)) found.set(f.Id, f);
  }
  return found;
}

/** Every active finding of this product in the region (what a complete sweep compares with what it saw). */
export async function activeFindings(
  client: SecurityHubClient,
  productArn: string,
  account: string,
): Promise<(ExistingFinding & Record<string, unknown>)[]> {
  return (await pages(client, {
    ProductArn: [{ Value: productArn, Comparison: "EQUALS" }],
    AwsAccountId: [{ Value: account, Comparison: "EQUALS" }],
    RecordState: [{ Value: "ACTIVE", Comparison: "EQUALS" }],
  })) as (ExistingFinding & Record<string, unknown>)[];
}

/** Sets the workflow status and note of findings, as a remediation tool does (100 per call). */
export async function updateWorkflow(
  client: SecurityHubClient,
  update: { productArn: string; status: WorkflowStatus; note: string; ids: readonly string[]; author: string },
): Promise<{ updated: number; failed: FailedFinding[] }> {
  let updated = 0;
  const failed: FailedFinding[] = [];
  for (const group of chunks(update.ids, BATCH)) {
    try {
      const out = await call("securityhub:BatchUpdateFindings", () =>
        client.send(
          new BatchUpdateFindingsCommand({
            FindingIdentifiers: group.map((Id) => ({ Id, ProductArn: update.productArn })),
            Workflow: { Status: update.status },
            Note: { Text: update.note, UpdatedBy: update.author },
          }),
        ),
      );
      updated += out.ProcessedFindings?.length ?? 0;
      for (const u of out.UnprocessedFindings ?? []) {
        const code = u.ErrorCode ?? "Unknown";
        failed.push({
          id: u.FindingIdentifier?.Id ?? "(no id)",
          code,
          message: u.ErrorMessage ?? "",
          retryable: RETRYABLE.test(code),
        });
      }
    } catch (error) {
      failed.push(...failedCall([...group], error));
    }
  }
  return { updated, failed };
}
