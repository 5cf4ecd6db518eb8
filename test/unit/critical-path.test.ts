import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { criticalPath, steps } from "../../bench/critical-path.js";
import { CountingProxy } from "../../bench/proxy.js";

describe("critical path: sequential round trips", () => {
  it("counts a chain of dependent calls, and concurrent calls once", () => {
    expect(criticalPath([])).toBe(0);
    // A and B together, then C after both, then D.
    const a = { start: 0, end: 10 };
    const b = { start: 1, end: 12 };
    const c = { start: 12, end: 20 };
    const d = { start: 21, end: 30 };
    expect(criticalPath([d, c, b, a])).toBe(3);
    expect(steps([a, b, c, d])).toEqual([[a, b], [c], [d]]);
  });

  it("a call that starts exactly when another ends follows it; one that starts a moment before overlaps", () => {
    expect(
      criticalPath([
        { start: 0, end: 10 },
        { start: 10, end: 20 },
      ]),
    ).toBe(2);
    expect(
      criticalPath([
        { start: 0, end: 10 },
        { start: 9.9, end: 20 },
      ]),
    ).toBe(1);
  });

  it("takes the longest chain, not the number of calls nor the first chain", () => {
    // A long call overlapping a chain of three short ones: the chain decides.
    const calls = [
      { start: 0, end: 100 },
      { start: 1, end: 10 },
      { start: 11, end: 20 },
      { start: 21, end: 30 },
    ];
    expect(criticalPath(calls)).toBe(3);
  });
});

/** An upstream that answers every request after `ms`, like a fast emulator. */
async function upstream(ms: number) {
  const server = createServer((_req, res) => {
    setTimeout(() => res.end("{}"), ms);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function get(endpoint: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}${path}`, { method: "GET" }, (res) => {
      res.resume();
      res.on("end", () => resolve());
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the counting proxy measures what the caller did, not how fast the emulator is", () => {
  it("two calls sent together then one after: 2 round trips, even with an upstream that answers at once", async () => {
    const up = await upstream(0);
    const proxy = await CountingProxy.start(up.url);
    try {
      const { calls } = await proxy.count(async () => {
        await Promise.all([get(proxy.endpoint, "/a"), get(proxy.endpoint, "/b")]);
        await get(proxy.endpoint, "/c");
      }, 20);
      expect(calls).toHaveLength(3);
      expect(criticalPath(calls)).toBe(2);
      for (const c of calls) expect(c.end - c.start).toBeGreaterThanOrEqual(19);
      // Without the hold the answers are immediate, and the count cannot change.
      const plain = await proxy.count(async () => {
        await get(proxy.endpoint, "/a");
        await get(proxy.endpoint, "/b");
      });
      expect(criticalPath(plain.calls)).toBe(2);
    } finally {
      await proxy.stop();
      up.server.close();
    }
  });
});
