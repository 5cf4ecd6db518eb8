import { parseArgs } from "node:util";
import { type ScanFinding, type ScanReport, scanAccount } from "../../shared/pipeline/scan.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { type Clock, systemClock } from "../../shared/runtime/clock.js";
import { defaultRegion, parsing, UsageError } from "../args.js";
import { describeAwsFailure, environmentProblem } from "../aws-problem.js";
import { loadConfig } from "../config.js";
import { bold, table } from "../format.js";
import { cliGuards } from "./guards.js";
import type { Command, Io } from "./types.js";

const HELP = `Usage: efs-guard scan [--region REGION ...] [--config FILE] [--json]

Read-only posture report: every file system, mount-target security group and key the guards look after,
evaluated against every enabled control, with what the deployed guard would do about each finding.
Nothing is changed and nothing is published (only Describe/List/Get calls are made).

Options:
  --region REGION   region to scan; repeat for several (default: AWS_REGION, else AWS_DEFAULT_REGION)
  --config FILE     EFS Guard configuration: the efsGuard object (JSON) or a cdk.json (its efsGuard context);
                    default: the efsGuard context of ./cdk.json when present, else the defaults
  --json            print {"findings":[...],"errors":[...],"summary":{...}} instead of a table
  -h, --help        this help

"would do": none (nothing wrong), alert (alert mode, or no automatic remediation), would-remediate
(remediate mode, or dry run), exempt (tagged efs-guard:exempt; reported, never remediated).

Rows: worst first (non-compliant, exempt, compliant, not applicable), then by severity, control and resource.
When a read fails the report says INCOMPLETE: it never looks like a clean account.

Exit codes: 0 every finding compliant, not applicable or exempt; 1 at least one non-compliant finding that is
not exempt; 2 usage error, or an AWS call failed (the report then covers what could be read).`;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export interface ScanOptions {
  guards?: Guard[];
  clock?: Clock;
  cwd?: string;
}

const ORDER = { "non-compliant": 0, compliant: 2, "not-applicable": 3 } as const;
const SEVERITY: Record<ScanFinding["severity"], number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

function rank(f: ScanFinding): number {
  return f.wouldDo === "exempt" ? 1 : ORDER[f.verdict];
}

/**
 * Worst first: what needs attention (non-compliant, not exempt), then exempt, compliant, not applicable; within
 * each, by severity (critical first), then control, resource and region, so the same account always prints the
 * same order.
 */
export function sortFindings(findings: ScanFinding[]): ScanFinding[] {
  return [...findings].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      SEVERITY[a.severity] - SEVERITY[b.severity] ||
      a.control.localeCompare(b.control) ||
      a.resource.localeCompare(b.resource) ||
      a.region.localeCompare(b.region),
  );
}

function render(report: ScanReport, io: Io, styled: boolean): void {
  const findings = sortFindings(report.findings);
  const s = report.summary;
  const where = s.regions.join(", ");
  if (findings.length === 0) {
    // An empty report is only "nothing to assess" when every read succeeded: a scan that could not read anything
    // must never look like a clean account.
    io.out(
      s.errors > 0
        ? `Nothing could be assessed in ${where}: ${s.errors} read(s) failed (see stderr).`
        : `No resources to assess in ${where}.`,
    );
  } else {
    io.out(
      table(
        [
          ["control", "resource", "region", "verdict", "severity", "would do", "summary"],
          ...findings.map((f) => [f.control, f.resource, f.region, f.verdict, f.severity, f.wouldDo, f.summary]),
        ],
        styled ? { header: bold } : {},
      ),
    );
  }
  const counts =
    `${s.resources} resource(s) in ${where}: ${s.nonCompliant} non-compliant, ${s.exempt} exempt, ` +
    `${s.compliant} compliant, ${s.notApplicable} not applicable`;
  io.out(s.errors > 0 ? `\nINCOMPLETE: ${s.errors} error(s); what could be read: ${counts}` : `\n${counts}`);
}

export async function runScan(args: string[], io: Io, options: ScanOptions = {}): Promise<number> {
  const { values } = parsing(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        region: { type: "string", multiple: true },
        config: { type: "string" },
        json: { type: "boolean", default: false },
      },
    }),
  );
  const regions = [...new Set(values.region ?? [defaultRegion()].filter((r): r is string => r !== undefined))];
  if (regions.length === 0) {
    throw new UsageError("no region: pass --region REGION or set AWS_REGION");
  }
  const bad = regions.filter((r) => !REGION.test(r));
  if (bad.length > 0) throw new UsageError(`not a region name: ${bad.join(", ")} (expected e.g. eu-west-1)`);
  const { config } = loadConfig(values.config, options.cwd);

  const report = await scanAccount(options.guards ?? cliGuards(), regions, {
    config,
    clock: options.clock ?? systemClock,
  });

  if (values.json) {
    io.out(
      JSON.stringify(
        {
          findings: sortFindings(report.findings),
          errors: report.errors.map(({ error, ...rest }) => ({
            ...rest,
            message: describeAwsFailure(error, rest.region),
          })),
          summary: { ...report.summary, complete: report.errors.length === 0 },
        },
        null,
        2,
      ),
    );
  } else {
    render(report, io, io.styled === true);
  }
  if (report.errors.length > 0) {
    const said = new Set<string>();
    for (const e of report.errors) {
      const env = environmentProblem(e.error, e.region);
      const line = env ?? `${e.guard} in ${e.region}${e.resource ? ` (${e.resource})` : ""}: ${e.message}`;
      if (!said.has(line)) io.err(`efs-guard scan: ${line}`);
      said.add(line);
    }
    return 2;
  }
  return report.summary.nonCompliant > 0 ? 1 : 0;
}

export const scan: Command = {
  name: "scan",
  summary: "read-only posture report of every file system, mount-target security group and key",
  aws: true,
  help: HELP,
  run: (args, io) => runScan(args, io),
};
