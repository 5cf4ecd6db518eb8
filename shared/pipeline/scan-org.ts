import { type CredentialsByAccount, inAccount } from "../aws/account-scope.js";
import { awsErrorCode } from "../aws/errors.js";
import type { MemberAccount } from "../aws/organization.js";
import { errorMessage } from "../runtime/errors.js";
import { mapLimit } from "./concurrency.js";
import { emptySummary, type ScanDeps, type ScanReport, type ScanSummary, scanAccount } from "./scan.js";
import type { Guard } from "./types.js";

/** How many accounts `scan --org` reads at once by default: each account reads its regions one after the other. */
export const ORG_SCAN_CONCURRENCY = 4;

/** One account of an organization scan: scanned, or why not (its member role could not be assumed). */
export interface AccountStatus {
  id: string;
  name?: string;
  /** scanned: its regions were read (the report's errors say what could not be); unavailable: nothing was read. */
  status: "scanned" | "unavailable";
  /** For an unavailable account: the AWS error code (AccessDenied when the role is missing or does not trust us). */
  code?: string;
  message?: string;
}

export interface OrgScanReport extends ScanReport {
  accounts: AccountStatus[];
  summary: ScanSummary & { accounts: number; unavailable: number };
}

export interface OrgScanDeps extends Omit<ScanDeps, "account"> {
  /** The accounts module's credentials per account (shared/aws/accounts.ts); none for the caller's own account. */
  access: CredentialsByAccount;
  /** How many accounts are read at once (default ORG_SCAN_CONCURRENCY). */
  concurrency?: number;
  /** Called when an account starts and ends (the CLI's progress; the tests measure the concurrency with it). */
  onAccount?: (account: string, phase: "start" | "end") => void;
}

/**
 * scanAccount for every account, each inside its account scope (shared/aws/account-scope.ts): the same readers,
 * evaluators and decide(), with the account's own credentials and API quotas. The account's credentials are
 * asked for first, once: an account whose member role cannot be assumed is one status line with the AWS error
 * code, not one error per guard and region, and the other accounts are scanned all the same.
 */
export async function scanOrganization(
  guards: readonly Guard[],
  accounts: readonly MemberAccount[],
  regions: readonly string[],
  deps: OrgScanDeps,
): Promise<OrgScanReport> {
  const perAccount = await mapLimit(accounts, deps.concurrency ?? ORG_SCAN_CONCURRENCY, async (member) => {
    deps.onAccount?.(member.id, "start");
    try {
      return await scanMember(guards, member, regions, deps);
    } finally {
      deps.onAccount?.(member.id, "end");
    }
  });
  const report: OrgScanReport = {
    findings: perAccount.flatMap((r) => r.report?.findings ?? []),
    errors: perAccount.flatMap((r) => r.report?.errors ?? []),
    accounts: perAccount.map((r) => r.status),
    summary: {
      ...emptySummary(guards, regions),
      accounts: accounts.length,
      unavailable: perAccount.filter((r) => r.status.status === "unavailable").length,
    },
  };
  const s = report.summary;
  for (const r of perAccount) {
    if (!r.report) continue;
    s.resources += r.report.summary.resources;
    s.compliant += r.report.summary.compliant;
    s.nonCompliant += r.report.summary.nonCompliant;
    s.notApplicable += r.report.summary.notApplicable;
    s.exempt += r.report.summary.exempt;
  }
  s.errors = report.errors.length;
  return report;
}

async function scanMember(
  guards: readonly Guard[],
  member: MemberAccount,
  regions: readonly string[],
  deps: OrgScanDeps,
): Promise<{ status: AccountStatus; report?: ScanReport }> {
  const named = { id: member.id, ...(member.name ? { name: member.name } : {}) };
  const credentials = deps.access.credentials(member.id);
  if (credentials) {
    try {
      await credentials();
    } catch (error) {
      const e = error as { awsCode?: string };
      return {
        status: {
          ...named,
          status: "unavailable",
          code: e.awsCode ?? awsErrorCode(error),
          message: errorMessage(error),
        },
      };
    }
  }
  const report = await inAccount(deps.access, member.id, () =>
    scanAccount(guards, regions, { config: deps.config, clock: deps.clock, account: member.id }),
  );
  return { status: { ...named, status: "scanned" }, report };
}
