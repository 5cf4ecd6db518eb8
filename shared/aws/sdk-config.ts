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

/**
 * Timeouts, per attempt. Without them the SDK waits for ever on an endpoint that accepts a connection and never
 * answers (EFS has no default at all; KMS, EC2 and SNS a 5-minute socket timeout), so `scan`, `doctor` and `replay`
 * hung with no output, and a function would die at its own timeout without a log line of ours.
 * - Connection: 3 s. Opening a TCP (and TLS) connection to a regional endpoint takes milliseconds; 3 s leaves room
 *   for one lost SYN (Linux retransmits after 1 s) and fails fast where a firewall drops packets.
 * - Request: 10 s from sending the request to the start of the answer, and 10 s of silence while the answer is read.
 *   Every call the guard makes is a small control-plane read or write that AWS answers in well under a second; the
 *   slowest in the bench (200 file systems, on the emulator, on a shared machine) is reported by `npm run bench`.
 * A timed-out attempt is retried like any transient failure, so an endpoint that never answers fails a call after
 * 5 attempts, 50.5 s measured: inside the functions' 60 s timeout (the event fails with a log line, then Lambda retries
 * it), and the CLI stops with "cannot reach AWS" (bin/aws-problem.ts), as for a refused connection.
 */
export const CONNECTION_TIMEOUT_MS = 3_000;
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * A client's settings in the caller's own account (another account's: shared/aws/accounts.ts AccountAccess.clients,
 * which adds that account's credentials).
 */
export function clientConfig(region: string) {
  return {
    region,
    maxAttempts: MAX_ATTEMPTS,
    retryMode: "adaptive" as const,
    // The SDK builds its Node HTTP handler from these options (NodeHttpHandler.create).
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      // Without it the handler only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
      socketTimeout: REQUEST_TIMEOUT_MS,
    },
  };
}

/**
 * One client per region per service for the life of the container, created on first use (another account's:
 * AccountAccess.clients, one such factory per account).
 */
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
