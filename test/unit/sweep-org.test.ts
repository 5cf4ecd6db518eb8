import type { STSClient } from "@aws-sdk/client-sts";
import { describe, expect, it } from "vitest";
import { MemberRoleUnavailableError } from "../../shared/aws/accounts.js";
import { parseConfig } from "../../shared/config/schema.js";
import { ACCOUNT_LINES, buildSummaryMessage } from "../../shared/notify/summary.js";
import type { SweepSummary } from "../../shared/pipeline/sweep.js";
import {
  compactSummary,
  planAccountItems,
  type ResultEntry,
  resultsOfEntries,
  SUMMARY_ERRORS,
  SUMMARY_UNREACHABLE,
  type SweepItem,
  summarizeItems,
} from "../../shared/pipeline/sweep-map.js";
import { AccountNotCoveredError, orgSweep } from "../../shared/pipeline/sweep-org.js";
import { systemClock } from "../../shared/runtime/clock.js";

/**
 * The organization sweep's item building, its summary per account and control, and the member lookup with an STS
 * double (the real path, 50 members x 2 regions on the Distributed Map, is test/integration/sweep-org.test.ts).
 */
const HUB = "111111111111";
const A = "222222222222";
const B = "333333333333";
const C = "444444444444";
const ARN = `arn:aws:lambda:eu-west-1:${HUB}:function:efs-guard-sweep`;

const tally = (counts: SweepSummary["counts"], nonCompliant: number): SweepSummary => ({
  regions: ["eu-west-1"],
  counts,
  nonCompliant,
  remediated: 0,
  failed: 0,
  errors: [],
  cutOverPending: [],
});

describe("planAccountItems", () => {
  it("one item per account and region, accounts in order, no page (the member's whole region)", () => {
    expect(planAccountItems([A, B], ["eu-west-1", "us-east-1"])).toEqual([
      { account: A, region: "eu-west-1" },
      { account: A, region: "us-east-1" },
      { account: B, region: "eu-west-1" },
      { account: B, region: "us-east-1" },
    ]);
    expect(planAccountItems([], ["eu-west-1"])).toEqual([]);
  });

  it("fits the 256 KiB execution input at 170 accounts x 17 regions (2,890 items), not at 1,000 x 17", () => {
    const accounts = (n: number) => Array.from({ length: n }, (_, i) => String(100000000000 + i));
    const size = (items: SweepItem[]) => Buffer.byteLength(JSON.stringify({ items, done: tally({}, 0), run: {} }));
    const regions17 = Array.from({ length: 17 }, (_, i) => `ap-south-${i + 1}`);
    expect(size(planAccountItems(accounts(170), regions17))).toBeLessThan(256 * 1024);
    expect(size(planAccountItems(accounts(1000), regions17))).toBeGreaterThan(256 * 1024);
  });
});

