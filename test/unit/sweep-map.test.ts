import { describe, expect, it } from "vitest";
import { buildSummaryMessage } from "../../shared/notify/summary.js";
import type { SweepSummary } from "../../shared/pipeline/sweep.js";
import {
  capErrors,
  ITEM_ERRORS,
  itemOf,
  planItems,
  type SweepItem,
  summarizeItems,
} from "../../shared/pipeline/sweep-map.js";

/** The split sweep's pure parts: the items, the child's event, the summary of every item (shared/pipeline/sweep-map.ts). */

const summary = (over: Partial<SweepSummary> = {}): SweepSummary => ({
  regions: ["eu-west-1"],
  counts: {},
  nonCompliant: 0,
  remediated: 0,
  failed: 0,
  errors: [],
  cutOverPending: [],
  ...over,
});

describe("planItems", () => {
  it("cuts the listing's pages into items of fileSystemsPerItem, each starting at its page's marker", () => {
    const markers = [undefined, "m1", "m2", "m3", "m4"]; // 5 pages: 401 to 500 file systems
    expect(planItems("eu-west-1", markers, 200)).toEqual([
      { region: "eu-west-1", page: { index: 0, of: 3, pages: 2 } },
      { region: "eu-west-1", page: { index: 1, of: 3, pages: 2, marker: "m2" } },
      { region: "eu-west-1", page: { index: 2, of: 3, pages: 2, marker: "m4" } },
    ]);
    expect(planItems("eu-west-1", markers, 100).map((i) => i.page?.marker)).toEqual([
      undefined,
      "m1",
      "m2",
      "m3",
      "m4",
    ]);
    // Not a multiple of the page size: rounded down to whole pages.
    expect(planItems("eu-west-1", markers, 250)).toEqual(planItems("eu-west-1", markers, 200));
  });
});

describe("itemOf: the child's event is checked, not trusted", () => {
  const item: SweepItem = { region: "eu-west-1", page: { index: 1, of: 3, pages: 2, marker: "abc" } };
  it("takes a well-formed item and the run's observe date", () => {
    expect(itemOf({ sweepItem: item, run: { observingUntil: "2026-12-08" } })).toEqual({
      sweepItem: item,
      run: { observingUntil: "2026-12-08" },
    });
    expect(itemOf({})).toBeUndefined();
    expect(itemOf({ sweepSummary: {} })).toBeUndefined();
  });
  it("refuses a malformed item; a member's item is a 12-digit account and a whole region, never a page", () => {
    expect(() => itemOf({ sweepItem: { ...item, region: "eu-west-1; rm -rf /" } })).toThrow(/not one/);
    expect(() => itemOf({ sweepItem: { ...item, page: { ...item.page, pages: 0 } } })).toThrow(/not one/);
    expect(() => itemOf({ sweepItem: { ...item, page: { ...item.page, marker: 7 } } })).toThrow(/not one/);
    expect(() => itemOf({ sweepItem: { ...item, account: "210987654321" } })).toThrow(/not one/);
    expect(() => itemOf({ sweepItem: { region: "eu-west-1", account: "2109876543" } })).toThrow(/not one/);
    expect(() => itemOf({ sweepItem: { region: "eu-west-1", account: 210987654321 } })).toThrow(/not one/);
    expect(itemOf({ sweepItem: { region: "eu-west-1", account: "210987654321" } })).toEqual({
      sweepItem: { region: "eu-west-1", account: "210987654321" },
      run: {},
    });
    // Without a page, an item is a member's: the deployment's own region is always split into pages.
    expect(() => itemOf({ sweepItem: { region: "eu-west-1" } })).toThrow(/not one/);
  });
});

describe("summarizeItems", () => {
  const items: SweepItem[] = [0, 1, 2].map((index) => ({ region: "eu-west-1", page: { index, of: 3, pages: 1 } }));
  const result = (index: number, counts: SweepSummary["counts"], nonCompliant: number) => ({
    ...summary({ counts, nonCompliant }),
    sweepItem: items[index] as SweepItem,
  });

  it("adds every item's tally to the directly swept regions', once each", () => {
    const out = summarizeItems({
      items,
      done: summary({ regions: ["us-east-1"], counts: { "efs-backup-enabled": { compliant: 4 } } }),
      results: [
        result(2, { "efs-backup-enabled": { alerted: 3, compliant: 97 } }, 3),
        result(0, { "efs-backup-enabled": { compliant: 100 }, "efs-key-rotation-enabled": { compliant: 5 } }, 0),
        result(1, { "efs-backup-enabled": { alerted: 1, compliant: 99 } }, 1),
      ],
    });
    expect(out.counts).toEqual({
      "efs-backup-enabled": { compliant: 300, alerted: 4 },
      "efs-key-rotation-enabled": { compliant: 5 },
    });
    expect(out.nonCompliant).toBe(4);
    expect(out.regions).toEqual(["us-east-1", "eu-west-1"]);
    expect(out.split).toEqual({ items: 3, failedItems: 0 });
    expect(out.errors).toEqual([]);
  });

  it("names a failed item and an item without a result as not assessed; the others count", () => {
    const out = summarizeItems({
      items,
      done: summary({ regions: [] }),
      results: [
        result(0, { "efs-backup-enabled": { compliant: 100 } }, 0),
        { sweepItem: items[1] as SweepItem, error: { Error: "Sandbox.Timedout", Cause: "Task timed out" } },
      ],
    });
    expect(out.counts).toEqual({ "efs-backup-enabled": { compliant: 100 } });
    expect(out.split).toEqual({ items: 3, failedItems: 2 });
    expect(out.errors.map((e) => [e.code, e.message])).toEqual([
      [
        "Sandbox.Timedout",
        "item 2 of 3 (file systems 101 to 200 of the listing) not assessed: its child failed (Task timed out); the next sweep assesses it",
      ],
      [
        "NoResult",
        "item 3 of 3 (file systems 201 to 300 of the listing) not assessed: no result from the Map; the next sweep assesses it",
      ],
    ]);
    const message = JSON.stringify(buildSummaryMessage(out, new Date("2026-12-01T00:00:00Z")));
    expect(message).toContain("3 items, 2 failed");
    expect(message).toContain("item 2 of 3");
  });

  it("caps an item's errors and counts the rest, so the Map's output stays small", () => {
    const errors = Array.from({ length: ITEM_ERRORS + 5 }, (_, i) => ({
      guard: "file-system",
      region: "eu-west-1",
      resource: `fs-${i}`,
      code: "ThrottlingException",
      message: "slow down",
      retryable: true,
    }));
    const capped = capErrors(summary({ errors }));
    expect(capped.errors).toHaveLength(ITEM_ERRORS);
    expect(capped.omittedErrors).toBe(5);
    const message = JSON.stringify(buildSummaryMessage(capped, new Date()));
    expect(message).toContain(`*unreadable:* ${ITEM_ERRORS + 5}`);
    expect(message).toContain(`… and ${ITEM_ERRORS + 5 - 10} more errors`);
  });
});
