import type { HostedInvocation } from "../../emulator/lambda-host.js";

/** The most invocations in flight at one time, from the Lambda host's receive and answer times (a Map's bound). */
export function maxOverlap(invocations: readonly HostedInvocation[]): number {
  const edges = invocations.flatMap((i) => [
    { at: i.startedAt ?? 0, d: 1 },
    { at: i.endedAt ?? Number.POSITIVE_INFINITY, d: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const e of edges) {
    now += e.d;
    max = Math.max(max, now);
  }
  return max;
}
