/**
 * Client settings shared by every SDK client the guard creates.
 *
 * Retries: adaptive mode, 5 attempts. The guard shares the account's API rate limits with everything else in it;
 * adaptive mode adds a client-side token bucket that slows this container down as soon as AWS answers with
 * throttling, instead of hammering the same limit.
 *
 * The numbers (the SDK's retry strategy as pinned, @smithy/core: full-jitter exponential backoff capped at 20 s;
 * base 50 ms for transient errors, 1 s for throttling; a retry quota of 500 tokens per client, 14 per transient
 * retry, 5 per throttling retry, refunded on success):
 * - Waits: at most 50 + 100 + 200 + 400 = 750 ms per call for 5xx/resets, 1 + 2 + 4 + 8 = 15 s for throttling
 *   (half that on average), inside the functions' 60 s timeout for the ~5 calls an event makes.
 * - Faults absorbed: with independent faults at rate p a call fails only when all 5 attempts do, p^5: 0.03% at
 *   p = 20%, so about 0.2% of events (5 calls each) reach Lambda's own retries. With 3 attempts that would be
 *   0.8% per call and ~4% of events, each delayed by Lambda's retry (1, then 2 minutes). Measured
 *   (test/integration/reliability/faults.test.ts, fault proxy at 20% over EC2, EFS and SNS): 214 of 1,124
 *   requests faulted over 220 events, every one absorbed by these retries: 0 Lambda retries, 0 dead letters. The
 *   price is time: 2.7 events/s against 12.1 fault-free, mostly the 1 s throttling backoff and the adaptive rate
 *   limiter, which is what the account's other API users need from us.
 * - Outages: the quota stops a container from adding load: after ~35 transient retries it fails fast, and the
 *   event goes to Lambda's retries and then the dead-letter queue. Measured with EC2 answering 503 to everything:
 *   65 EC2 requests for 30 handler attempts (2.2 per attempt, not 5).
 * More attempts would push throttled calls past the function timeout; fewer would send routine throttling to the
 * dead-letter path. Endpoints come from the standard AWS_ENDPOINT_URL variables, which the SDK reads itself.
 */
export const MAX_ATTEMPTS = 5;

export function clientConfig(region: string) {
  return { region, maxAttempts: MAX_ATTEMPTS, retryMode: "adaptive" as const };
}

/** One client per region per service for the life of the container, created on first use. */
export function perRegion<C>(create: (region: string) => C): (region: string) => C {
  const clients = new Map<string, C>();
  return (region) => {
    let client = clients.get(region);
    if (client === undefined) {
      client = create(region);
      clients.set(region, client);
    }
    return client;
  };
}