describe("summarizeItems for an organization", () => {
  const items = planAccountItems([A, B, C], ["eu-west-1", "us-east-1"]);
  // As a member's child returns it: its tally and item, the account only in the item (the summary files it there).
  const ok = (item: SweepItem, counts: SweepSummary["counts"], nonCompliant: number) => ({
    ...tally(counts, nonCompliant),
    regions: [item.region],
    sweepItem: item,
  });
  const noRole = (item: SweepItem) => ({
    sweepItem: item,
    error: {
      Error: "MemberRoleUnavailableError",
      Cause: JSON.stringify({
        errorType: "MemberRoleUnavailableError",
        errorMessage: `cannot assume arn:aws:iam::${B}:role/efs-guard-member in account ${B}: AccessDenied: not authorized`,
      }),
    },
  });

  it("adds each account's regions up per control, names the unreachable account once with its regions", () => {
    const [a1, a2, b1, b2, c1, c2] = items as [SweepItem, SweepItem, SweepItem, SweepItem, SweepItem, SweepItem];
    const done = { ...tally({ "efs-backup-enabled": { alerted: 1 } }, 1) };
    done.accounts = { [HUB]: { counts: done.counts, nonCompliant: 1, remediated: 0, failed: 0, errors: 0 } };
    const summary = summarizeItems({
      items,
      done,
      results: [
        ok(a1, { "efs-backup-enabled": { alerted: 1 }, "efs-tls-enforced": { compliant: 1 } }, 1),
        ok(a2, { "efs-backup-enabled": { alerted: 1 }, "efs-tls-enforced": { alerted: 1 } }, 2),
        noRole(b1),
        noRole(b2),
        ok(c1, { "efs-backup-enabled": { compliant: 1 } }, 0),
        // c2 has no result at all (the Map lost it): an error, not a silent gap; not an unreachable account.
      ],
    });
    void c2;
    expect(summary.accounts).toEqual({
      [HUB]: { counts: { "efs-backup-enabled": { alerted: 1 } }, nonCompliant: 1, remediated: 0, failed: 0, errors: 0 },
      [A]: {
        counts: { "efs-backup-enabled": { alerted: 2 }, "efs-tls-enforced": { compliant: 1, alerted: 1 } },
        nonCompliant: 3,
        remediated: 0,
        failed: 0,
        errors: 0,
      },
      [C]: { counts: { "efs-backup-enabled": { compliant: 1 } }, nonCompliant: 0, remediated: 0, failed: 0, errors: 0 },
    });
    expect(summary.counts).toEqual({
      "efs-backup-enabled": { alerted: 3, compliant: 1 },
      "efs-tls-enforced": { compliant: 1, alerted: 1 },
    });
    expect(summary.nonCompliant).toBe(4);
    expect(summary.unreachable).toEqual([
      {
        account: B,
        regions: ["eu-west-1", "us-east-1"],
        code: "MemberRoleUnavailableError",
        message: `cannot assume arn:aws:iam::${B}:role/efs-guard-member in account ${B}: AccessDenied: not authorized`,
      },
    ]);
    expect(summary.split).toEqual({ items: 6, failedItems: 3 });
    expect(summary.errors.map((e) => [e.account, e.region, e.code])).toEqual([
      [B, "eu-west-1", "MemberRoleUnavailableError"],
      [B, "us-east-1", "MemberRoleUnavailableError"],
      [C, "us-east-1", "NoResult"],
    ]);
    expect(summary.errors[0]?.message).toMatch(new RegExp(`^account ${B} in eu-west-1 not assessed: its child failed`));
  });

  it("reads the ResultWriter's entries: SUCCEEDED outputs (results and caught failures) and FAILED executions", () => {
    const [a1, a2, b1, b2, c1, c2] = items as [SweepItem, SweepItem, SweepItem, SweepItem, SweepItem, SweepItem];
    const run = {};
    // As Step Functions writes them (Transformation NONE): Input and Output are the child's JSON, as text.
    const succeeded = (output: unknown, item: SweepItem): ResultEntry => ({
      Status: "SUCCEEDED",
      Input: JSON.stringify({ sweepItem: item, run }),
      Output: JSON.stringify(output),
    });
    const entries: ResultEntry[] = [
      succeeded(ok(a1, { "efs-backup-enabled": { alerted: 1 } }, 1), a1),
      succeeded(ok(a2, { "efs-backup-enabled": { compliant: 1 } }, 0), a2),
      // The Catch's record: a SUCCEEDED execution whose output is the item and its error.
      succeeded({ ...noRole(b1), run }, b1),
      succeeded({ ...noRole(b2), run }, b2),
      succeeded(ok(c1, { "efs-backup-enabled": { compliant: 1 } }, 0), c1),
      // A child execution that failed itself (the Catch did not take it): its Input, Error and Cause.
      { Status: "FAILED", Input: JSON.stringify({ sweepItem: c2, run }), Error: "States.Timeout", Cause: "timed out" },
      // Not a sweep item's: left out (its item, if any, is then "no result").
      { Status: "FAILED", Input: "not json", Error: "States.Runtime" },
    ];
    const results = resultsOfEntries(entries);
    expect(results).toHaveLength(6);
    expect(results[5]).toEqual({ sweepItem: c2, error: { Error: "States.Timeout", Cause: "timed out" } });
    const summary = summarizeItems({ items, done: tally({}, 0), results });
    expect(summary.split).toEqual({ items: 6, failedItems: 3 });
    expect(summary.nonCompliant).toBe(1);
    expect(summary.counts).toEqual({ "efs-backup-enabled": { alerted: 1, compliant: 2 } });
    expect(summary.errors.map((e) => [e.account, e.region, e.code])).toEqual([
      [B, "eu-west-1", "MemberRoleUnavailableError"],
      [B, "us-east-1", "MemberRoleUnavailableError"],
      [C, "us-east-1", "States.Timeout"],
    ]);
    expect(summary.unreachable?.map((u) => [u.account, u.regions])).toEqual([
      [B, ["eu-west-1", "us-east-1"]],
      [C, ["us-east-1"]],
    ]);
  });

  it("the one message lists counts per account and names the unreachable account, escaped", () => {
    const summary = summarizeItems({
      items: [items[0] as SweepItem, items[2] as SweepItem],
      done: {
        ...tally({}, 0),
        accounts: { [HUB]: { counts: {}, nonCompliant: 0, remediated: 0, failed: 0, errors: 0 } },
      },
      results: [
        ok(items[0] as SweepItem, { "efs-tls-enforced": { alerted: 1 } }, 1),
        {
          sweepItem: items[2] as SweepItem,
          // STS's text is not ours: a mention and a link in it must reach Slack inert.
          error: { Error: "AccessDenied", Cause: "<!channel> denied, see <https://evil.example|here> *now*" },
        },
      ],
    });
    const message = JSON.stringify(buildSummaryMessage(summary, new Date("2026-12-02T00:00:00Z")));
    expect(message).toContain("2 swept, 1 unreachable");
    expect(message).toContain(`account \`${A}\`: 1 non-compliant; \`efs-tls-enforced\` alerted 1`);
    expect(message).toContain(`account \`${B}\` not swept in eu-west-1: AccessDenied`);
    expect(message).not.toContain("<!channel>");
    expect(message).not.toContain("<https://evil.example|here>");
    expect(buildSummaryMessage(summary, new Date()).metadata.additionalContext).toMatchObject({
      accounts: "2",
      unreachableAccounts: B,
    });
  });

  it("17 regions of 150 roleless accounts: the output lists 200 errors and 100 accounts, the message 100, all counted", () => {
    const regions = Array.from({ length: 17 }, (_, i) => `ap-south-${i + 1}`);
    const roleless = Array.from({ length: 150 }, (_, i) => String(500000000000 + i));
    const many = planAccountItems(roleless, regions);
    const done = {
      ...tally({}, 0),
      accounts: { [HUB]: { counts: {}, nonCompliant: 0, remediated: 0, failed: 0, errors: 0 } },
    };
    const all = summarizeItems({ items: many, done, results: many.map(noRole) });
    expect(all.errors).toHaveLength(150 * 17);
    expect(all.unreachable).toHaveLength(150);
    const out = compactSummary(all);
    expect(out.errors).toHaveLength(SUMMARY_ERRORS);
    expect(out.omittedErrors).toBe(150 * 17 - SUMMARY_ERRORS);
    expect(out.unreachable).toEqual(all.unreachable?.slice(0, SUMMARY_UNREACHABLE));
    expect(out.omittedUnreachable).toBe(150 - SUMMARY_UNREACHABLE);
    expect(out.split).toEqual({ items: 150 * 17, failedItems: 150 * 17 });
    for (const summary of [all, out]) {
      const message = JSON.stringify(buildSummaryMessage(summary, new Date("2026-12-02T00:00:00Z")));
      expect(message).toContain("1 swept, 150 unreachable");
      expect(message.match(/not swept in /g)).toHaveLength(ACCOUNT_LINES);
      expect(message).toContain(`… and ${150 - ACCOUNT_LINES} more unreachable accounts`);
      expect(message).toContain(`*unreadable:* ${150 * 17}`);
    }
  });
});

