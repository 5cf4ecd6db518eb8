import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { EMULATOR_DIR, ensureVenv } from "./venv.js";

/**
 * The emulator's administrator, like an account's root user: allowed everything (patches/iam_enforcement.py). The
 * tests, the seeders, the demo and the hosts' own plumbing use it; the functions never do: each runs with its own
 * role's temporary credentials (emulator/roles.ts). It survives a reset, which wipes every IAM user and role.
 */
export const EMULATOR_ADMIN = {
  accessKeyId: "AKIAEFSGUARDEMULATOR",
  secretAccessKey: "efs-guard-emulator-admin",
} as const;

export interface Emulator {
  endpoint: string;
  port: number;
  /** Wipes every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Sets moto's runtime configuration (POST /moto-api/config). */
  configure(config: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitReady(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the emulator exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`the emulator did not answer within 60 s:\n${output()}`);
}

/**
 * Starts moto (with the project's patches) on 127.0.0.1 at a free port. The process is killed when this process
 * exits, so an interrupted test run never leaves an emulator behind.
 */
export async function startEmulator(
  options: {
    log?: (line: string) => void;
    /** A fixed port (efs-guard emulator --port); a free one otherwise. */
    port?: number;
    /** IAM enforced (moto's access control with patches/iam_enforcement.py); on unless turned off. */
    iam?: boolean;
  } = {},
): Promise<Emulator> {
  const python = ensureVenv(options.log);
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(python, [join(EMULATOR_DIR, "launcher.py"), String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PYTHONUNBUFFERED: "1",
      MOTO_ALLOW_NONEXISTENT_REGION: "true",
      // Caps Step Functions Wait states (patches/stepfunctions_wait_cap.py) so polling loops run in test time.
      EFS_GUARD_WAIT_CAP_SECONDS: process.env.EFS_GUARD_WAIT_CAP_SECONDS ?? "1",
      // moto's access control: from the first request on, every call is authenticated and authorized.
      ...(options.iam === false ? {} : { INITIAL_NO_AUTH_ACTION_COUNT: "0" }),
      EFS_GUARD_ADMIN_ACCESS_KEY_ID: EMULATOR_ADMIN.accessKeyId,
    },
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const kill = () => {
    if (child.exitCode === null) child.kill("SIGKILL");
  };
  process.once("exit", kill);
  await waitReady(endpoint, child, () => output);

  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${endpoint}${path}`, {
      method: "POST",
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  };
  return {
    endpoint,
    port,
    reset: () => post("/moto-api/reset"),
    configure: (config) => post("/moto-api/config", config),
    stop: async () => {
      process.removeListener("exit", kill);
      if (child.exitCode !== null) return;
      await new Promise<void>((done) => {
        child.once("exit", () => done());
        child.kill("SIGTERM");
        setTimeout(kill, 3000).unref();
      });
    },
  };
}

/**
 * The environment every SDK client in this process uses to reach the emulator: the standard variables only, with
 * the emulator administrator's credentials (no session token: they are a long-term key, like a user's).
 */
export function emulatorEnv(endpoint: string, region = "us-east-1"): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: EMULATOR_ADMIN.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_ADMIN.secretAccessKey,
  };
}
