/**
 * Runs fn over items with at most `limit` calls in flight, keeping the order of the results. The sweep and the
 * inventories use it so a large account is read in parallel without tripping the API rate limits it shares.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** A settled read: its value, or the error it failed with. */
export type Settled<T> = { value: T } | { error: unknown };

/**
 * Settles a read without rejecting, so that reads sent together can be awaited together and each failure be judged
 * on its own (one may be expected, another needed only by some verdicts) instead of the first one winning.
 */
export function settle<T>(read: Promise<T>): Promise<Settled<T>> {
  return read.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** The value of a settled read; its error rethrown. */
export function unwrap<T>(read: Settled<T>): T {
  if ("error" in read) throw read.error;
  return read.value;
}
