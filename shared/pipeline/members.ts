import { type AccountAccess, accountAccess, partitionOfArn, sessionNameFor } from "../aws/accounts.js";
import { withMemberRoleAlerts } from "../notify/member-role.js";
import type { AlertSender } from "../notify/publish.js";
import { accountOfFunctionArn } from "./handler.js";
import type { PipelineDeps } from "./run.js";
import type { Guard, MemberGuards } from "./types.js";

/** Builds a guard acting in `account` with that account's clients (each guard's own `clients` parameter). */
export type MemberGuardFactory = (access: AccountAccess, account: string) => Guard;

/**
 * The hub's access to the members, for one function: only with organization.organizationId (the hub); otherwise
 * undefined, and another account's event stays ignored (a single-account deployment is unchanged). The partition,
 * home account and STS region come from the function's own ARN; one guard per account, built on first use, so its
 * clients are created once per (account, region).
 */
export function hubMembers(
  deps: PipelineDeps,
  functionArn: string,
  name: string,
  build: MemberGuardFactory,
): MemberGuards | undefined {
  const organization = deps.config.organization;
  const home = accountOfFunctionArn(functionArn);
  const partition = partitionOfArn(functionArn);
  const region = functionArn.split(":")[3];
  if (!organization?.organizationId || !home || !partition || !region) return undefined;
  const access = accountAccess({
    homeAccount: home,
    partition,
    region,
    roleName: organization.memberRoleName,
    sessionName: sessionNameFor(name),
    clock: deps.clock,
  });
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
