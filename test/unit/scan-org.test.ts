import type { EFSClient } from "@aws-sdk/client-efs";
import { describe, expect, it } from "vitest";
import { accountAccess } from "../../shared/aws/accounts.js";
import type { AccountClients } from "../../shared/aws/member-clients.js";
import { parseConfig } from "../../shared/config/schema.js";
import { scanOrganization } from "../../shared/pipeline/scan-org.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { fixedClock } from "../../shared/runtime/clock.js";

/**
 * scanOrganization's machinery without AWS: the concurrency bound, each account's guards built on that account's
 * own clients (its member role's credentials, one client per account and region), and the isolation of an account
 * whose role is refused. STS is a double (error handling and credentials only).
 */
const HOME = "123456789012";

function recordingGuards() {
  const seen: { account: string | undefined; region: string; sameClient: boolean }[] = [];
  let inFlight = 0;
  let most = 0;
  const guardsOf = (clients: AccountClients): Guard[] => [
    {
      name: "probe",
      events: {},
      async inventory(region) {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        const client: EFSClient = clients.efs(region);
        const credentials = await client.config.credentials();
        seen.push({ account: credentials.accountId, region, sameClient: clients.efs(region) === client });
        inFlight--;
        return [];
      },
      assess: async () => [],
      remediate: async () => ({ status: "done" }),
    },
  ];
  return { guardsOf, seen, most: () => most };
}

/** STS: credentials naming the role's account; AccessDenied for 999999999999 (no role there). */
const sts = {
  async send(command: { input: { RoleArn?: string } }) {
    const account = command.input.RoleArn?.split(":")[4] ?? "";
    if (account === "999999999999") throw Object.assign(new Error("not authorized"), { name: "AccessDenied" });
    return {
      Credentials: {
        AccessKeyId: `AK${account}`,
        SecretAccessKey: "s",
        SessionToken: "t",
        Expiration: new Date("2026-12-01T01:00:00Z"),
      },
    };
  },
};
const access = accountAccess({
  homeAccount: HOME,
  partition: "aws",
  roleName: "efs-guard-member",
  sessionName: "efs-guard-scan",
  region: "us-east-1",
  sts: sts as never,
  clock: fixedClock("2026-12-01T00:00:00Z"),
});

describe("scanOrganization", () => {
  it("reads at most `concurrency` accounts at once, each with its own clients, and names the one it could not assume", async () => {
    const { guardsOf, seen, most } = recordingGuards();
    const accounts = Array.from({ length: 10 }, (_, i) => ({ id: `10000000000${i}` }));
    accounts.splice(4, 0, { id: "999999999999", name: "no role" } as never);
    const report = await scanOrganization(guardsOf, accounts, ["us-east-1", "eu-west-1"], {
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
    // The caller's own account: its own clients (no credentials of ours: the SDK's default chain).
    expect(access.credentials(HOME)).toBeUndefined();
  });
});
