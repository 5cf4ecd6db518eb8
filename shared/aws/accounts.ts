import { AssumeRoleCommand, type STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { type Clock, systemClock } from "../runtime/clock.js";
import { GuardError } from "../runtime/errors.js";
import { awsErrorCode, toAwsCallError } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";
import { stsClient } from "./sts.js";

/**
 * Credentials and clients for the accounts of an organization (docs/organizations.md): a member account is reached
 * by assuming its member role (`arn:PARTITION:iam::ACCOUNT:role/<memberRoleName>`, deployed by the member StackSet);
 * the hub's own account uses the caller's own credentials, with no AssumeRole.
 *
 * Why a small cache of our own around STS AssumeRole rather than @aws-sdk/credential-providers'
 * fromTemporaryCredentials: that provider is per client (each EFS, EC2 and KMS client of an account would assume the
 * role once, and again in every region), it is a new dependency whose STS client is the same one as here, and it
 * leaves its failures untyped. Here one AssumeRole serves every client of the account, in every region, until
 * REFRESH_BEFORE_EXPIRY_MS before the credentials expire (the SDK's own threshold: clients re-ask their provider at
 * that point, and get the cached credentials until then); concurrent first uses share one call.
 */

/** Refresh this long before expiry: the SDK treats credentials as expired 5 minutes early (memoizeIdentityProvider). */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;
/** The session's lifetime: one hour, the maximum a role chain allows and the role's default MaxSessionDuration. */
export const SESSION_SECONDS = 3600;

/**
 * STS's answers that mean no retry can give us the role: AccessDenied (the role does not exist, its trust policy
 * does not name us, or an SCP or our own policy refuses; STS does not say which), RegionDisabledException (STS not
 * activated in the region), and a malformed role ARN or session name.
 * (AWS STS API Reference, AssumeRole, Errors; IAM User Guide, "Troubleshooting IAM roles".)
 */
const NO_ROLE_CODES = new Set(["AccessDenied", "AccessDeniedException", "RegionDisabledException", "ValidationError"]);

/** The member role of an account cannot be assumed: the account is outside the StackSet's targets, or the role is gone. */
export class MemberRoleUnavailableError extends GuardError {
  readonly account: string;
  readonly roleArn: string;
  readonly awsCode: string;
  constructor(account: string, roleArn: string, awsCode: string, message: string, cause: unknown) {
    super("MEMBER_ROLE_UNAVAILABLE", `cannot assume ${roleArn} in account ${account}: ${awsCode}: ${message}`, {
      cause,
      retryable: false,
    });
    this.name = "MemberRoleUnavailableError";
    this.account = account;
    this.roleArn = roleArn;
    this.awsCode = awsCode;
  }
}

export interface AccountAccessOptions {
  /** The account the caller runs in: reached with its own credentials. */
  homeAccount: string;
  /** aws, aws-cn, aws-us-gov: the caller's own partition (from its function ARN). */
  partition: string;
  roleName: string;
  /** The role session name (efs-guard-<function>): what the member's CloudTrail records as the actor. */
  sessionName: string;
  /** The region whose STS endpoint is called (the caller's own: regional endpoints, no dependency on us-east-1). */
  region: string;
  /** Tests only: an STS client double for the error paths. */
  sts?: Pick<STSClient, "send">;
  clock?: Clock;
}

export type ClientSettings = ReturnType<typeof clientConfig> & { credentials?: AwsCredentialIdentityProvider };

export interface AccountAccess {
  readonly homeAccount: string;
  roleArn(account: string): string;
  /** The credentials of an account: undefined for the home account (the SDK's own chain, as today). */
  credentials(account: string): AwsCredentialIdentityProvider | undefined;
  /**
   * One service's clients in one account, one per region, created once: `create` is the same constructor as the
   * per-region client of shared/aws (new EFSClient(settings)), given the account's credentials.
   */
  clients<C>(account: string, create: (settings: ClientSettings) => C): (region: string) => C;
}

/** The partition of an ARN (arn:PARTITION:...), or undefined when it is not one. */
export function partitionOfArn(arn: string): string | undefined {
  return /^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):/.exec(arn)?.[1];
}

/** A role session name from a function or command name: the characters STS accepts, at most 64. */
export function sessionNameFor(name: string): string {
  return `efs-guard-${name}`.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
}

export function accountAccess(options: AccountAccessOptions): AccountAccess {
  const clock = options.clock ?? systemClock;
  let sts = options.sts;
  // Per account: the AssumeRole in flight or done, and when its credentials must be renewed (checked on use against
  // the injectable clock, not with a timer, which would keep a CLI process alive).
  const cache = new Map<string, { pending: Promise<AwsCredentialIdentity>; refreshAt: number }>();
  const clientsByFactory = new Map<unknown, Map<string, (region: string) => unknown>>();
  const roleArn = (account: string) => `arn:${options.partition}:iam::${account}:role/${options.roleName}`;

  async function assume(account: string): Promise<AwsCredentialIdentity> {
    // The caller's own STS client of its region (shared/aws/sts.ts), created once.
    sts ??= stsClient(options.region);
    const arn = roleArn(account);
    try {
      const out = await sts.send(
        new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: options.sessionName, DurationSeconds: SESSION_SECONDS }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw new GuardError("AWS_CALL_FAILED", `sts:AssumeRole of ${arn} returned no credentials`, {
          retryable: true,
        });
      }
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: new Date(c.Expiration),
        accountId: account,
      };
    } catch (error) {
      if (error instanceof GuardError) throw error;
      const code = awsErrorCode(error);
      if (NO_ROLE_CODES.has(code)) {
        throw new MemberRoleUnavailableError(account, arn, code, (error as Error).message ?? String(error), error);
      }
      throw toAwsCallError("sts:AssumeRole", error);
    }
  }

  function current(account: string): Promise<AwsCredentialIdentity> {
    const hit = cache.get(account);
    if (hit && clock.now().getTime() < hit.refreshAt) return hit.pending;
    // Concurrent first uses share this one call; until it answers, the entry never counts as expired.
    const entry = { pending: assume(account), refreshAt: Number.POSITIVE_INFINITY };
    cache.set(account, entry);
    entry.pending.then(
      (credentials) => {
        entry.refreshAt = (credentials.expiration?.getTime() ?? 0) - REFRESH_BEFORE_EXPIRY_MS;
      },
      // A failure is not cached: the next event for the account asks STS again (the role may have been deployed).
      () => {
        if (cache.get(account) === entry) cache.delete(account);
      },
    );
    return entry.pending;
  }

  const access: AccountAccess = {
    homeAccount: options.homeAccount,
    roleArn,
    credentials(account) {
      if (account === options.homeAccount) return undefined;
      return () => current(account);
    },
    clients<C>(account: string, create: (settings: ClientSettings) => C) {
      let byAccount = clientsByFactory.get(create);
      if (!byAccount) {
        byAccount = new Map();
        clientsByFactory.set(create, byAccount);
      }
      let regional = byAccount.get(account) as ((region: string) => C) | undefined;
      if (!regional) {
        const credentials = access.credentials(account);
        regional = perRegion((region) => create({ ...clientConfig(region), ...(credentials ? { credentials } : {}) }));
        byAccount.set(account, regional);
      }
      return regional;
    },
  };
  return access;
}
