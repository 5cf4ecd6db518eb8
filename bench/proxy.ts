import { type Call, Recorder } from "../emulator/recorder.js";

export { type Call, identify } from "../emulator/recorder.js";

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

  get calls(): Call[] {
    return this.recorder.calls;
  }

  static async start(upstream: string): Promise<CountingProxy> {
    return new CountingProxy(await Recorder.start(upstream));
  }

  /** The calls made while `work` ran. Nothing else may talk to the emulator meanwhile. */
  async count<T>(work: () => Promise<T>): Promise<{ result: T; calls: Call[] }> {
    const start = this.calls.length;
    const result = await work();
    return { result, calls: this.calls.slice(start).map(({ service, operation }) => ({ service, operation })) };
  }

  stop(): Promise<void> {
    return this.recorder.stop();
  }
}
