import { type Call, Recorder, type TimedCall } from "../emulator/recorder.js";

export { type Call, identify } from "../emulator/recorder.js";

/** A call with when it was on the wire (performance.now() ms): request arrived, answer written back. */
export type TimedWireCall = Call & { start: number; end: number };

/**
 * A counting HTTP proxy on loopback, in front of the emulator: every SDK call the guard makes goes through it
 * (AWS_ENDPOINT_URL points here), so calls are counted on the wire, per service and operation, without touching
 * product code. moto keeps no request log of its own. It is the emulator's recording proxy (emulator/recorder.ts),
 * which also names the function behind each call.
 */
export class CountingProxy {
  private constructor(readonly recorder: Recorder) {}

  get endpoint(): string {
    return this.recorder.endpoint;
  }

  get calls(): TimedCall[] {
    return this.recorder.calls;
  }

  static async start(upstream: string): Promise<CountingProxy> {
    return new CountingProxy(await Recorder.start(upstream));
  }

  /**
   * The calls made while `work` ran, each held `holdMs` before it is forwarded. Nothing else may talk to the
   * emulator meanwhile.
   */
  async count<T>(work: () => Promise<T>, holdMs = 0): Promise<{ result: T; calls: TimedWireCall[] }> {
    const first = this.calls.length;
    this.recorder.holdMs = holdMs;
    try {
      const result = await work();
      return {
        result,
        calls: this.calls
          .slice(first)
          .map(({ service, operation, start, end }) => ({ service, operation, start, end })),
      };
    } finally {
      this.recorder.holdMs = 0;
    }
  }

  stop(): Promise<void> {
    return this.recorder.stop();
  }
}
