import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/schema.js";
import type { Finding } from "../../shared/controls/types.js";
import { sweepRegion, sweepScope, TIME_BUDGET_CODE } from "../../shared/pipeline/sweep.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { testDeps } from "../support/deps.js";

/** A guard over `n` file systems whose assessment advances the fake wall clock by 10 ms and finds nothing. */
function guard(name: string, n: number, clock: { t: number }, assessed: string[]): Guard {
  return {
    name,
    controls: ["efs-tls-enforced"],
    events: {},
    inventory: async () =>
      Array.from({ length: n }, (_, i) => ({ type: "file-system" as const, fileSystemId: `fs-${name}-${i}` })),
    assess: async (trigger): Promise<Finding[]> => {
      clock.t += 10;
      if (trigger.type === "file-system") assessed.push(trigger.fileSystemId);
      return [];
    },
    remediate: async () => ({ status: "done" }),
  };
}

describe("the sweep's time budget (issue 17)", () => {
  it("stops starting assessments at the deadline and says what it left, per guard; the controls are not archived", async () => {
    const clock = { t: 0 };
    const assessed: string[] = [];
    const deps = testDeps();
    const guards = [guard("a", 5, clock, assessed), guard("b", 5, clock, assessed)];
    const report = await sweepRegion(guards, "us-east-1", deps, { concurrency: 1, deadline: 30, now: () => clock.t });
    expect(assessed).toEqual(["fs-a-0", "fs-a-1", "fs-a-2"]);
    expect(report.errors).toEqual([
      {
        guard: "a",
        region: "us-east-1",
        code: TIME_BUDGET_CODE,
        message: expect.stringMatching(/^2 of 5 resources not assessed: the sweep reached its time budget/),
        retryable: true,
      },
      {
        guard: "b",
        region: "us-east-1",
        code: TIME_BUDGET_CODE,
        message: "not started: the sweep reached its time budget",
        retryable: true,
      },
    ]);
    // Neither guard covered its controls completely: nothing of theirs may be archived in Security Hub.
    expect(sweepScope(guards, report, parseConfig({}), new Date(0)).controls).toEqual([]);
  });

  it("without a deadline, everything is assessed", async () => {
    const clock = { t: 0 };
    const assessed: string[] = [];
    const report = await sweepRegion([guard("a", 5, clock, assessed)], "us-east-1", testDeps(), { now: () => clock.t });
    expect(assessed).toHaveLength(5);
    expect(report.errors).toEqual([]);
  });
});
