import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { VENV } from "./venv.js";

/** The header emulator/patches/sts_assume_role_trust.py puts on a refusal by the role's own trust policy. */
export const REFUSED_BY_HEADER = "x-efs-guard-refused-by";
/** One AWS call on the wire: the service (SigV4 signing name) and the API operation. */
export interface Call {
  service: string;
  operation: string;
}

/**
 * REST protocols (EFS, AWS Backup, Security Hub...) put the operation in the method and path. The routes come from
 * botocore's service model of the pinned emulator (`http.method` and `http.requestUri` of every operation), never a
 * hand-kept table, so an operation a new feature starts to use is named without touching this file. The SigV4
 * signing name is the model's `signingName` (EFS signs as "elasticfilesystem" in the model folder "efs").
 */
type Route = { method: string; pattern: RegExp; operation: string; literal: number };
const MODEL_FOLDER: Record<string, string> = { elasticfilesystem: "efs" };
const routeCache = new Map<string, Route[]>();

function botocoreData(): string | undefined {
  const lib = join(VENV, "lib");
  if (!existsSync(lib)) return undefined;
  const python = readdirSync(lib).find((d) => d.startsWith("python3"));
  const data = python && join(lib, python, "site-packages", "botocore", "data");
  return data && existsSync(data) ? data : undefined;
}

export function restRoutes(service: string): Route[] {
  const cached = routeCache.get(service);
  if (cached) return cached;
  const routes: Route[] = [];
  const data = botocoreData();
  const folder = data && join(data, MODEL_FOLDER[service] ?? service);
  if (folder && existsSync(folder)) {
    const version = readdirSync(folder).sort().pop()!;
    const file = join(folder, version, "service-2.json");
    const raw = existsSync(`${file}.gz`) ? gunzipSync(readFileSync(`${file}.gz`)) : readFileSync(file);
    const model = JSON.parse(raw.toString("utf8")) as {
      operations: Record<string, { http?: { method: string; requestUri: string } }>;
    };
    for (const [operation, { http }] of Object.entries(model.operations)) {
      if (!http) continue;
      const path = http.requestUri.split("?")[0]!.replace(/\/$/, "");
      const source = path
        .split(/(\{[^}]+\})/)
        .map((part) =>
          part.startsWith("{") ? (part.endsWith("+}") ? ".+" : "[^/]+") : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"),
        )
        .join("");
      const literal = path.replace(/\{[^}]+\}/g, "").length;
      routes.push({ method: http.method, pattern: new RegExp(`^${source}/?$`), operation, literal });
    }
    // The most specific route first: /file-systems/replication-configurations before /file-systems/{FileSystemId}.
    routes.sort((a, b) => b.literal - a.literal);
  }
  routeCache.set(service, routes);
  return routes;
}

/** A call with when it was on the wire (performance.now() ms): request arrived, answer written back. */
export interface TimedCall extends Call {
  start: number;
  end: number;
  function?: string;
  region?: string;
}

/** Names one request: service from the SigV4 credential scope, operation from the protocol's own field. */
export function identify(method: string, url: string, headers: Record<string, unknown>, body: string): Call {
  const auth = String(headers.authorization ?? "");
  const service = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1] ?? "unknown";
  const target = headers["x-amz-target"];
  if (typeof target === "string" && target.includes(".")) return { service, operation: target.split(".").pop()! };
  const path = url.split("?")[0] ?? "/";
  const query = new URLSearchParams(url.split("?")[1] ?? "");
  const action = query.get("Action") ?? new URLSearchParams(body).get("Action");
  if (action) return { service, operation: action };
  for (const route of restRoutes(service)) {
    if (route.method === method && route.pattern.test(path)) return { service, operation: route.operation };
  }
  return { service, operation: `${method} ${path.replace(/\/(fs|fsmt|fsap)-[0-9a-f]+/g, "/{id}")}` };
}

/** The access key and region of a SigV4-signed request. */
export function credentialOf(headers: Record<string, unknown>): { accessKeyId: string; region: string } | undefined {
  const m = /Credential=([^/]+)\/\d{8}\/([^/]+)\//.exec(String(headers.authorization ?? ""));
  return m ? { accessKeyId: m[1] as string, region: m[2] as string } : undefined;
}

/** A role a hosted function runs with, as recorded: the function and its role's resolved policies. */
export interface RecordedRole {
  kind: "role";
  roleKey: string;
  function: string;
  entry: string;
  roleArn: string;
  policies: { name: string; document: unknown }[];
}

/** One operation a function made (deduplicated per role, operation and region). */
export interface RecordedCall {
  kind: "call";
  roleKey: string;
  service: string;
  operation: string;
  region: string;
  /**
   * The HTTP status the emulator answered. Anything but 403: the emulator authorized the call live (before running
   * it), on its real resource and with the request's own condition keys, which a check after the fact cannot see.
   */
  status?: number;
  /**
   * A 403 that the target's own policy gave after the caller's identity policy allowed the call live: the member
   * role's trust policy refusing AssumeRole (patches/sts_assume_role_trust.py marks its answers with the header
   * REFUSED_BY_HEADER; the identity-policy denials of patches/iam_enforcement.py carry none).
   */
  refusedBy?: "resource-policy";
}