describe("orgSweep", () => {
  const config = (organization: object | undefined) =>
    parseConfig(organization ? { organization: { organizationalUnitIds: ["r-ab12"], ...organization } } : {});
  const guards = () => [];

  it("only in the hub (organization.organizationId), from the function's own ARN", () => {
    expect(orgSweep(config(undefined), ARN, systemClock, { guards })).toBeUndefined();
    expect(orgSweep(config({}), ARN, systemClock, { guards })).toBeUndefined();
    expect(orgSweep(config({ organizationId: "o-a1b2c3d4e5" }), "not-an-arn", systemClock, { guards })).toBeUndefined();
    expect(orgSweep(config({ organizationId: "o-a1b2c3d4e5" }), ARN, systemClock, { guards })?.homeAccount).toBe(HUB);
  });

  it("covers organization.accounts (each once) or the listing, never the hub itself", async () => {
    const explicit = orgSweep(config({ organizationId: "o-a1b2c3d4e5", accounts: [A, HUB, A, B] }), ARN, systemClock, {
      guards,
    });
    expect(await explicit?.members()).toEqual([{ id: A }, { id: B }]);
    const listed = orgSweep(config({ organizationId: "o-a1b2c3d4e5" }), ARN, systemClock, {
      guards,
      listAccounts: async () => [
        { id: HUB, name: "hub" },
        { id: C, name: "c" },
      ],
    });
    expect(await listed?.members()).toEqual([{ id: C, name: "c" }]);
  });

  it("a member whose role cannot be assumed fails before anything is read, typed and naming the account", async () => {
    const sts = {
      async send() {
        throw Object.assign(new Error("not authorized to perform sts:AssumeRole"), {
          name: "AccessDenied",
          $metadata: { httpStatusCode: 403 },
        });
      },
    } as unknown as Pick<STSClient, "send">;
    let built = 0;
    const org = orgSweep(config({ organizationId: "o-a1b2c3d4e5" }), ARN, systemClock, {
      guards: () => {
        built += 1;
        return [];
      },
      access: sts,
    });
    const error = await org?.member(B).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemberRoleUnavailableError);
    expect(error).toMatchObject({
      account: B,
      awsCode: "AccessDenied",
      retryable: false,
      name: "MemberRoleUnavailableError",
    });
    expect(built).toBe(0);
  });

  it("an item's account outside organization.accounts, or the hub's, fails before anything is assumed", async () => {
    let calls = 0;
    const sts = {
      async send() {
        calls += 1;
        throw new Error("must not be called");
      },
    } as unknown as Pick<STSClient, "send">;
    const org = orgSweep(config({ organizationId: "o-a1b2c3d4e5", accounts: [A, B] }), ARN, systemClock, {
      guards,
      access: sts,
    });
    for (const [account, why] of [
      [C, "not in organization.accounts"],
      [HUB, "the hub's own account"],
    ] as const) {
      const error = await org?.member(account).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AccountNotCoveredError);
      expect(error).toMatchObject({
        account,
        retryable: false,
        name: "AccountNotCoveredError",
        message: `sweep item for account ${account}: ${why}; nothing was assumed`,
      });
    }
    expect(calls).toBe(0);
  });
});
