import { describe, expect, it } from "vitest";
import { ACCOUNT_LINES, buildSummaryMessage } from "../../shared/notify/summary.js";
import type { AccountTally, SweepSummary, UnreachableAccount } from "../../shared/pipeline/sweep.js";
import { compactSummary } from "../../shared/pipeline/sweep-map.js";

/**
 * Issue 13: the summary step's output (compactSummary, the execution's output) and the SNS
 * summary message for an organization of 1,000 accounts × 17 regions, every control with a few findings, some
 * accounts unreachable, some errors. Step Functions and SNS both limit these to 256 KiB; before the output kept
 * ACCOUNT_LINES tallies it was 1,124,141 B.
 */
const LIMIT = 256 * 1024;
const CONTROLS = [
  "efs-access-point-enforced",
  "efs-backup-enabled",
  "efs-clients-use-tls",
  "efs-encrypted-at-rest",
  "efs-iam-authorization-required",
  "efs-key-policy-restricted",
  "efs-key-rotation-enabled",
  "efs-key-usable",
  "efs-mount-target-private",
  "efs-nfs-ingress-restricted",
  "efs-policy-not-public",
  "efs-replica-encrypted",
  "efs-root-access-restricted",
  "efs-tags-audited",
  "efs-tls-enforced",
];
const REGIONS = Array.from({ length: 17 }, (_, i) => `region-${String(i).padStart(2, "0")}`);

function organization(accounts: number): SweepSummary {
  const tallies: Record<string, AccountTally> = {};
  const unreachable: UnreachableAccount[] = [];
  const counts: SweepSummary["counts"] = {};
  for (let a = 0; a < accounts; a++) {
    const id = String(100000000000 + a);
    if (a % 50 === 0) {
      unreachable.push({
        account: id,
        regions: REGIONS,
        code: "MemberRoleUnavailableError",
        message: `could not assume arn:aws:iam::${id}:role/efs-guard-member: AccessDenied`,
      });
      continue;
    }
    const perAccount: AccountTally["counts"] = {};
    for (const control of CONTROLS) {
      perAccount[control] = { compliant: 20 + (a % 7), alerted: 1 + (a % 3), remediated: a % 2 };
      const total = counts[control] ?? {};
      for (const [outcome, n] of Object.entries(perAccount[control] ?? {}))
        total[outcome as "compliant"] = (total[outcome as "compliant"] ?? 0) + (n ?? 0);
      counts[control] = total;
    }
    tallies[id] = {
      counts: perAccount,
      nonCompliant: 15 * (1 + (a % 3) + (a % 2)),
      remediated: 15 * (a % 2),
      failed: 0,
      errors: a % 10 === 0 ? 1 : 0,
    };
  }
  const errors = Array.from({ length: Math.ceil(accounts / 10) }, (_, i) => ({
    guard: "kms-key",
    region: REGIONS[i % REGIONS.length] ?? "region-00",
    resource: `arn:aws:kms:${REGIONS[i % REGIONS.length]}:${100000000000 + i * 10}:key/0000-${i}`,
    code: "AccessDeniedException",
    message: "User is not authorized to perform: kms:DescribeKey on this resource",
    retryable: false,
  }));
  return {
    regions: REGIONS,
    counts,
    nonCompliant: Object.values(tallies).reduce((n, t) => n + t.nonCompliant, 0),
    remediated: Object.values(tallies).reduce((n, t) => n + t.remediated, 0),
    failed: 0,
    errors,
    cutOverPending: [],
    split: { items: accounts * REGIONS.length, failedItems: unreachable.length * REGIONS.length },
    accounts: tallies,
    unreachable,
  };
}

const bytes = (value: unknown) => Buffer.byteLength(typeof value === "string" ? value : JSON.stringify(value), "utf8");

describe("organization sweep summary size (issue 13)", () => {
  it("1,000 accounts × 17 regions: the step's output and the message both stay within 256 KiB", () => {
    const summary = organization(1000);
    const output = bytes(compactSummary(summary));
    const message = bytes(buildSummaryMessage(summary, new Date("2026-12-02T00:00:00Z")));
    // Before the cap: one tally per account (~1.1 KB with 15 controls), 1,124,141 B. Now ACCOUNT_LINES of them.
    expect(output).toBeLessThan(LIMIT);
    expect(output).toBe(MEASURED_OUTPUT);
    const compact = compactSummary(summary);
    expect(Object.keys(compact.accounts ?? {})).toHaveLength(ACCOUNT_LINES);
    expect(compact.omittedAccounts).toBe(980 - ACCOUNT_LINES);
    // The totals per control still cover every account.
    expect(compact.counts).toEqual(summary.counts);
    // The message lists ACCOUNT_LINES accounts and counts the rest: within the limit, but not by a wide margin.
    expect(message).toBeLessThan(LIMIT);
    expect(message).toBe(MEASURED_MESSAGE);
  });

  it("10,000 accounts: the message still lists ACCOUNT_LINES accounts and stays within SNS's 256 KiB", () => {
    const message = bytes(buildSummaryMessage(organization(10000), new Date("2026-12-02T00:00:00Z")));
    expect(message).toBeLessThan(LIMIT);
    expect(message).toBe(138_838);
  });
});

const MEASURED_OUTPUT = 143_394;
const MEASURED_MESSAGE = 111_151;
