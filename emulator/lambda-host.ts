import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { BackupClient, CreateBackupVaultCommand } from "@aws-sdk/client-backup";
import { CreateAliasCommand, CreateKeyCommand, KMSClient, UpdateAliasCommand } from "@aws-sdk/client-kms";
import { CreateStateMachineCommand, SFNClient } from "@aws-sdk/client-sfn";
import type { Context } from "aws-lambda";
import { ENTRY_METADATA } from "../infra/constructs/guard-function.js";
import type { Handler } from "./host.js";
import type { CfnTemplate } from "./template.js";
import { PROJECT_ROOT } from "./venv.js";

/**
 * The local Lambda runtime for functions that moto itself invokes (a state machine's lambda:invoke tasks, or a
 * direct Invoke). The deployer creates the template's functions in moto with a dummy zip and the environment
 * variable EFS_GUARD_FUNCTION_HOST; moto's patched _invoke_lambda (patches/lambda_function_host.py) POSTs each
 * payload here, and this host runs the real handler named by the function's EfsGuardEntry metadata.
 *
 * The deployer also creates what the state machine refers to (its KMS key, backup vault, roles, functions) and
 * then the state machine itself from the synthesized DefinitionString, with every Ref / Fn::GetAtt / Fn::Join
 * resolved to the emulator's ARNs. The definition that runs is the one `cdk synth` produces.
 */

export const HOST_ENV = "EFS_GUARD_FUNCTION_HOST";
const ACCOUNT = "123456789012";

export interface HostedInvocation {
  function: string;
  entry: string;
  event: any;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
}

interface HostedFunction {
  name: string;
  entry: string;
  environment: Record<string, string>;
}

type Resolved = { ref: unknown; atts: Record<string, unknown> };

/** A minimal resolver of CloudFormation intrinsics for the values this deployer meets. */
export function resolveIntrinsics(value: unknown, resolved: Map<string, Resolved>, region: string): unknown {
  const pseudo: Record<string, string> = {
    "AWS::Partition": "aws",
    "AWS::Region": region,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "EfsGuard",
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys as [string];
      if (k === "Ref") {
        const id = o.Ref as string;
        if (id in pseudo) return pseudo[id];
        const r = resolved.get(id);
        if (!r) throw new Error(`cannot resolve Ref ${id}: not deployed in the emulator`);
        return r.ref;
      }
      if (k === "Fn::GetAtt") {
        const [id, att] = o["Fn::GetAtt"] as [string, string];
        const r = resolved.get(id);
        if (!r || !(att in r.atts)) throw new Error(`cannot resolve Fn::GetAtt ${id}.${att}`);
        return r.atts[att];
      }
      if (k === "Fn::Join") {
        const [sep, parts] = o["Fn::Join"] as [string, unknown[]];
        return (walk(parts) as unknown[]).map(String).join(sep);
      }
      if (k === "Fn::Select") {
        const [index, list] = o["Fn::Select"] as [number, unknown];
        return (walk(list) as unknown[])[Number(index)];
      }
      if (k === "Fn::Split") {
        const [sep, str] = o["Fn::Split"] as [string, unknown];
        return String(walk(str)).split(sep);
      }
    }
    return Object.fromEntries(keys.map((key) => [key, walk(o[key])]));
  };
  return walk(value);
}

