import { describe, expect, it } from "vitest";
import { MemberRoleUnavailableError } from "../../shared/aws/accounts.js";
import { clientConfig, perRegion } from "../../shared/aws/sdk-config.js";
import { parseConfig } from "../../shared/config/schema.js";
import { scanOrganization } from "../../shared/pipeline/scan-org.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { fixedClock } from "../../shared/runtime/clock.js";

/**
 * scanOrganization's machinery without AWS: the concurrency bound, the account scope under which the per-region
 * client factories hand out each account's own clients, and the isolation of an account whose role is refused.
 */

const probe = perRegion((region) => ({ region, config: clientConfig(region) }));

function recordingGuard() {
  const seen: { account: string | undefined; region: string; sameClient: boolean }[] = [];
  let inFlight = 0;
  let most = 0;
  const guard: Guard = {
    name: "probe",
    events: {},
    async inventory(region) {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      const client = probe(region);
      const credentials = client.config.credentials ? await client.config.credentials() : undefined;
      seen.push({ account: credentials?.accountId, region, sameClient: probe(region) === client });
      inFlight--;
      return [];
    },
    assess: async () => [],
    remediate: async () => ({ status: "remediated", detail: "" }) as never,
  };
  return { guard, seen, most: () => most };
}

const access = {
  credentials(account: string) {
    if (account === "999999999999") {
      return async () => {
        throw new MemberRoleUnavailableError(
          account,
          "arn:aws:iam::999999999999:role/efs-guard-member",
          "AccessDenied",
          "not authorized",
          undefined,
        );
      };
    }
    return async () => ({ accessKeyId: `AK${account}`, secretAccessKey: "s", sessionToken: "t", accountId: account });
  },
};

describe("scanOrganization", () => {
  it("reads at most `concurrency` accounts at once, each with its own clients, and names the one it could not assume", async () => {
    const { guard, seen, most } = recordingGuard();
    const accounts = Array.from({ length: 10 }, (_, i) => ({ id: `10000000000${i}` }));
    accounts.splice(4, 0, { id: "999999999999", name: "no role" } as never);
    const report = await scanOrganization([guard], accounts, ["us-east-1", "eu-west-1"], {
      config: parseConfig({}),
      clock: fixedClock("2026-12-01T00:00:00Z"),
      access,
      concurrency: 3,
    });
    expect(most()).toBe(3);
    // Every reachable account x region read once, with that account's credentials; the refused one never.
    expect(seen).toHaveLength(20);
    expect(new Set(seen.map((s) => `${s.account}/${s.region}`)).size).toBe(20);
    expect(seen.every((s) => s.account && s.account !== "999999999999" && s.sameClient)).toBe(true);
    expect(report.accounts.filter((a) => a.status === "unavailable")).toEqual([
      {
        id: "999999999999",
        name: "no role",
        status: "unavailable",
        code: "AccessDenied",
        message: expect.stringContaining("cannot assume arn:aws:iam::999999999999:role/efs-guard-member"),
      },
    ]);
    expect(report.summary).toMatchObject({ accounts: 11, unavailable: 1, errors: 0 });
    // Outside a scope, the caller's own clients (no credentials of ours: the SDK's default chain).
    expect(probe("us-east-1").config.credentials).toBeUndefined();
  });
});
