/**
 * Client settings shared by every SDK client the guard creates.
 *
 * Retries: adaptive mode, 5 attempts. The guard shares the account's API rate limits with everything else in it;
 * adaptive mode adds a client-side token bucket that slows this container down as soon as AWS answers with
 * throttling, instead of hammering the same limit. With the SDK's exponential backoff (base 100 ms, full jitter,
 * capped at 20 s) five attempts wait at most about 0.1 + 0.2 + 0.4 + 0.8 = 1.5 s before the throttle-bucket delay,
 * well inside the functions' 60 s timeout, and the event is retried by Lambda and then dead-lettered after that.
 * Endpoints come from the standard AWS_ENDPOINT_URL variables, which the SDK reads itself.
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