/** An unsigned-but-well-formed request to a moto service for which the project has no SDK client. */
async function motoCall(
  service: string,
  region: string,
  method: string,
  path: string,
  body: string,
  contentType: string,
): Promise<any> {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new Error("AWS_ENDPOINT_URL is not set");
  const res = await fetch(`${endpoint}${path}`, {
    method,
    body,
    headers: {
      "content-type": contentType,
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${service} ${method} ${path}: HTTP ${res.status} ${text}`);
  return contentType.includes("json") && text ? JSON.parse(text) : text;
}

async function createRole(region: string, name: string): Promise<string> {
  const trust = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
  });
  const form = new URLSearchParams({
    Action: "CreateRole",
    Version: "2010-05-08",
    RoleName: name,
    AssumeRolePolicyDocument: trust,
  });
  await motoCall("iam", region, "POST", "/", form.toString(), "application/x-www-form-urlencoded");
  return `arn:aws:iam::${ACCOUNT}:role/${name}`;
}

// The smallest valid zip archive (an empty one): moto stores the code, this host runs the real handler.
const EMPTY_ZIP = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]).toString("base64");

export class LambdaHost {
  readonly invocations: HostedInvocation[] = [];
  readonly stateMachineArn: string;
  readonly resolved: Map<string, Resolved>;
  private readonly server: Server;
  private readonly functions: Map<string, HostedFunction>;
  private readonly handlers = new Map<string, Handler>();
  private readonly overrides = new Map<string, Handler>();
  private readonly failures = new Map<string, { errorType: string; errorMessage: string }[]>();

  private constructor(
    server: Server,
    functions: Map<string, HostedFunction>,
    stateMachineArn: string,
    resolved: Map<string, Resolved>,
  ) {
    this.server = server;
    this.functions = functions;
    this.stateMachineArn = stateMachineArn;
    this.resolved = resolved;
  }

  /**
   * Deploys the template's migration workflow into the emulator. `topicArn` stands in for the template's alerts
   * topic (the FunctionHost's, which has a queue subscribed to it).
   */
  static async deploy(template: CfnTemplate, options: { topicArn: string; region?: string }): Promise<LambdaHost> {
    const region = options.region ?? "us-east-1";
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const address = server.address();
    const hostUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    const resolved = new Map<string, Resolved>();
    const resources = Object.entries(template.Resources);
    const resolve = (v: unknown) => resolveIntrinsics(v, resolved, region);
    const kms = new KMSClient({ region });
    const backup = new BackupClient({ region });
    const sfn = new SFNClient({ region });

    for (const [id, r] of resources) {
      if (r.Type === "AWS::SNS::Topic")
        resolved.set(id, { ref: options.topicArn, atts: { TopicArn: options.topicArn } });
      if (r.Type === "AWS::Logs::LogGroup") {
        resolved.set(id, { ref: id, atts: { Arn: `arn:aws:logs:${region}:${ACCOUNT}:log-group:${id}:*` } });
      }
      if (r.Type === "AWS::KMS::Key") {
        // Spec and usage as synthesized (the migration's record key is an HMAC key).
        const key = await kms.send(
          new CreateKeyCommand({
            Description: id,
            ...(r.Properties?.KeySpec ? { KeySpec: r.Properties.KeySpec } : {}),
            ...(r.Properties?.KeyUsage ? { KeyUsage: r.Properties.KeyUsage } : {}),
          }),
        );
        resolved.set(id, {
          ref: key.KeyMetadata!.KeyId,
          atts: { Arn: key.KeyMetadata!.Arn, KeyId: key.KeyMetadata!.KeyId },
        });
      }
      if (r.Type === "AWS::IAM::Role") {
        // A fixed RoleName (the approver role) is what callers assume by name; the others get their logical id.
        const name = typeof r.Properties?.RoleName === "string" ? r.Properties.RoleName : id.slice(0, 64);
        const arn = await createRole(region, name);
        resolved.set(id, { ref: name, atts: { Arn: arn, RoleId: name } });
      }
    }
    for (const [, r] of resources) {
      if (r.Type !== "AWS::KMS::Alias") continue;
      const alias = {
        AliasName: String(resolve(r.Properties.AliasName)),
        TargetKeyId: String(resolve(r.Properties.TargetKeyId)),
      };
      // A second deploy into the same emulator points the alias at the new key, as a stack update would.
      await kms.send(new CreateAliasCommand(alias)).catch(() => kms.send(new UpdateAliasCommand(alias)));
    }
    for (const [id, r] of resources) {
      if (r.Type !== "AWS::Backup::BackupVault") continue;
      const name = String(resolve(r.Properties.BackupVaultName ?? id));
      const out = await backup.send(
        new CreateBackupVaultCommand({
          BackupVaultName: name,
          EncryptionKeyArn: resolve(r.Properties.EncryptionKeyArn) as string,
        }),
      );
      resolved.set(id, { ref: name, atts: { BackupVaultName: name, BackupVaultArn: out.BackupVaultArn } });
    }

    // Only the workflow's steps run here: the guard functions (which reference the state machine, deployed below)
    // are hosted by FunctionHost.
    const definitions = JSON.stringify(
      resources.filter(([, r]) => r.Type === "AWS::StepFunctions::StateMachine").map(([, r]) => r.Properties),
    );
    const functions = new Map<string, HostedFunction>();
    for (const [id, r] of resources) {
      if (r.Type !== "AWS::Lambda::Function") continue;
      const entry = r.Metadata?.[ENTRY_METADATA] as string | undefined;
      const name = id.slice(0, 64);
      const arn = `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}`;
      resolved.set(id, { ref: name, atts: { Arn: arn } });
      // Named in a definition: by Fn::GetAtt (the synthesized stack) or as a FunctionName string (hand-written ones).
      const named = definitions.includes(`"${id}"`) || definitions.includes(`\\"${id}\\"`);
      if (!entry || !named) continue;
      const environment = Object.fromEntries(
        Object.entries((r.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>).map(([k, v]) => [
          k,
          String(resolve(v)),
        ]),
      );
      await motoCall(
        "lambda",
        region,
        "POST",
        "/2015-03-31/functions",
        JSON.stringify({
          FunctionName: name,
          Runtime: "nodejs20.x",
          Role: resolve(r.Properties.Role),
          Handler: "index.handler",
          Code: { ZipFile: EMPTY_ZIP },
          Timeout: r.Properties.Timeout ?? 60,
          Environment: { Variables: { ...environment, [HOST_ENV]: hostUrl } },
        }),
        "application/json",
      );
      functions.set(name, { name, entry, environment });
    }

    let stateMachineArn = "";
    for (const [id, r] of resources) {
      if (r.Type !== "AWS::StepFunctions::StateMachine") continue;
      const definition = String(resolve(r.Properties.DefinitionString));
      const out = await sfn.send(
        new CreateStateMachineCommand({
          name: String(r.Properties.StateMachineName ?? id),
          definition,
          roleArn: resolve(r.Properties.RoleArn) as string,
        }),
      );
      stateMachineArn = out.stateMachineArn!;
      resolved.set(id, {
        ref: stateMachineArn,
        atts: { Arn: stateMachineArn, Name: r.Properties.StateMachineName ?? id },
      });
    }
    if (!stateMachineArn) throw new Error("the template has no state machine");
    const host = new LambdaHost(server, functions, stateMachineArn, resolved);
    server.on("request", (req, res) => {
      host.handle(req).then(
        (answer) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(answer));
        },
        (error) => {
          res.writeHead(500);
          res.end(String(error));
        },
      );
    });
    return host;
  }

  /** Replaces the handler of an entry, e.g. to make one step fail the way a broken deployment would. */
  override(entry: string, handler: Handler): void {
    this.overrides.set(entry, handler);
  }

  /**
   * Makes the next invocation(s) of an entry fail before its handler runs, as the Lambda service does on a
   * service error (the payload Step Functions sees names the error, e.g. Lambda.ServiceException, which the
   * state's Retry matches); later invocations run the real handler.
   */
  failNext(entry: string, errorType: string, times = 1): void {
    const queue = this.failures.get(entry) ?? [];
    for (let i = 0; i < times; i += 1) queue.push({ errorType, errorMessage: `${errorType} (injected by the test)` });
    this.failures.set(entry, queue);
  }

  clearOverrides(): void {
    this.overrides.clear();
    this.failures.clear();
  }

  /** The resolved value of a template resource (Ref), e.g. the KMS key the stack would create. */
  ref(logicalIdPrefix: string, att?: string): string {
    const found = [...this.resolved.entries()].find(([id]) => id.startsWith(logicalIdPrefix));
    if (!found) throw new Error(`no resource ${logicalIdPrefix}*`);
    return String(att ? found[1].atts[att] : found[1].ref);
  }

  private async handle(req: IncomingMessage): Promise<{ payload: unknown; error: boolean }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const name = decodeURIComponent((req.url ?? "").replace(/^\/invoke\//, ""));
    const fn = this.functions.get(name);
    if (!fn)
      return { payload: { errorType: "ResourceNotFound", errorMessage: `no hosted function ${name}` }, error: true };
    const event = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    const invocation: HostedInvocation = { function: name, entry: fn.entry, event };
    this.invocations.push(invocation);
    const injected = this.failures.get(fn.entry)?.shift();
    if (injected) {
      invocation.error = injected;
      return { payload: { ...injected, trace: [] }, error: true };
    }
    try {
      const handler = await this.handlerFor(fn);
      const result = await handler(event, fakeContext(name));
      invocation.result = result;
      return { payload: result ?? null, error: false };
    } catch (error) {
      // What the Lambda runtime reports for an unhandled error: Step Functions routes on errorType.
      const e = error instanceof Error ? error : new Error(String(error));
      invocation.error = { errorType: e.name, errorMessage: e.message };
      return { payload: { ...invocation.error, trace: [] }, error: true };
    }
  }

  private async handlerFor(fn: HostedFunction): Promise<Handler> {
    const override = this.overrides.get(fn.entry);
    if (override) return override;
    // The function's environment, as Lambda sets it before the module initializes.
    Object.assign(process.env, fn.environment);
    const known = this.handlers.get(fn.entry);
    if (known) return known;
    const mod = (await import(join(PROJECT_ROOT, fn.entry))) as { handler: Handler };
    this.handlers.set(fn.entry, mod.handler);
    return mod.handler;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}

let requests = 0;
function fakeContext(functionName: string): Context {
  requests += 1;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: `hosted-${requests}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => 120_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
