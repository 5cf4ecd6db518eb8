import { DescribeAccountCommand, type OrganizationsClient } from "@aws-sdk/client-organizations";
import type { Clock } from "../runtime/clock.js";
import type { AwsCallError } from "../runtime/errors.js";
import { errorMessage } from "../runtime/errors.js";
import { logger } from "../runtime/logger.js";
import { call } from "./errors.js";

/**
 * Account names for the hub's alerts (functions/alerts): Organizations `DescribeAccount`, which only the management
 * account or a delegated administrator may call (Organizations API Reference, DescribeAccount). A name is a
 * convenience, never a condition of delivery: every failure gives `undefined` (the alert names the id only) and
 * never delays the alert by more than one call.
 *
 * Cached per container: a name for `ttlMs` (names change rarely; an hour of a stale name in an alert is harmless),
 * an account Organizations does not know for the same time. When the caller may not ask at all (AccessDenied: not
 * the management account, no delegation or no permission; AWSOrganizationsNotInUseException: not in an
 * organization), nothing is asked again for `ttlMs`, for any account: one log line, no call per alert. A throttled
 * or failed call (retryable) is not asked again for `retryMs`, so a flood of alerts is not a flood of calls.
 */
export type AccountNameLookup = (account: string) => Promise<string | undefined>;

/** Answers that mean this caller cannot read any account's name: stop asking for a while. */
const NO_ACCESS = new Set(["AccessDeniedException", "AccessDenied", "AWSOrganizationsNotInUseException"]);

export interface AccountNamesOptions {
  client: Pick<OrganizationsClient, "send">;
  clock: Clock;
  ttlMs?: number;
  retryMs?: number;
}

export function accountNames({
  client,
  clock,
  ttlMs = 3_600_000,
  retryMs = 60_000,
}: AccountNamesOptions): AccountNameLookup {
  const cache = new Map<string, { until: number; name: Promise<string | undefined> }>();
  let blockedUntil = 0;

  async function ask(account: string): Promise<{ name?: string; keepMs: number }> {
    try {
      const out = await call("organizations:DescribeAccount", () =>
        client.send(new DescribeAccountCommand({ AccountId: account })),
      );
      return { name: out.Account?.Name || undefined, keepMs: ttlMs };
    } catch (error) {
      const e = error as AwsCallError;
      if (NO_ACCESS.has(e.awsCode)) {
        blockedUntil = clock.now().getTime() + ttlMs;
        logger.warn("account names not readable: alerts name account ids only", {
          account,
          code: e.awsCode,
          retryInSeconds: ttlMs / 1000,
        });
        return { keepMs: ttlMs };
      }
      logger.warn("account name not read: the alert names the account id only", {
        account,
        code: e.awsCode ?? "UnknownError",
        error: errorMessage(error),
      });
      return { keepMs: e.retryable ? retryMs : ttlMs };
    }
  }

  return async (account) => {
    const now = clock.now().getTime();
    if (now < blockedUntil) return undefined;
    const hit = cache.get(account);
    if (hit && now < hit.until) return hit.name;
    // Concurrent alerts of one account share one call; the entry's lifetime is set once the answer is known.
    const entry = { until: Number.POSITIVE_INFINITY, name: Promise.resolve<string | undefined>(undefined) };
    entry.name = ask(account).then(({ name, keepMs }) => {
      entry.until = clock.now().getTime() + keepMs;
      return name;
    });
    cache.set(account, entry);
    return entry.name;
  };
}
