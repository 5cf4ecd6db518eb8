import type { AccountAccessOptions } from "../aws/accounts.js";
import { type AccountClients, accountClients } from "../aws/member-clients.js";
import {
  explicitAccounts,
  type MemberAccount,
  membersToCover,
  organizationAccounts,
  organizationsClient,
} from "../aws/organization.js";
import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import { GuardError } from "../runtime/errors.js";
import { memberAccessOf } from "./members.js";
import type { Guard } from "./types.js";

/**
 * The organization sweep (docs/organizations.md): in the hub (organization.organizationId), the scheduled sweep
 * also covers every member account times the guarded regions, one item of the efs-guard-sweep Distributed Map per
 * (account, region). The scheduled invocation only lists the accounts (it cannot read a member before assuming its
 * role, and 17,000 AssumeRoles would not fit one invocation); each child assumes the member role of its item's
 * account and runs today's sweep of that region with that account's clients, passed in explicitly.
 */
export interface OrgSweep {
  homeAccount: string;
  /** The members to cover: organization.accounts, else Organizations ListAccounts (ACTIVE); never the hub. */
  members(): Promise<MemberAccount[]>;
  /**
   * The guards acting in `account`, on its clients, after its member role has been assumed: a role that cannot be
   * assumed throws MemberRoleUnavailableError (typed, naming the account) before anything is read.
   */
  member(account: string): Promise<{ guards: Guard[]; clients: AccountClients }>;
}

/**
 * A sweep item names an account the sweep does not cover: outside organization.accounts (when set), or the hub
 * itself (swept with its own role by the scheduled invocation). The item's input comes from the runs bucket, so it
 * is checked before anything is assumed: the child fails with this error, the summary names the item.
 */
export class AccountNotCoveredError extends GuardError {
  readonly account: string;
  constructor(account: string, why: string) {
    super("EVENT_MALFORMED", `sweep item for account ${account}: ${why}; nothing was assumed`, { retryable: false });
    this.name = "AccountNotCoveredError";
    this.account = account;
  }
}

export interface OrgSweepOptions {
  /** Builds the guards on an account's clients (allGuards({ clients })). */
  guards: (clients: AccountClients) => Guard[];
  /** Tests: the account listing instead of Organizations. */
  listAccounts?: () => Promise<MemberAccount[]>;
  /** Tests: the account access instead of STS (shared/aws/accounts.ts). */
  access?: AccountAccessOptions["sts"];
}

/** The hub's organization sweep, from the function's own ARN (account, partition, region); undefined elsewhere. */
export function orgSweep(
  config: GuardConfig,
  functionArn: string,
  clock: Clock,
  options: OrgSweepOptions,
): OrgSweep | undefined {
  const members = memberAccessOf(config, functionArn, "sweep", clock, options.access);
  if (!members) return undefined;
  const { access, organization, homeAccount: home, region } = members;
  const list =
    options.listAccounts ??
    (() =>
      organization.accounts.length > 0
        ? Promise.resolve(explicitAccounts(organization.accounts))
        : organizationAccounts(organizationsClient(region)));
  return {
    homeAccount: home,
    members: async () => membersToCover(await list(), home, false),
    async member(account) {
      if (account === home) throw new AccountNotCoveredError(account, "the hub's own account");
      if (organization.accounts.length > 0 && !organization.accounts.includes(account))
        throw new AccountNotCoveredError(account, "not in organization.accounts");
      // Assumed once, first: an account without its role is one failed item, not one error per guard.
      await access.credentials(account)?.();
      const clients = accountClients(access, account);
      return { guards: options.guards(clients), clients };
    },
  };
}
