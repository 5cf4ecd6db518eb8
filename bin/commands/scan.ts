import { parseArgs } from "node:util";
import { accountAccess, partitionOfArn, sessionNameFor } from "../../shared/aws/accounts.js";
import type { AccountClients } from "../../shared/aws/member-clients.js";
import {
  ACCOUNT_ID,
  explicitAccounts,
  type MemberAccount,
  membersToCover,
  organizationAccounts,
  organizationsClient,
} from "../../shared/aws/organization.js";
import { securityHubClient } from "../../shared/aws/securityhub.js";
import { callerIdentity } from "../../shared/aws/sts.js";
import { CONTROL_IDS, type ControlId, isControlId } from "../../shared/config/controls.js";
import type { Severity } from "../../shared/controls/types.js";
import { type ScanFinding, type ScanReport, scanAccount } from "../../shared/pipeline/scan.js";
import { type AccountStatus, ORG_SCAN_CONCURRENCY, scanOrganization } from "../../shared/pipeline/scan-org.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { sendToSecurityHub } from "../../shared/report/security-hub.js";
import { type Clock, systemClock } from "../../shared/runtime/clock.js";
import { defaultRegion, parsing, UsageError } from "../args.js";
import { describeAwsFailure, environmentProblem } from "../aws-problem.js";
import { loadConfig } from "../config.js";
import { bold, table } from "../format.js";
import {
  filterFindings,
  isSeverity,
  itemFromScan,
  NEEDS_ACCOUNT,
  REPORT_FORMATS,
  type ReportFormat,
  renderReport,
  worstFirst,
  writeReport,
} from "../report/scan-report.js";
import { cliGuards } from "./guards.js";
import type { Command, Io } from "./types.js";

const HELP = `Usage: efs-guard scan [--region REGION ...] [--config FILE] [--format FORMAT] [--output FILE]
                      [--control ID ...] [--severity LEVEL] [--security-hub]
                      [--org | --accounts ID,...] [--role-name NAME] [--concurrency N] [--include-self]

Read-only posture report: every file system, mount-target security group and key the guards look after,
evaluated against every enabled control, with what the deployed guard would do about each finding.
Nothing is changed and nothing is published (only Describe/List/Get calls are made).

Options:
  --region REGION   region to scan; repeat for several (default: AWS_REGION, else AWS_DEFAULT_REGION)
  --config FILE     EFS Guard configuration (the efsGuard object, JSON); default: the efsGuard context of
                    ./cdk.json when present, else the defaults
  --format FORMAT   table (default), json, csv (RFC 4180, one row per finding), asff (AWS Security Finding
                    Format, {"Findings":[...]}), ocsf (OCSF 1.8.0 Compliance Finding events), html (one
                    self-contained page: summary, chart, sortable and filterable findings)
  --json            the same as --format json: {"findings":[...],"errors":[...],"summary":{...}}
  --output FILE     write the report to FILE (created readable by you only) instead of stdout
  --control ID      only this control; repeat for several (${CONTROL_IDS.join(", ")})
  --severity LEVEL  only findings of LEVEL or worse: critical, high, medium, low, info
  --security-hub    also import every finding into AWS Security Hub (the account's default product, the
                    region of each resource), with the same lifecycle as the deployed guard
  --org             scan every ACTIVE account of the AWS Organization (Organizations ListAccounts: run it from
                    the management account or a delegated administrator), or organization.accounts of the
                    configuration when it lists them, by assuming the member role in each
  --accounts IDS    scan these accounts (comma-separated 12-digit ids; repeatable) by assuming the member role
  --role-name NAME  the member role (default: organization.memberRoleName of the configuration, efs-guard-member)
  --concurrency N   accounts scanned at once with --org / --accounts (default ${ORG_SCAN_CONCURRENCY}, 1 to 64)
  --include-self    with --org / --accounts: also scan the account of your credentials (left out by default;
                    it is read with your own credentials, no role assumed)
  -h, --help        this help

"would do": none (nothing wrong), alert (alert mode, or no automatic remediation), would-remediate
(remediate mode, or dry run), exempt (tagged efs-guard:exempt; reported, never remediated).

Rows: worst first (non-compliant, exempt, compliant, not applicable), then by severity, control and resource.
When a read fails the report says INCOMPLETE: it never looks like a clean account.

With --org or --accounts every row names its account (an account column in the table, "account" in JSON, the
account of every CSV, ASFF, OCSF and HTML finding), and an account whose member role could not be assumed is one
line "account ID: not scanned: no NAME role (CODE ...)" while the others are scanned.

Exit codes: 0 every finding compliant, not applicable or exempt; 1 at least one non-compliant finding that is
not exempt; 2 usage error, or an AWS call failed, or (organization scan) an account could not be assumed (the
report then covers what could be read).`;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export interface ScanOptions {
  guards?: Guard[];
  clock?: Clock;
  cwd?: string;
}

