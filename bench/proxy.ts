import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A counting HTTP proxy on loopback, in front of the emulator: every SDK call the guard makes goes through it
 * (AWS_ENDPOINT_URL points here), so calls are counted on the wire, per service and operation, without touching
 * product code. moto keeps no request log of its own.
 */
export interface Call {
  service: string;
  operation: string;
}

/** A call with when it was on the wire (performance.now() ms): request arrived, answer written back. */
export interface TimedWireCall extends Call {
  start: number;
  end: number;
}

/** EFS speaks REST-JSON: the operation is in the method and path. Unknown routes are counted by their shape. */
const EFS_ROUTES: [string, RegExp, string][] = [
  ["GET", /^\/2015-02-01\/file-systems$/, "DescribeFileSystems"],
  ["POST", /^\/2015-02-01\/file-systems$/, "CreateFileSystem"],
  ["GET", /^\/2015-02-01\/mount-targets$/, "DescribeMountTargets"],
  ["POST", /^\/2015-02-01\/mount-targets$/, "CreateMountTarget"],
  ["GET", /^\/2015-02-01\/mount-targets\/[^/]+\/security-groups$/, "DescribeMountTargetSecurityGroups"],
  ["PUT", /^\/2015-02-01\/mount-targets\/[^/]+\/security-groups$/, "ModifyMountTargetSecurityGroups"],
  ["GET", /^\/2015-02-01\/file-systems\/[^/]+\/policy$/, "DescribeFileSystemPolicy"],
  ["PUT", /^\/2015-02-01\/file-systems\/[^/]+\/policy$/, "PutFileSystemPolicy"],
  ["DELETE", /^\/2015-02-01\/file-systems\/[^/]+\/policy$/, "DeleteFileSystemPolicy"],
  ["GET", /^\/2015-02-01\/file-systems\/[^/]+\/backup-policy$/, "DescribeBackupPolicy"],
  ["PUT", /^\/2015-02-01\/file-systems\/[^/]+\/backup-policy$/, "PutBackupPolicy"],
  ["GET", /^\/2015-02-01\/file-systems\/[^/]+\/lifecycle-configuration$/, "DescribeLifecycleConfiguration"],
  ["GET", /^\/2015-02-01\/access-points$/, "DescribeAccessPoints"],
  ["GET", /^\/2015-02-01\/resource-tags\/[^/]+$/, "ListTagsForResource"],
  ["POST", /^\/2015-02-01\/resource-tags\/[^/]+$/, "TagResource"],
  ["GET", /^\/2015-02-01\/tags\/[^/]+\/?$/, "DescribeTags"],
  ["GET", /^\/2015-02-01\/file-systems\/[^/]+\/replication-configuration$/, "DescribeReplicationConfigurations"],
  ["POST", /^\/2015-02-01\/file-systems\/[^/]+\/replication-configuration$/, "CreateReplicationConfiguration"],
];

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
  for (const [m, pattern, operation] of EFS_ROUTES) {
    if (m === method && pattern.test(path)) return { service, operation };
  }
  return { service, operation: `${method} ${path.replace(/\/(fs|fsmt|fsap)-[0-9a-f]+/g, "/{id}")}` };
}

export class CountingProxy {
  readonly calls: TimedWireCall[] = [];
  /**
   * While counting, every request is held this long before it is forwarded, so that calls sent together overlap
   * at the proxy whatever the emulator's speed (bench/critical-path.ts). Counts and answers are unchanged.
   */
  private hold = 0;
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(upstream: string): Promise<CountingProxy> {
    const target = new URL(upstream);
    let proxy: CountingProxy | undefined;
    const server = createServer((req, res) => {
      const start = performance.now();
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const body = Buffer.concat(chunks);
        const call: TimedWireCall = {
          ...identify(req.method ?? "GET", req.url ?? "/", req.headers, body.toString("utf8")),
          start,
          end: Number.POSITIVE_INFINITY,
        };
        proxy?.calls.push(call);
        const hold = proxy?.hold ?? 0;
        if (hold > 0) await new Promise((r) => setTimeout(r, hold));
        const upstreamReq = request(
          {
            hostname: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            // The Host header stays the proxy's: moto builds URLs it hands out (SQS queue URLs) from it.
            headers: req.headers,
          },
          (upstreamRes) => {
            // The answer is read whole and its end time taken before a byte of it goes back: a call the caller
            // sends once it has this answer then always starts after this one ended (bench/critical-path.ts).
            const parts: Buffer[] = [];
            upstreamRes.on("data", (c: Buffer) => parts.push(c));
            upstreamRes.on("end", () => {
              call.end = performance.now();
              res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
              res.end(Buffer.concat(parts));
            });
          },
        );
        upstreamReq.on("error", (error) => {
          call.end = performance.now();
          res.writeHead(502);
          res.end(String(error));
        });
        upstreamReq.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    proxy = new CountingProxy(server, `http://127.0.0.1:${port}`);
    return proxy;
  }

  /**
   * The calls made while `work` ran, each held `holdMs` before it is forwarded. Nothing else may talk to the
   * emulator meanwhile.
   */
  async count<T>(work: () => Promise<T>, holdMs = 0): Promise<{ result: T; calls: TimedWireCall[] }> {
    const start = this.calls.length;
    this.hold = holdMs;
    try {
      const result = await work();
      return { result, calls: this.calls.slice(start) };
    } finally {
      this.hold = 0;
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