/**
 * The recording proxy in front of the emulator for the hosted functions: their AWS_ENDPOINT_URL points here, and
 * every request is forwarded unchanged (the Host header stays the proxy's: moto builds the URLs it hands out, such as
 * queue URLs, from it). The credentials' access key tells which function called: the host registers the key of each
 * function's role session. With EFS_GUARD_OPERATIONS_LOG set, each role and each new operation is appended to that
 * file as a JSON line, for the dependent-action check (emulator/permission-check.ts).
 */
export class Recorder {
  /** Every call, in order; `function` is set for the registered role sessions. */
  readonly calls: TimedCall[] = [];
  /**
   * While the bench counts, every request is held this long before it is forwarded, so that calls sent together
   * overlap here whatever the emulator's speed (bench/critical-path.ts). Answers are unchanged.
   */
  holdMs = 0;
  private readonly sessions = new Map<string, { roleKey: string; function: string }>();
  private readonly seen = new Set<string>();

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    private readonly logFile: string | undefined,
  ) {}

  static async start(
    upstream: string,
    logFile = process.env.EFS_GUARD_OPERATIONS_LOG,
    listenPort = 0,
  ): Promise<Recorder> {
    const target = new URL(upstream);
    let recorder: Recorder | undefined;
    const server = createServer((req, res) => {
      const start = performance.now();
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const body = Buffer.concat(chunks);
        const call = recorder?.record(req.method ?? "GET", req.url ?? "/", req.headers, body.toString("utf8"), start);
        const hold = recorder?.holdMs ?? 0;
        if (hold > 0) await new Promise((r) => setTimeout(r, hold));
        const upstreamReq = request(
          { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
          (upstreamRes) => {
            // The answer is read whole and its end time taken before a byte of it goes back: a call the caller
            // sends once it has this answer then always starts after this one ended (bench/critical-path.ts).
            const parts: Buffer[] = [];
            upstreamRes.on("data", (c: Buffer) => parts.push(c));
            upstreamRes.on("end", () => {
              if (call) call.end = performance.now();
              recorder?.logCall(call, upstreamRes.statusCode ?? 502, upstreamRes.headers[REFUSED_BY_HEADER]);
              res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
              res.end(Buffer.concat(parts));
            });
          },
        );
        upstreamReq.on("error", (error) => {
          if (call) call.end = performance.now();
          res.writeHead(502);
          res.end(String(error));
        });
        upstreamReq.end(body);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(listenPort, "127.0.0.1", resolve);
    });
    server.unref();
    const { port } = server.address() as AddressInfo;
    recorder = new Recorder(server, `http://127.0.0.1:${port}`, logFile);
    return recorder;
  }

  /** Names the function behind an access key (one role session), with its role's policies for the log. */
  register(accessKeyId: string, role: Omit<RecordedRole, "kind" | "roleKey">): void {
    const roleKey = createHash("sha256")
      .update(JSON.stringify([role.entry, role.roleArn, role.policies]))
      .digest("hex")
      .slice(0, 16);
    this.sessions.set(accessKeyId, { roleKey, function: role.function });
    this.append(`role:${roleKey}`, { kind: "role", roleKey, ...role } satisfies RecordedRole);
  }

  private record(
    method: string,
    url: string,
    headers: Record<string, unknown>,
    body: string,
    start: number,
  ): TimedCall {
    const credential = credentialOf(headers);
    const session = credential ? this.sessions.get(credential.accessKeyId) : undefined;
    const call = identify(method, url, headers, body);
    const timed: TimedCall = {
      ...call,
      start,
      end: Number.POSITIVE_INFINITY,
      ...(session ? { function: session.function } : {}),
      ...(credential ? { region: credential.region } : {}),
    };
    this.calls.push(timed);
    if (session && credential) this.sessionOf.set(timed, session.roleKey);
    return timed;
  }

  private readonly sessionOf = new WeakMap<TimedCall, string>();

  /** Appends a role session's call to the operations log once answered: once authorized live, once forbidden. */
  logCall(call: TimedCall | undefined, status: number, refusedBy?: string | string[]): void {
    const roleKey = call && this.sessionOf.get(call);
    if (!call || !roleKey || !call.region) return;
    const trustRefusal = status === 403 && refusedBy === "trust-policy";
    const line: RecordedCall = {
      kind: "call",
      roleKey,
      service: call.service,
      operation: call.operation,
      region: call.region,
      status,
      ...(trustRefusal ? { refusedBy: "resource-policy" as const } : {}),
    };
    const outcome = status === 403 ? "forbidden" : "authorized";
    this.append(`call:${roleKey}:${call.service}:${call.operation}:${call.region}:${outcome}`, line);
  }

  private append(key: string, line: RecordedRole | RecordedCall): void {
    if (!this.logFile || this.seen.has(key)) return;
    this.seen.add(key);
    appendFileSync(this.logFile, `${JSON.stringify(line)}\n`);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