/** Worst first: what needs attention at the top, then exempt, compliant, not applicable. */
export function sortFindings(findings: ScanFinding[]): ScanFinding[] {
  return worstFirst(findings);
}

/** An account that could not be scanned, in words: what to check and the AWS code that says why. */
export function unavailableLine(a: AccountStatus, roleName: string): string {
  return `account ${a.id}${a.name ? ` (${a.name})` : ""}: not scanned: no ${roleName} role (${a.code}: ${a.message})`;
}

function render(report: ScanReport, io: Io, styled: boolean, org?: OrgView): void {
  const findings = sortFindings(report.findings);
  const s = report.summary;
  const where = org ? `${s.regions.join(", ")} of ${org.scanned} account(s)` : s.regions.join(", ");
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
        org
          ? [
              ["account", "control", "resource", "region", "verdict", "severity", "would do", "summary"],
              ...findings.map((f) => [
                f.account ?? "",
                f.control,
                f.resource,
                f.region,
                f.verdict,
                f.severity,
                f.wouldDo,
                f.summary,
              ]),
            ]
          : [
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
  if (org && org.unavailable.length > 0) {
    io.out("");
    for (const line of org.unavailable) io.out(line);
  }
  const problems = s.errors + (org?.unavailable.length ?? 0);
  const incomplete = org && org.unavailable.length > 0 ? `${org.unavailable.length} account(s) not scanned, ` : "";
  io.out(
    problems > 0 ? `\nINCOMPLETE: ${incomplete}${s.errors} error(s); what could be read: ${counts}` : `\n${counts}`,
  );
}

/** What the table adds for an organization scan. */
interface OrgView {
  scanned: number;
  unavailable: string[];
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
        format: { type: "string" },
        output: { type: "string" },
        control: { type: "string", multiple: true },
        severity: { type: "string" },
        "security-hub": { type: "boolean", default: false },
        org: { type: "boolean", default: false },
        accounts: { type: "string", multiple: true },
        "role-name": { type: "string" },
        concurrency: { type: "string" },
        "include-self": { type: "boolean", default: false },
      },
    }),
  );
  const format = (values.format ?? (values.json ? "json" : "table")) as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) {
    throw new UsageError(`--format ${values.format}: expected one of ${REPORT_FORMATS.join(", ")}`);
  }
  if (values.json && values.format && values.format !== "json") throw new UsageError("--json and --format differ");
  const controls = values.control ?? [];
  const unknown = controls.filter((c) => !isControlId(c));
  if (unknown.length > 0) {
    throw new UsageError(`--control ${unknown.join(", ")}: not a control id (${CONTROL_IDS.join(", ")})`);
  }
  if (values.severity !== undefined && !isSeverity(values.severity)) {
    throw new UsageError(`--severity ${values.severity}: expected critical, high, medium, low or info`);
  }
  const severity = values.severity as Severity | undefined;
  const regions = [...new Set(values.region ?? [defaultRegion()].filter((r): r is string => r !== undefined))];
  if (regions.length === 0) {
    throw new UsageError("no region: pass --region REGION or set AWS_REGION");
  }
  const bad = regions.filter((r) => !REGION.test(r));
  if (bad.length > 0) throw new UsageError(`not a region name: ${bad.join(", ")} (expected e.g. eu-west-1)`);
  const listed = (values.accounts ?? []).flatMap((a) => a.split(",")).map((a) => a.trim());
  const orgScan = values.org || listed.length > 0;
  if (values.org && listed.length > 0) throw new UsageError("--org and --accounts: pass one of them");
  const badIds = listed.filter((a) => !ACCOUNT_ID.test(a));
  if (badIds.length > 0) throw new UsageError(`--accounts ${badIds.join(", ")}: not a 12-digit account id`);
  if (!orgScan) {
    for (const o of ["role-name", "concurrency", "include-self"] as const) {
      if (values[o] !== undefined && values[o] !== false) throw new UsageError(`--${o} needs --org or --accounts`);
    }
  }
  const concurrency = values.concurrency === undefined ? ORG_SCAN_CONCURRENCY : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new UsageError(`--concurrency ${values.concurrency}: expected a whole number from 1 to 64`);
  }
  if (values["role-name"] !== undefined && !/^[\w+=,.@-]{1,64}$/.test(values["role-name"])) {
    throw new UsageError(`--role-name ${values["role-name"]}: not an IAM role name (up to 64 of A-Z a-z 0-9 +=,.@_-)`);
  }
  const { config } = loadConfig(values.config, options.cwd);
  const clock = options.clock ?? systemClock;
  const roleName = values["role-name"] ?? config.organization?.memberRoleName ?? "efs-guard-member";

  let org: { view: OrgView; statuses: AccountStatus[] } | undefined;
  let report: ScanReport;
  let caller: { account: string; arn: string } | undefined;
  if (orgScan) {
    const home = regions[0] as string;
    try {
      caller = await callerIdentity(home);
    } catch (error) {
      io.err(`efs-guard scan: cannot tell the account: ${describeAwsFailure(error, home)}`);
      return 2;
    }
    let members: MemberAccount[];
    const configured = config.organization?.accounts ?? [];
    if (listed.length > 0) members = explicitAccounts(listed);
    else if (configured.length > 0) members = explicitAccounts(configured);
    else {
      try {
        // The region only picks the partition: Organizations' one endpoint serves every region of it.
        members = await organizationAccounts(organizationsClient(home));
      } catch (error) {
        io.err(
          `efs-guard scan: cannot list the organization's accounts (run --org from the management account or a delegated administrator, or pass --accounts): ${describeAwsFailure(error, home)}`,
        );
        return 2;
      }
    }
    members = membersToCover(members, caller.account, values["include-self"] === true);
    if (members.length === 0) {
      io.err("efs-guard scan: no account to scan (the organization lists none but yours; --include-self scans it)");
      return 2;
    }
    const access = accountAccess({
      homeAccount: caller.account,
      partition: partitionOfArn(caller.arn) ?? "aws",
      roleName,
      sessionName: sessionNameFor("scan"),
      region: home,
    });
    io.err(
      `efs-guard scan: ${members.length} account(s), role ${roleName}, ${Math.min(concurrency, members.length)} at a time`,
    );
    // Each account's guards on that account's clients (its member role), as in the organization sweep.
    const fixed = options.guards;
    const guardsOf = fixed ? () => fixed : (clients: AccountClients) => cliGuards({ clients });
    const scanned = await scanOrganization(guardsOf, members, regions, {
      config,
      clock,
      access,
      concurrency,
    });
    const unavailable = scanned.accounts.filter((a) => a.status === "unavailable");
    org = {
      view: {
        scanned: members.length - unavailable.length,
        unavailable: unavailable.map((a) => unavailableLine(a, roleName)),
      },
      statuses: scanned.accounts,
    };
    report = scanned;
  } else {
    report = await scanAccount(options.guards ?? cliGuards(), regions, { config, clock });
  }

  report.findings = filterFindings(report.findings, controls as ControlId[], severity);
  report.summary.nonCompliant = report.findings.filter(
    (f) => f.verdict === "non-compliant" && f.wouldDo !== "exempt",
  ).length;
  const errors = report.errors.map((e) => ({ ...e, message: describeAwsFailure(e.error, e.region) }));
  let account: string | undefined;
  if (!org && (NEEDS_ACCOUNT.has(format) || values["security-hub"])) {
    try {
      account = (await callerIdentity(regions[0] as string)).account;
    } catch (error) {
      io.err(`efs-guard scan: cannot tell the account: ${describeAwsFailure(error, regions[0] as string)}`);
      return 2;
    }
  }
  const now = clock.now();
  let text: string | undefined;
  if (format === "json") {
    text = JSON.stringify(
      {
        findings: sortFindings(report.findings),
        errors: errors.map(({ error, ...rest }) => rest),
        ...(org ? { accounts: org.statuses } : {}),
        summary: {
          ...report.summary,
          complete: report.errors.length === 0 && (org?.view.unavailable.length ?? 0) === 0,
        },
      },
      null,
      2,
    );
  } else if (format !== "table") {
    text = renderReport(format, report, {
      ...(account ? { account } : {}),
      now,
      errors: [
        ...(org?.view.unavailable ?? []),
        ...errors.map(
          (e) =>
            `${e.account ? `account ${e.account}: ` : ""}${e.guard} in ${e.region}${e.resource ? ` (${e.resource})` : ""}: ${e.message}`,
        ),
      ],
    });
  }
  if (values.output) {
    const out = text ?? captured(report, io.styled === true, org?.view);
    writeReport(values.output, out);
    io.err(`efs-guard scan: wrote the ${format} report to ${values.output}`);
  } else if (text !== undefined) {
    if (format === "csv" && io.write) io.write(text);
    else io.out(text);
  } else {
    render(report, io, io.styled === true, org?.view);
  }
  // The table says it; the machine formats keep stdout parseable, so the unscanned accounts go to stderr too.
  if (org && (format !== "table" || values.output))
    for (const line of org.view.unavailable) io.err(`efs-guard scan: ${line}`);
  const hubAccount = account ?? caller?.account;
  if (values["security-hub"] && hubAccount) {
    // Each finding is imported in the caller's Security Hub under its own account (AwsAccountId), as the
    // administrator of the members does; a member finding needs the caller to be their Security Hub administrator.
    const items = report.findings.map((f) => itemFromScan(f, f.account ?? (hubAccount as string), now));
    const sent = await sendToSecurityHub(items, { client: securityHubClient, clock });
    io.err(
      `efs-guard scan: Security Hub: ${sent.imported} imported, ${sent.updated} workflow updates, ${sent.failed.length} failed`,
    );
    for (const f of sent.failed.slice(0, 10))
      io.err(`efs-guard scan: Security Hub refused ${f.id}: ${f.code}: ${f.message}`);
    if (sent.failed.length > 0) return 2;
  }
  if (report.errors.length > 0) {
    const said = new Set<string>();
    for (const e of report.errors) {
      const env = environmentProblem(e.error, e.region);
      const where = e.account ? `account ${e.account}: ` : "";
      const line = env ?? `${where}${e.guard} in ${e.region}${e.resource ? ` (${e.resource})` : ""}: ${e.message}`;
      if (!said.has(line)) io.err(`efs-guard scan: ${line}`);
      said.add(line);
    }
    return 2;
  }
  if (org && org.view.unavailable.length > 0) return 2;
  return report.summary.nonCompliant > 0 ? 1 : 0;
}

/** The table as text, for --output with the table format. */
function captured(report: ScanReport, styled: boolean, org?: OrgView): string {
  const lines: string[] = [];
  render(report, { out: (t) => lines.push(t), err: () => {} }, styled, org);
  return lines.join("\n");
}

export const scan: Command = {
  name: "scan",
  summary: "read-only posture report of every file system, mount-target security group and key",
  aws: true,
  help: HELP,
  run: (args, io) => runScan(args, io),
};
