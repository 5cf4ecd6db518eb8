import { describe, expect, it } from "vitest";
import { buildSummaryMessage } from "../../shared/notify/summary.js";
import { mapLimit } from "../../shared/pipeline/concurrency.js";
import { type SweepReport, summarizeSweep, tallyOf } from "../../shared/pipeline/sweep.js";
import type { Result } from "../../shared/pipeline/types.js";

/** A region's report as sweepRegion makes it: the results, and their tally. */
function report(region: string, results: Result[], errors: SweepReport["errors"] = []): SweepReport {
  return { region, results, errors, tally: tallyOf(results) };
}

function result(control: string, verdict: string, outcome: string): Result {
  return {
    finding: { control, verdict, resource: { id: "r", type: "kms-key", region: "us-east-1" } },
    outcome,
  } as unknown as Result;
}

describe("sweep summary", () => {
  it("counts outcomes per control and totals across regions", () => {
    const summary = summarizeSweep([
      report("us-east-1", [
        result("efs-key-usable", "compliant", "compliant"),
        result("efs-key-usable", "non-compliant", "alerted"),
        result("efs-nfs-ingress-restricted", "non-compliant", "remediated"),
      ]),
      report(
        "eu-west-1",
        [result("efs-nfs-ingress-restricted", "non-compliant", "remediation-failed")],
        [{ guard: "kms-key", region: "eu-west-1", code: "AccessDenied", message: "no", retryable: false }],
      ),
    ]);
    expect(summary).toMatchObject({
      regions: ["us-east-1", "eu-west-1"],
      counts: {
        "efs-key-usable": { compliant: 1, alerted: 1 },
        "efs-nfs-ingress-restricted": { remediated: 1, "remediation-failed": 1 },
      },
      nonCompliant: 3,
      remediated: 1,
      failed: 1,
    });
    const message = buildSummaryMessage(summary, new Date("2026-11-26T12:00:00Z"));
    expect(message.content.title).toContain("3 non-compliant, 1 remediated");
    expect(message.content.description).toContain("`efs-key-usable`: alerted 1, compliant 1");
    expect(message.content.description).toContain("kms-key in eu-west-1: no");
    expect(message.content.keywords).toEqual(["sweep", "errors"]);
  });

  it("a clean sweep says so", () => {
    const message = buildSummaryMessage(summarizeSweep([report("us-east-1", [])]), new Date());
    expect(message.content.keywords).toEqual(["sweep", "clean"]);
  });
});

describe("mapLimit", () => {
  it("keeps order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n * 3));
      running -= 1;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
    expect(await mapLimit([], 4, async (n) => n)).toEqual([]);
  });
});
