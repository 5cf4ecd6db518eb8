import { type Account, OrganizationsClient, paginateListAccounts } from "@aws-sdk/client-organizations";
import { call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

/**
 * Organizations is a global service whose endpoint lives in us-east-1 (aws), cn-northwest-1 (aws-cn) or
 * us-gov-west-1 (aws-us-gov) (AWS Organizations User Guide, "Endpoints"): the SDK resolves it from any region.
 */
export const organizationsClient = perRegion((region) => new OrganizationsClient(clientConfig(region)));

/** A 12-digit AWS account id, as IAM and Organizations write them. */
export const ACCOUNT_ID = /^\d{12}$/;

export interface MemberAccount {
  id: string;
  /** The account's name in the organization, when listed (absent for an explicit list). */
  name?: string;
}

/**
 * Every ACTIVE account of the organization (ListAccounts, 20 per page, followed to the end). SUSPENDED and
 * PENDING_CLOSURE accounts are left out: their APIs refuse every call, so assuming a role there could only fail
 * (Organizations API Reference, Account: State; the older Status field where State is absent). Only the
 * management account or a delegated administrator may call ListAccounts.
 */
export async function organizationAccounts(client: Pick<OrganizationsClient, "send">): Promise<MemberAccount[]> {
  const accounts: Account[] = [];
  await call("organizations:ListAccounts", async () => {
    for await (const page of paginateListAccounts({ client: client as OrganizationsClient }, {})) {
      accounts.push(...(page.Accounts ?? []));
    }
  });
  return accounts
    .filter((a) => a.Id && (a.State ?? a.Status) === "ACTIVE")
    .map((a) => ({ id: a.Id as string, ...(a.Name ? { name: a.Name } : {}) }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * An explicit list (`--accounts`, config `organization.accounts`, both validated as 12-digit ids by their callers):
 * each once, in the order given.
 */
export function explicitAccounts(ids: readonly string[]): MemberAccount[] {
  return [...new Set(ids)].map((id) => ({ id }));
}

/**
 * The accounts a scan or sweep covers: the hub's own account is left out unless asked (it is guarded by its own
 * deployment, and a role of that name may not exist there), so that an organization-wide run does not report it
 * twice or as "no member role".
 */
export function membersToCover(
  accounts: readonly MemberAccount[],
  hubAccount: string,
  includeHub: boolean,
): MemberAccount[] {
  return includeHub ? [...accounts] : accounts.filter((a) => a.id !== hubAccount);
}
