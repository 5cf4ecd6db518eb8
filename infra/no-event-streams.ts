/**
 * What the guard's Lambda bundles get in place of `@smithy/core/event-streams` (see infra/bundling.ts). The SDK's
 * HTTP protocols load event-stream support with a dynamic import, only for an operation whose input or output is an
 * event stream; esbuild still bundles it (15 kB minified per function). No operation of the clients the functions
 * bundle streams events (an SDK client with such operations sets `eventStreamSerdeProvider` in its runtime config:
 * test/infra/bundle-parity.test.ts checks that none of ours does), so this module is never reached; if it ever is,
 * the call fails with this reason instead of a half-decoded answer.
 */
// Short: it is in every bundle, and never expected to be read.
const reason = "event streams are not bundled (infra/no-event-streams.ts)";

export class EventStreamSerde {
  constructor() {
    throw new Error(reason);
  }
}

export function eventStreamSerdeProvider(): never {
  throw new Error(reason);
}
