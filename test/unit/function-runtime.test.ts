import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FunctionRuntime, type RuntimeSpec } from "../../emulator/runtime.js";

/** emulator/runtime.ts: a Lambda sandbox, emulated: init once, one invocation at a time, the timeout honoured. */
const dir = mkdtempSync(join(tmpdir(), "efs-guard-runtime-"));
function bundle(name: string, code: string): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, code);
  return file;
}

const COUNTER = bundle(
  "counter",
  `let inits = 0; inits += 1; let calls = 0;
   console.log(JSON.stringify({ level: "INFO", message: "init" }));
   export const handler = async (event, context) => {
     calls += 1;
     if (event.fail) { const e = new Error("it broke"); e.name = "EfsGuard.Broken"; throw e; }
     if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
     return { inits, calls, node: process.version, leaked: process.env.EFS_GUARD_PARENT_ONLY ?? null,
              region: process.env.AWS_REGION, remaining: context.getRemainingTimeInMillis() > 0 };
   };`,
);
const BROKEN = bundle("broken", `throw new TypeError("cannot load");`);

const runtimes: FunctionRuntime[] = [];
function runtime(file: string, extra: Partial<RuntimeSpec> = {}): FunctionRuntime {
  const r = new FunctionRuntime({
    name: "fn",
    bundle: file,
    environment: { PATH: process.env.PATH ?? "", AWS_REGION: "eu-west-1" },
    timeoutSeconds: 5,
    memoryMb: 128,
    region: "eu-west-1",
    account: "123456789012",
    log: () => {},
    ...extra,
  });
  runtimes.push(r);
  return r;
}
afterEach(() => {
  for (const r of runtimes.splice(0)) r.stop();
});

describe("FunctionRuntime", () => {
  it("runs the bundle under Node.js 24 with the given environment only, init once, warm after", async () => {
    process.env.EFS_GUARD_PARENT_ONLY = "secret";
    const r = runtime(COUNTER);
    const first = await r.invoke({}, "req-1");
    const second = await r.invoke({}, "req-2");
    delete process.env.EFS_GUARD_PARENT_ONLY;
    expect(first.result).toMatchObject({ inits: 1, calls: 1, leaked: null, region: "eu-west-1", remaining: true });
    expect((first.result as { node: string }).node).toMatch(/^v24\./);
    expect(second.result).toMatchObject({ inits: 1, calls: 2 });
    expect(r.coldStarts).toBe(1);
  });

  it("concurrent invocations get their own sandboxes; an error keeps its type", async () => {
    const r = runtime(COUNTER);
    const [a, b] = await Promise.all([r.invoke({ sleep: 200 }, "a"), r.invoke({ sleep: 200 }, "b")]);
    expect([a.result, b.result]).toMatchObject([{ calls: 1 }, { calls: 1 }]);
    expect(r.coldStarts).toBe(2);
    const failed = await r.invoke({ fail: true }, "c");
    expect(failed.error).toEqual({ errorType: "EfsGuard.Broken", errorMessage: "it broke" });
    // The sandbox's memory comes with every answer (Lambda's Max Memory Used, the heap's peak): the bench reports it.
    expect(failed.memory?.maxRssBytes).toBeGreaterThan(10e6);
    expect(failed.memory?.peakHeapBytes).toBeGreaterThan(1e6);
    expect(failed.memory?.peakHeapBytes).toBeLessThan(failed.memory?.maxRssBytes ?? 0);
  });

  it("stops a sandbox at the function's timeout; the next invocation starts a fresh one", async () => {
    const r = runtime(COUNTER, { timeoutSeconds: 1 });
    const timedOut = await r.invoke({ sleep: 5000 }, "slow");
    expect(timedOut.error?.errorType).toBe("Sandbox.Timedout");
    expect(timedOut.error?.errorMessage).toContain("Task timed out after 1.00 seconds");
    const next = await r.invoke({}, "next");
    expect(next.result).toMatchObject({ inits: 1, calls: 1 });
    expect(r.coldStarts).toBe(2);
  });

  it("reports an init failure as the invocation's error", async () => {
    const answer = await runtime(BROKEN).invoke({}, "x");
    expect(answer.error).toEqual({ errorType: "TypeError", errorMessage: "cannot load" });
  });
});
