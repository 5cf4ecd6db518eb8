import { createHash } from "node:crypto";
import { appendFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One AWS call on the wire: the service (SigV4 signing name) and the API operation. */
export interface Call {
  service: string;
  operation: string;
}

/** EFS speaks REST-JSON: the operation is in the method and path. Unknown routes are named by their shape. */
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
  ["PUT", /^\/2015-02-01\/file-systems\/[^/]+\/lifecycle-configuration$/, "PutLifecycleConfiguration"],
  ["PUT", /^\/2015-02-01\/file-systems\/[^/]+$/, "UpdateFileSystem"],
  ["GET", /^\/2015-02-01\/access-points$/, "DescribeAccessPoints"],
  ["POST", /^\/2015-02-01\/access-points$/, "CreateAccessPoint"],
  ["GET", /^\/2015-02-01\/resource-tags\/[^/]+$/, "ListTagsForResource"],
  ["POST", /^\/2015-02-01\/resource-tags\/[^/]+$/, "TagResource"],
  ["DELETE", /^\/2015-02-01\/resource-tags\/[^/]+$/, "UntagResource"],
  ["GET", /^\/2015-02-01\/tags\/[^/]+\/?$/, "DescribeTags"],
  ["GET", /^\/2015-02-01\/file-systems\/replication-configurations$/, "DescribeReplicationConfigurations"],
  ["GET", /^\/2015-02-01\/file-systems\/[^/]+\/replication-configuration$/, "DescribeReplicationConfigurations"],
  ["POST", /^\/2015-02-01\/file-systems\/[^/]+\/replication-configuration$/, "CreateReplicationConfiguration"],
];

/** AWS Backup is REST-JSON too. */
const BACKUP_ROUTES: [string, RegExp, string][] = [
  ["PUT", /^\/backup-jobs\/?$/, "StartBackupJob"],
  ["GET", /^\/backup-jobs\/[^/]+\/?$/, "DescribeBackupJob"],
  ["PUT", /^\/restore-jobs\/?$/, "StartRestoreJob"],
  ["GET", /^\/restore-jobs\/[^/]+\/?$/, "DescribeRestoreJob"],
  ["GET", /^\/backup-vaults\/[^/]+\/recovery-points\/.+$/, "DescribeRecoveryPoint"],
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
  const routes = service === "backup" ? BACKUP_ROUTES : EFS_ROUTES;
  for (const [m, pattern, operation] of routes) {
    if (m === method && pattern.test(path)) return { service, operation };
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
  readonly calls: (Call & { function?: string; region?: string })[] = [];
  private readonly sessions = new Map<string, { roleKey: string; function: string }>();
  private readonly seen = new Set<string>();

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    private readonly logFile: string | undefined,
  ) {}

  static async start(upstream: string, logFile = process.env.EFS_GUARD_OPERATIONS_LOG): Promise<Recorder> {
    const target = new URL(upstream);
    let recorder: Recorder | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        recorder?.record(req.method ?? "GET", req.url ?? "/", req.headers, body.toString("utf8"));
        const upstreamReq = request(
          { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
          (upstreamRes) => {
            res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
            upstreamRes.pipe(res);
          },
        );
        upstreamReq.on("error", (error) => {
          res.writeHead(502);
          res.end(String(error));
        });
        upstreamReq.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
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

  private record(method: string, url: string, headers: Record<string, unknown>, body: string): void {
    const credential = credentialOf(headers);
    const session = credential ? this.sessions.get(credential.accessKeyId) : undefined;
    const call = identify(method, url, headers, body);
    this.calls.push({
      ...call,
      ...(session ? { function: session.function } : {}),
      ...(credential ? { region: credential.region } : {}),
    });
    if (!session || !credential) return;
    const line: RecordedCall = { kind: "call", roleKey: session.roleKey, ...call, region: credential.region };
    this.append(`call:${session.roleKey}:${call.service}:${call.operation}:${credential.region}`, line);
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
