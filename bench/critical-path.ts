/**
 * The critical path of one event: how many AWS round trips it had to wait for one after another.
 *
 * Definition. Every call is an interval [start, end] measured at the counting proxy: `start` when its request
 * arrives, `end` when its answer has been written back. Call B *follows* call A when B starts at or after A's end
 * (B was sent once A's answer was in; a call that depends on another's answer always follows it). Two calls that
 * overlap were in flight at the same time. The critical path is the length of the longest chain of calls in which
 * each follows the previous one: the number of sequential round trips. Concurrent calls count once; on AWS, where
 * a round trip costs tens of milliseconds, this number times the round-trip time is the floor of the event's
 * latency, whatever the machine.
 *
 * Measuring it needs the overlap to be visible: the bench proxy holds every request of the counting pass for a few
 * milliseconds before forwarding it (bench/proxy.ts `holdMs`), longer than the SDK takes to send the sibling calls of
 * a Promise.all, so calls sent together always overlap and the emulator's speed cannot make them look sequential.
 */
export interface TimedCall {
  start: number;
  end: number;
}

/** Each call's place in the longest chain that ends with it (1 = nothing before it), calls sorted by start. */
function depths<T extends TimedCall>(calls: readonly T[]): { sorted: T[]; depth: number[] } {
  const sorted = [...calls].sort((a, b) => a.start - b.start || a.end - b.end);
  const depth: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let before = 0;
    for (let j = 0; j < i; j++) {
      if ((sorted[j] as T).end <= (sorted[i] as T).start) before = Math.max(before, depth[j] as number);
    }
    depth[i] = before + 1;
  }
  return { sorted, depth };
}

/** Longest chain of strictly sequential calls (end <= next start); 0 for no call. O(n^2), n is a handful. */
export function criticalPath(calls: readonly TimedCall[]): number {
  return Math.max(0, ...depths(calls).depth);
}

/** The calls grouped into the sequential steps of that schedule, for the table ("A + B > C > D"). */
export function steps<T extends TimedCall>(calls: readonly T[]): T[][] {
  const { sorted, depth } = depths(calls);
  const out: T[][] = [];
  sorted.forEach((call, i) => {
    const d = (depth[i] as number) - 1;
    out[d] = [...(out[d] ?? []), call];
  });
  return out;
}
