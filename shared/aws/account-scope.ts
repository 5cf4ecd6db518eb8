import { AsyncLocalStorage } from "node:async_hooks";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { type ClientScope, scopeClientsBy } from "./sdk-config.js";

/**
 * Runs a whole read of one account (inventory, assessments, every client they create) with that account's
 * credentials. Every reader of shared/aws takes its clients from the per-region factories (perRegion); inside
 * `inAccount` those hand out one client per (account, region), created with the account's credentials. This is
 * how `efs-guard scan --org` reuses the guards' readers, evaluators and decide() unchanged for each member: passing
 * an account through every guard's sweep path would change each of them and the event functions' bundles, which
 * do not carry this module (they act in the event's account through shared/aws/accounts.ts).
 *
 * The credentials provider itself runs outside the scope, so that the AssumeRole it sends goes out with the
 * caller's own credentials, never with the member's (which would wait on itself).
 */
const storage = new AsyncLocalStorage<ClientScope>();
scopeClientsBy(() => storage.getStore());

/** What the scope needs of the accounts module (shared/aws/accounts.ts): an account's credentials. */
export interface CredentialsByAccount {
  /** undefined for the caller's own account: the SDK's default chain, as without a scope. */
  credentials(account: string): AwsCredentialIdentityProvider | undefined;
}

export function inAccount<T>(access: CredentialsByAccount, account: string, fn: () => Promise<T>): Promise<T> {
  const credentials = access.credentials(account);
  if (!credentials) return storage.exit(fn);
  const outside: AwsCredentialIdentityProvider = (props) => storage.exit(() => credentials(props));
  return storage.run({ account, credentials: outside }, fn);
}
