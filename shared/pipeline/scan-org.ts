import type { AccountAccess } from "../aws/accounts.js";
import { awsErrorCode } from "../aws/errors.js";
import { defaultInventory } from "../aws/inventory.js";
import { type AccountClients, accountClients } from "../aws/member-clients.js";
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
  /** The accounts module's access (shared/aws/accounts.ts): each account's credentials and clients. */
  access: AccountAccess;
  /** How many accounts are read at once (default ORG_SCAN_CONCURRENCY). */
  concurrency?: number;
  /** Called when an account starts and ends (the CLI's progress; the tests measure the concurrency with it). */
  onAccount?: (account: string, phase: "start" | "end") => void;
}

/**
 * scanAccount for every account, with the guards built on that account's clients (`guardsOf`, allGuards({ clients })
 * as in the organization sweep): the same readers, evaluators and decide(), with the account's own credentials and
 * API quotas. The account's credentials are asked for first, once: an account whose member role cannot be assumed
 * is one status line with the AWS error code, not one error per guard and region, and the other accounts are
 * scanned all the same.
 */
export async function scanOrganization(
  guardsOf: (clients: AccountClients) => Guard[],
  accounts: readonly MemberAccount[],
  regions: readonly string[],
  deps: OrgScanDeps,
): Promise<OrgScanReport> {
  const perAccount = await mapLimit(accounts, deps.concurrency ?? ORG_SCAN_CONCURRENCY, async (member) => {
    deps.onAccount?.(member.id, "start");
    try {
      return await scanMember(guardsOf, member, regions, deps);
    } finally {
      deps.onAccount?.(member.id, "end");
    }
  });
  const report: OrgScanReport = {
    findings: perAccount.flatMap((r) => r.report?.findings ?? []),
    errors: perAccount.flatMap((r) => r.report?.errors ?? []),
    accounts: perAccount.map((r) => r.status),
    summary: {
      // The guards' names only: building them creates no client.
      ...emptySummary(guardsOf(accountClients(deps.access, deps.access.homeAccount)), regions),
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
  guardsOf: (clients: AccountClients) => Guard[],
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
  const clients = accountClients(deps.access, member.id);
  // The region's shared inventory on the account's clients too, as in the organization sweep's child.
  const report = await scanAccount(
    guardsOf(clients),
    regions,
    { config: deps.config, clock: deps.clock, account: member.id },
    (region) => defaultInventory(region, undefined, clients),
  );
  return { status: { ...named, status: "scanned" }, report };
}
