import {
  type AccountAccess,
  type AccountAccessOptions,
  accountAccess,
  partitionOfArn,
  sessionNameFor,
} from "../aws/accounts.js";
import type { GuardConfig } from "../config/schema.js";
import { withMemberRoleAlerts } from "../notify/member-role.js";
import type { AlertSender } from "../notify/publish.js";
import type { Clock } from "../runtime/clock.js";
import { accountOfFunctionArn } from "./handler.js";
import type { PipelineDeps } from "./run.js";
import type { Guard, MemberGuards } from "./types.js";

/** Builds a guard acting in `account` with that account's clients (each guard's own `clients` parameter). */
export type MemberGuardFactory = (access: AccountAccess, account: string) => Guard;

/** A hub function's access to the members, and what it was built from. */
export interface MemberAccess {
  access: AccountAccess;
  organization: NonNullable<GuardConfig["organization"]>;
  /** The hub's account and region: the function's own. */
  homeAccount: string;
  region: string;
}

/**
 * The hub's access to the members for the function of `functionArn`, sessions named after `name`: only with
 * organization.organizationId (the hub), otherwise undefined. The partition, home account and STS region come from
 * the function's own ARN. The one construction of it for the event functions (hubMembers) and the sweep (orgSweep).
 */
export function memberAccessOf(
  config: GuardConfig,
  functionArn: string,
  name: string,
  clock: Clock,
  /** Tests only: an STS client double. */
  sts?: AccountAccessOptions["sts"],
): MemberAccess | undefined {
  const organization = config.organization;
  const homeAccount = accountOfFunctionArn(functionArn);
  const partition = partitionOfArn(functionArn);
  const region = functionArn.split(":")[3];
  if (!organization?.organizationId || !homeAccount || !partition || !region) return undefined;
  const access = accountAccess({
    homeAccount,
    partition,
    region,
    roleName: organization.memberRoleName,
    sessionName: sessionNameFor(name),
    clock,
    ...(sts ? { sts } : {}),
  });
  return { access, organization, homeAccount, region };
}

/**
 * The hub's access to the members, for one function: only in the hub (memberAccessOf); otherwise undefined, and
 * another account's event stays ignored (a single-account deployment is unchanged). One guard per account, built on
 * first use, so its clients are created once per (account, region).
 */
export function hubMembers(
  deps: PipelineDeps,
  functionArn: string,
  name: string,
  build: MemberGuardFactory,
): MemberGuards | undefined {
  const members = memberAccessOf(deps.config, functionArn, name, deps.clock);
  if (!members) return undefined;
  const { access } = members;
  const guards = new Map<string, Guard>();
  return {
    guard(account) {
      let guard = guards.get(account);
      if (!guard) {
        guard = build(access, account);
        guards.set(account, guard);
      }
      return guard;
    },
    ready: (account) => access.credentials(account)?.() ?? Promise.resolve(undefined),
  };
}

/** The deps of a hub function: its member guards (when it is the hub) and the member role alert. */
export function withMembers(
  deps: PipelineDeps,
  functionArn: string,
  name: string,
  send: AlertSender,
  build: MemberGuardFactory,
): PipelineDeps {
  const members = hubMembers(deps, functionArn, name, build);
  return members ? { ...deps, members, notifier: withMemberRoleAlerts(deps.notifier, send) } : deps;
}
