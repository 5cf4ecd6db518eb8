import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A fault-injecting HTTP proxy on loopback, between the SDK clients (AWS_ENDPOINT_URL points at it) and the
 * emulator. It answers a configurable share of requests the way AWS answers when it is overloaded or failing, so
 * the guard's retry path (SDK retries, then Lambda retries, then the dead-letter queue) runs against the real
 * error shapes each protocol uses:
 *
 * - throttle: EC2 (query/XML)  503 `RequestLimitExceeded` in `<Response><Errors><Error>`;
 *             awsQuery (SNS)   400 `Throttling` in `<ErrorResponse><Error>` (Type Sender);
 *             JSON (EFS, KMS, SQS, ...) 400 with `x-amzn-ErrorType: ThrottlingException` and `{"__type": ...}`.
 * - server-error: 500 (`InternalError` / `InternalFailure` / `InternalServerError`) in the same shapes.
 * - unavailable: 503 (`Unavailable` / `ServiceUnavailable`).
 * - reset: the connection is destroyed before the request reaches the emulator (nothing happened).
 * - reset-after: the request is forwarded and applied, then the connection is destroyed before the answer: the
 *   caller cannot know whether its call took effect (the case idempotent remediation exists for).
 * - slow: the answer is delayed by `slowMs`, then forwarded.
 *
 * Every fault except reset-after and slow leaves the emulator untouched. Decisions come from a seeded PRNG in
 * arrival order, so a sequential run is reproducible; concurrent requests interleave, so only the fault counts are
 * reproducible there. Only signed requests to the listed services are faulted (the emulator's /moto-api and the
 * test's own SQS/EventBridge plumbing pass through untouched when not listed).
 */
export type FaultKind = "throttle" | "server-error" | "unavailable" | "reset" | "reset-after" | "slow";

export const ALL_FAULTS: FaultKind[] = ["throttle", "server-error", "unavailable", "reset", "reset-after", "slow"];

export interface FaultProxyOptions {
  /** The emulator endpoint, e.g. http://127.0.0.1:5000. */
  target: string;
  /** Share of eligible requests that get a fault, 0..1. */
  rate?: number;
  seed?: number;
  /** SigV4 service names (credential scope) to fault; undefined = every signed request. */
  services?: string[];
  faults?: FaultKind[];
  slowMs?: number;
}

export interface FaultCounters {
  requests: number;
  forwarded: number;
  faulted: number;
  byKind: Record<FaultKind, number>;
  byService: Record<string, { requests: number; faulted: number }>;
}

/** mulberry32: tiny, fast, good enough to make fault sequences reproducible from a seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Protocol = "ec2" | "query" | "json";

/** Which wire protocol the request uses, hence which error shape the SDK expects back. */
export function protocolOf(service: string, headers: IncomingMessage["headers"]): Protocol {
  if (service === "ec2") return "ec2";
  const type = String(headers["content-type"] ?? "");
  if (headers["x-amz-target"] || type.includes("json")) return "json";
  if (type.includes("x-www-form-urlencoded")) return "query";
  return "json"; // rest-json (EFS) sends JSON or no body
}

export function serviceOf(headers: IncomingMessage["headers"]): string | undefined {
  const auth = String(headers.authorization ?? "");
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1];
}

const CODES: Record<"throttle" | "server-error" | "unavailable", Record<Protocol, [number, string, string]>> = {
  throttle: {
    ec2: [503, "RequestLimitExceeded", "Request limit exceeded."],
    query: [400, "Throttling", "Rate exceeded"],
    json: [400, "ThrottlingException", "Rate exceeded"],
  },
  "server-error": {
    ec2: [500, "InternalError", "An internal error has occurred"],
    query: [500, "InternalFailure", "The request processing has failed because of an unknown error"],
    json: [500, "InternalServerError", "An internal error occurred"],
  },
  unavailable: {
    ec2: [503, "Unavailable", "The server is overloaded and can't handle the request"],
    query: [503, "ServiceUnavailable", "Service is unavailable"],
    json: [503, "ServiceUnavailableException", "Service is unavailable"],
  },
};

