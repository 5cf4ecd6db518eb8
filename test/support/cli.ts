import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { main } from "../../bin/cli.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process through main(argv), with its output captured instead of printed. */
export async function runCli(argv: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    out: (text) => {
      stdout += `${text}\n`;
    },
    err: (text) => {
      stderr += `${text}\n`;
    },
    write: (text) => {
      stdout += text;
    },
  });
  return { code, stdout, stderr };
}

export const REPO = join(import.meta.dirname, "..", "..");

/** Runs `node bin/efs-guard.mjs ...` as a subprocess, the way an operator's shell does. */
export function spawnCli(argv: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, "bin", "efs-guard.mjs"), ...argv], {
      cwd: REPO,
      env: { ...process.env, NODE_NO_WARNINGS: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export interface WireCall {
  method: string;
  /** The API operation: Action= (EC2/SNS query), X-Amz-Target (KMS), else METHOD path (EFS REST). */
  operation: string;
}

function operationOf(req: IncomingMessage, body: string): string {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") return target.split(".").at(-1) ?? target;
  const action =
    new URLSearchParams(body).get("Action") ?? new URL(req.url ?? "/", "http://x").searchParams.get("Action");
  if (action) return action;
  return `${req.method} ${(req.url ?? "/").split("?")[0]}`;
}

/** A read is Describe*, List*, Get* (query/JSON protocols) or an HTTP GET (REST protocols); anything else writes. */
export function isWrite(call: WireCall): boolean {
  if (call.operation.includes(" ")) return call.method !== "GET";
  return !/^(Describe|List|Get)/.test(call.operation);
}

/**
 * A loopback proxy in front of the emulator that records every AWS call on the wire, so a test can prove that a
 * command made no write call at all (whatever code path it took), not merely that the state looks unchanged.
 */
export async function countingProxy(
  target: string,
): Promise<{ endpoint: string; calls: WireCall[]; close(): Promise<void> }> {
  const calls: WireCall[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    calls.push({ method: req.method ?? "GET", operation: operationOf(req, body.toString()) });
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && k !== "host" && k !== "content-length" && k !== "connection") headers.set(k, v);
    }
    try {
      const upstream = await fetch(`${target}${req.url}`, {
        method: req.method ?? "GET",
        headers,
        ...(body.length > 0 ? { body } : {}),
      });
      const out = Buffer.from(await upstream.arrayBuffer());
      const back: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (k !== "content-encoding" && k !== "transfer-encoding" && k !== "content-length") back[k] = v;
      });
      res.writeHead(upstream.status, back).end(out);
    } catch (error) {
      res.writeHead(502).end(String(error));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
