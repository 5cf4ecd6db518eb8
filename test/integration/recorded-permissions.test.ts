import { describe, expect, inject, it } from "vitest";
import { checkOperations, describeViolation, readOperationsLog } from "../../emulator/permission-check.js";

/**
 * Runs after every other integration file (test/support/sequencer.ts): each operation a hosted function made in this
 * run, as the recording proxy saw it on the wire, must be allowed by that function's synthesized role together with
 * the dependent actions AWS checks on its own side (emulator/permission-check.ts). Run alone, nothing was recorded
 * and there is nothing to check.
 */
const lines = readOperationsLog(inject("operationsLog"));
const calls = lines.filter((l) => l.kind === "call");

describe("what the functions did in this run, against their roles", () => {
  it.skipIf(calls.length === 0)(
    "every recorded operation of every function is allowed, with its dependent actions",
    async () => {
      const { unnamed, violations, needed } = await checkOperations(lines);
      expect(unnamed, "operations the recorder could not name (emulator/recorder.ts routes)").toEqual([]);
      expect(violations.map(describeViolation)).toEqual([]);
      const functions = new Set(needed.map((n) => n.function));
      console.log(
        `[permissions] ${calls.length} distinct operations of ${functions.size} functions checked: ${needed.length} required actions`,
      );
    },
    300_000,
  );
});