/** The exact body and headers AWS returns for an error in each protocol. */
export function errorResponse(
  kind: "throttle" | "server-error" | "unavailable",
  protocol: Protocol,
): { status: number; headers: Record<string, string>; body: string; code: string } {
  const [status, code, message] = CODES[kind][protocol];
  const requestId = randomUUID();
  if (protocol === "ec2") {
    return {
      status,
      code,
      headers: { "content-type": "text/xml;charset=UTF-8" },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    };
  }
  if (protocol === "query") {
    const type = status >= 500 ? "Receiver" : "Sender";
    return {
      status,
      code,
      headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
      body: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
  }
  return {
    status,
    code,
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-errortype": `${code}:http://internal.amazon.com/coral/com.amazon.coral.service/`,
      "x-amzn-requestid": requestId,
    },
    body: JSON.stringify({ __type: code, message }),
  };
}

function emptyCounters(): FaultCounters {
  return {
    requests: 0,
    forwarded: 0,
    faulted: 0,
    byKind: Object.fromEntries(ALL_FAULTS.map((k) => [k, 0])) as Record<FaultKind, number>,
    byService: {},
  };
}

export class FaultProxy {
  readonly url: string;
  counters: FaultCounters = emptyCounters();
  private options: Required<Omit<FaultProxyOptions, "services">> & { services?: string[] };
  private random: () => number;
  private readonly server: Server;

  private constructor(server: Server, url: string, options: FaultProxyOptions) {
    this.server = server;
    this.url = url;
    this.options = { rate: 0, seed: 1, faults: ALL_FAULTS, slowMs: 300, ...options };
    this.random = prng(this.options.seed);
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = createServer((req, res) => {
      void proxy?.handle(req, res);
    });
    // Keep-alive sockets from the SDK would otherwise hold close() open.
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    proxy = new FaultProxy(server, `http://127.0.0.1:${port}`, options);
    return proxy;
  }

  /** Changes the rate, kinds or services from now on; a new seed restarts the sequence. */
  configure(options: Partial<Omit<FaultProxyOptions, "target">>): void {
    Object.assign(this.options, options);
    if (options.seed !== undefined) this.random = prng(options.seed);
  }

  resetCounters(): FaultCounters {
    const before = this.counters;
    this.counters = emptyCounters();
    return before;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The fault for the next eligible request, or undefined; consumes the PRNG exactly as a request would. */
  private decide(): FaultKind | undefined {
    const roll = this.random();
    const pick = this.random();
    if (roll >= this.options.rate || this.options.faults.length === 0) return undefined;
    return this.options.faults[Math.floor(pick * this.options.faults.length)];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const service = serviceOf(req.headers);
    this.counters.requests += 1;
    const eligible =
      service !== undefined && (this.options.services === undefined || this.options.services.includes(service));
    if (service && !this.counters.byService[service]) this.counters.byService[service] = { requests: 0, faulted: 0 };
    const perService = service ? this.counters.byService[service] : undefined;
    if (perService) perService.requests += 1;
    const fault = eligible ? this.decide() : undefined;
    if (fault) {
      this.counters.faulted += 1;
      this.counters.byKind[fault] += 1;
      if (perService) perService.faulted += 1;
    }
    switch (fault) {
      case "reset":
        req.socket.destroy();
        return;
      case "throttle":
      case "server-error":
      case "unavailable": {
        const answer = errorResponse(fault, protocolOf(service ?? "", req.headers));
        res.writeHead(answer.status, { ...answer.headers, "content-length": Buffer.byteLength(answer.body) });
        res.end(answer.body);
        return;
      }
      case "slow":
        await new Promise((r) => setTimeout(r, this.options.slowMs));
        break;
      default:
        break;
    }
    await this.forward(req, body, res, fault === "reset-after");
  }

  private forward(req: IncomingMessage, body: Buffer, res: ServerResponse, resetAfter: boolean): Promise<void> {
    const target = new URL(this.options.target);
    return new Promise((resolve) => {
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          // The Host header stays the caller's: it is part of the SigV4 signature, which the emulator checks
          // (IAM enforced), and moto builds the URLs it hands out from it.
          headers: req.headers,
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (c: Buffer) => parts.push(c));
          answer.on("end", () => {
            this.counters.forwarded += 1;
            if (resetAfter) {
              req.socket.destroy();
            } else {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(Buffer.concat(parts));
            }
            resolve();
          });
        },
      );
      upstream.on("error", (error) => {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`fault proxy: upstream error ${error.message}`);
        resolve();
      });
      upstream.end(body);
    });
  }
}
