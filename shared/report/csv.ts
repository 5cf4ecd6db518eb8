import { stringify } from "csv-stringify/sync";
import { SECURITY_HUB } from "../config/controls.js";
import { findingId, resourceArn } from "./asff.js";
import type { ReportItem } from "./item.js";

/** The columns, in this order, in every CSV EFS Guard writes: scripts and spreadsheets can rely on them. */
export const CSV_COLUMNS = [
  "finding_id",
  "control",
  "security_hub_controls",
  "severity",
  "verdict",
  "lifecycle",
  "outcome",
  "resource_type",
  "resource_id",
  "resource_arn",
  "region",
  "account",
  "summary",
  "detail",
  "why",
  "plan",
  "exempt_until",
  "observed_at",
] as const;

/**
 * A cell that a spreadsheet would run as a formula (starting with = + - @, or a tab or carriage return that some
 * read past) gets a leading apostrophe, as OWASP's CSV injection guidance advises: the text stays readable and
 * is never evaluated. Resource names, tag values and policy snippets reach these cells.
 */
export function neutralise(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** RFC 4180 (CRLF records, quoted where needed, header row) through csv-stringify, one row per finding. */
export function toCsv(items: readonly ReportItem[]): string {
  const rows = items.map((i) =>
    [
      findingId(i),
      i.control,
      (SECURITY_HUB[i.control] ?? []).join(" "),
      i.severity,
      i.verdict,
      i.lifecycle,
      i.outcome,
      i.resource.type,
      i.resource.id,
      resourceArn(i),
      i.resource.region,
      i.resource.account,
      i.summary,
      i.detail,
      i.why,
      i.plan ?? "",
      i.exemptUntil ?? "",
      i.observedAt,
    ].map(neutralise),
  );
  return stringify([[...CSV_COLUMNS], ...rows], { record_delimiter: "windows", quoted_match: /[",\r\n]/ });
}
