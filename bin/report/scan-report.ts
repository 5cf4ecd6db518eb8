import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ControlId } from "../../shared/config/controls.js";
import type { Severity } from "../../shared/controls/types.js";
import type { ScanFinding, ScanReport } from "../../shared/pipeline/scan.js";
import { toAsff } from "../../shared/report/asff.js";
import { toCsv } from "../../shared/report/csv.js";
import { SEVERITIES, toHtml } from "../../shared/report/html.js";
import type { Lifecycle, ReportItem } from "../../shared/report/item.js";
import { toOcsf } from "../../shared/report/ocsf.js";

/** What `scan --format` can write. table is the terminal view; the others are for tools and people elsewhere. */
export const REPORT_FORMATS = ["table", "json", "csv", "asff", "ocsf", "html"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Formats whose records name the account (and build ARNs with it): scan asks STS who it is. */
export const NEEDS_ACCOUNT: ReadonlySet<ReportFormat> = new Set(["csv", "asff", "ocsf", "html"]);

const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

function state(f: ScanFinding): number {
  if (f.wouldDo === "exempt") return 1;
  return f.verdict === "non-compliant" ? 0 : f.verdict === "compliant" ? 2 : 3;
}

/** Worst first: non-compliant by severity, then exempt, compliant, not applicable; then control and resource. */
export function worstFirst(findings: readonly ScanFinding[]): ScanFinding[] {
  return [...findings].sort(
    (a, b) =>
      state(a) - state(b) ||
      RANK[a.severity] - RANK[b.severity] ||
      a.control.localeCompare(b.control) ||
      a.resource.localeCompare(b.resource) ||
      a.region.localeCompare(b.region) ||
      (a.account ?? "").localeCompare(b.account ?? ""),
  );
}

/**
 * `--control ID...` keeps those controls; `--severity LEVEL` keeps findings of that severity or worse (high keeps
 * critical and high). Compliant and not-applicable findings carry severity info, so `--severity` above info shows
 * what needs attention.
 */
export function filterFindings(
  findings: readonly ScanFinding[],
  controls: readonly ControlId[] | undefined,
  severity: Severity | undefined,
): ScanFinding[] {
  return findings.filter(
    (f) =>
      (!controls || controls.length === 0 || controls.includes(f.control as ControlId)) &&
      (!severity || RANK[f.severity] <= RANK[severity]),
  );
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as string[]).includes(value);
}

function lifecycle(f: ScanFinding): Lifecycle {
  if (f.verdict === "not-applicable") return "not-applicable";
  if (f.verdict === "compliant") return "passed";
  return f.wouldDo === "exempt" ? "exempt" : "failed";
}

/** A scan finding as a report item: what the deployed guard would conclude, observed now. */
export function itemFromScan(f: ScanFinding, account: string, observedAt: Date): ReportItem {
  const until = /until (\S+)$/.exec(f.why)?.[1];
  return {
    control: f.control as ControlId,
    resource: { type: f.resourceType as ReportItem["resource"]["type"], id: f.resource, region: f.region, account },
    verdict: f.verdict,
    severity: f.severity,
    summary: f.summary,
    outcome: f.wouldDo,
    detail: f.plan ? `would ${f.plan}` : f.why,
    why: f.why,
    ...(f.plan ? { plan: f.plan } : {}),
    evidence: f.evidence,
    ...(f.tags ? { tags: f.tags } : {}),
    ...(f.wouldDo === "exempt" && until ? { exemptUntil: until } : {}),
    observedAt: observedAt.toISOString(),
    source: "scan",
    lifecycle: lifecycle(f),
  };
}

function version(): string {
  return (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
}

export interface RenderContext {
  account?: string;
  now: Date;
  errors: string[];
}

/** The report in a machine format (json, csv, asff, ocsf, html); table stays with the scan command. */
export function renderReport(format: Exclude<ReportFormat, "table">, report: ScanReport, ctx: RenderContext): string {
  const findings = worstFirst(report.findings);
  // An organization scan's findings carry their own account; a single account's take the caller's.
  const items = () => findings.map((f) => itemFromScan(f, f.account ?? ctx.account ?? "", ctx.now));
  switch (format) {
    case "json":
      return JSON.stringify({ findings, errors: ctx.errors, summary: report.summary }, null, 2);
    case "csv":
      return toCsv(items());
    case "asff":
      return JSON.stringify({ Findings: items().map(toAsff) }, null, 2);
    case "ocsf":
      return JSON.stringify(
        items().map((i) => toOcsf(i, version())),
        null,
        2,
      );
    case "html":
      return toHtml({
        title: "EFS Guard posture",
        generatedAt: ctx.now.toISOString(),
        ...(ctx.account ? { account: ctx.account } : {}),
        regions: report.summary.regions,
        items: items(),
        errors: ctx.errors,
      });
  }
}

/** Writes the report to FILE (readable by its owner only: it lists the account's exposures). */
export function writeReport(file: string, text: string): void {
  writeFileSync(file, text.endsWith("\n") ? text : `${text}\n`, { mode: 0o600 });
}
