import { createServer, type IncomingMessage, type Server } from "node:http";
import { BackupClient } from "@aws-sdk/client-backup";
import { KMSClient } from "@aws-sdk/client-kms";
import { CreateStateMachineCommand, SFNClient } from "@aws-sdk/client-sfn";
import type { Context } from "aws-lambda";
import { ENTRY_METADATA } from "../infra/constructs/guard-function.js";
import { bundleOf } from "./function-bundles.js";
import { type Handler, runtimeError, sandboxEnvironment } from "./host.js";
import { ACCOUNT, expectedResolution, type Resolved, resolveIntrinsics } from "./intrinsics.js";
import { deployTemplateKey } from "./kms-keys.js";
import { motoCall } from "./moto-call.js";
import { Recorder } from "./recorder.js";
import { createVault } from "./regional.js";
import { assumeRole, deployRole, roleOf, rolePolicies } from "./roles.js";
import { FunctionRuntime, track } from "./runtime.js";
import type { CfnTemplate } from "./template.js";

export { resolveIntrinsics } from "./intrinsics.js";

/**
 * The local Lambda runtime for functions that moto itself invokes (a state machine's lambda:invoke tasks, or a
 * direct Invoke). The deployer creates the template's functions in moto with a dummy zip and the environment
 * variable EFS_GUARD_FUNCTION_HOST; moto's patched _invoke_lambda (patches/lambda_function_host.py) POSTs each
 * payload here, and this host runs the function's bundle (the EfsGuardEntry metadata names its entry) in a Node.js 24
 * sandbox with the temporary credentials of the function's own role, created with its synthesized policies.
 *
 * The deployer also creates what the state machine refers to (its KMS key, backup vault, roles, functions) and
 * then the state machine itself from the synthesized DefinitionString, with every Ref / Fn::GetAtt / Fn::Join
 * resolved to the emulator's ARNs. The definition that runs is the one `cdk synth` produces.
 */

export const HOST_ENV = "EFS_GUARD_FUNCTION_HOST";

export interface HostedInvocation {
  function: string;
  entry: string;
  event: any;
  /** When the host received the invocation and answered it (ms since the epoch): overlaps are concurrency. */
  startedAt?: number;
  endedAt?: number;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
}

interface HostedFunction {
  name: string;
  entry: string;
  runtime: FunctionRuntime;
}

// The smallest valid zip archive (an empty one): moto stores the code, this host runs the real handler.
const EMPTY_ZIP = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]).toString("base64");

export class LambdaHost {
  readonly invocations: HostedInvocation[] = [];
  readonly stateMachineArn: string;
  readonly resolved: Map<string, Resolved>;
  private readonly server: Server;
  private readonly functions: Map<string, HostedFunction>;
  private readonly overrides = new Map<string, Handler>();
  private readonly failures = new Map<string, { errorType: string; errorMessage: string }[]>();
  private readonly failWhen: { entry: string; matches: (event: any) => boolean; errorType: string }[] = [];
  /** Every state machine deployed, by logical id (stateMachineArn is the first of them). */
  readonly stateMachineArns: Record<string, string> = {};

  /** The recording proxy the steps' calls go through (every operation, by function). */
  readonly recorder: Recorder;

  private constructor(
    server: Server,
    functions: Map<string, HostedFunction>,
    stateMachineArn: string,
    resolved: Map<string, Resolved>,
    recorder: Recorder,
  ) {
    this.server = server;
    this.functions = functions;
    this.stateMachineArn = stateMachineArn;
    this.resolved = resolved;
    this.recorder = recorder;
  }

  /**
   * Deploys the template's migration workflow into the emulator. `topicArn` stands in for the template's alerts
   * topic (the FunctionHost's, which has a queue subscribed to it).
   */
  /** `endpointPort`: the port of the endpoint everyone uses (the recorder in front of the emulator); default free. */
  /**
   * `stateMachines`: the logical-id prefixes of the state machines to deploy, with the functions they name (default
   * the migration workflow's; "SweepSplit" for the sweep's Distributed Map).
   */
  static async deploy(
    template: CfnTemplate,
    options: { topicArn: string; region?: string; endpointPort?: number; stateMachines?: string[] },
  ): Promise<LambdaHost> {
    const region = options.region ?? "us-east-1";
    const endpoint = process.env.AWS_ENDPOINT_URL;
    if (!endpoint) throw new Error("AWS_ENDPOINT_URL is not set: the host deploys into the emulator only");
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const address = server.address();
    const hostUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    const wanted = options.stateMachines ?? ["Migration"];
    const chosen = (id: string) => wanted.some((prefix) => id.startsWith(prefix));
    const resources = Object.entries(template.Resources).filter(
      ([id, r]) => r.Type !== "AWS::StepFunctions::StateMachine" || chosen(id),
    );
    // Where every resource will be (the state machine's ARN follows from its name); what is created here replaces it.
    const resolved = expectedResolution(template, region);
    const resolve = (v: unknown) => resolveIntrinsics(v, resolved, region);
    const kms = new KMSClient({ region });
    const backup = new BackupClient({ region });
    const sfn = new SFNClient({ region });

    for (const [id, r] of resources) {
      if (r.Type === "AWS::SNS::Topic")
        resolved.set(id, { ref: options.topicArn, atts: { TopicArn: options.topicArn } });
      if (r.Type === "AWS::KMS::Key") resolved.set(id, await deployTemplateKey(kms, template, id));
    }
    for (const [id, r] of resources) {
      if (r.Type !== "AWS::Backup::BackupVault") continue;
      const name = String(resolve(r.Properties.BackupVaultName ?? id));
      const arn = await createVault(backup, {
        name,
        encryptionKeyArn: resolve(r.Properties.EncryptionKeyArn) as string,
        ...(r.Properties.AccessPolicy ? { accessPolicy: resolve(r.Properties.AccessPolicy) } : {}),
      });
      resolved.set(id, { ref: name, atts: { BackupVaultName: name, BackupVaultArn: arn } });
    }

    // Only the workflow's steps run here: the guard functions (which reference the state machine, deployed below)
    // are hosted by FunctionHost, which creates their roles.
    const definitions = JSON.stringify(
      resources.filter(([, r]) => r.Type === "AWS::StepFunctions::StateMachine").map(([, r]) => r.Properties),
    );
    // Named in a definition: by Fn::GetAtt (the synthesized stack) or as a FunctionName string (hand-written ones).
    const named = (id: string) => definitions.includes(`"${id}"`) || definitions.includes(`\\"${id}\\"`);
    const guardRoles = new Set(
      resources
        .filter(([id, r]) => r.Type === "AWS::Lambda::Function" && r.Metadata?.[ENTRY_METADATA] && !named(id))
        .map(([id]) => roleOf(template, id)),
    );
    for (const [id, r] of resources) {
      if (r.Type === "AWS::IAM::Role" && !guardRoles.has(id))
        await deployRole(endpoint, template, id, resolved, region);
    }
    const recorder = await Recorder.start(endpoint, undefined, options.endpointPort ?? 0);
    const functions = new Map<string, HostedFunction>();
    for (const [id, r] of resources) {
      if (r.Type !== "AWS::Lambda::Function") continue;
      const entry = r.Metadata?.[ENTRY_METADATA] as string | undefined;
      const name = id.slice(0, 64);
      if (!entry || !named(id)) continue;
      const environment = Object.fromEntries(
        Object.entries((r.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>).map(([k, v]) => [
          k,
          String(resolve(v)),
        ]),
      );
      const roleArn = String(resolve(r.Properties.Role));
      const timeoutSeconds = Number(r.Properties.Timeout ?? 3);
      const memoryMb = Number(r.Properties.MemorySize ?? 128);
      await motoCall(
        endpoint,
        "lambda",
        region,
        "POST",
        "/2015-03-31/functions",
        JSON.stringify({
          FunctionName: name,
          Runtime: r.Properties.Runtime ?? "nodejs24.x",
          Role: roleArn,
          Handler: r.Properties.Handler ?? "index.handler",
          Code: { ZipFile: EMPTY_ZIP },
          Timeout: timeoutSeconds,
          MemorySize: memoryMb,
          Environment: { Variables: { ...environment, [HOST_ENV]: hostUrl } },
        }),
        "application/json",
      );
      const credentials = await assumeRole(endpoint, roleArn, name);
      const roleId = roleOf(template, id);
      recorder.register(credentials.accessKeyId, {
        function: id,
        entry,
        roleArn,
        policies: rolePolicies(template, roleId, resolved, region),
      });
      const runtime = track(
        new FunctionRuntime({
          name,
          bundle: await bundleOf(entry),
          environment: sandboxEnvironment(
            { logicalId: id, environment, memoryMb, endpoint: recorder.endpoint },
            credentials,
            region,
          ),
          timeoutSeconds,
          memoryMb,
          region,
          account: ACCOUNT,
        }),
      );
      functions.set(name, { name, entry, runtime });
    }

    let stateMachineArn = "";
    const stateMachineArns: Record<string, string> = {};
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
      stateMachineArn ||= out.stateMachineArn!;
      stateMachineArns[id] = out.stateMachineArn!;
      resolved.set(id, {
        ref: out.stateMachineArn!,
        atts: { Arn: out.stateMachineArn!, Name: r.Properties.StateMachineName ?? id },
      });
    }
    if (!stateMachineArn) throw new Error("the template has no state machine");
    const host = new LambdaHost(server, functions, stateMachineArn, resolved, recorder);
    Object.assign(host.stateMachineArns, stateMachineArns);
    // One STS endpoint for everyone, as on AWS (sts.REGION.amazonaws.com): the steps reach the emulator through the
    // recorder, so the approvers' command line in this process does too. The approval's verify step refuses a
    // statement signed for another host than its own STS endpoint (shared/aws/approval-statements.ts).
    host.previousEndpoint = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = recorder.endpoint;
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

  /** Makes every invocation of an entry whose event matches fail, as failNext does (e.g. one item of a Map). */
  failWhere(entry: string, matches: (event: any) => boolean, errorType: string): void {
    this.failWhen.push({ entry, matches, errorType });
  }

  clearOverrides(): void {
    this.overrides.clear();
    this.failures.clear();
    this.failWhen.length = 0;
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
    const invocation: HostedInvocation = { function: name, entry: fn.entry, event, startedAt: Date.now() };
    this.invocations.push(invocation);
    try {
      return await this.run(fn, invocation);
    } finally {
      invocation.endedAt = Date.now();
    }
  }

  private async run(fn: HostedFunction, invocation: HostedInvocation): Promise<{ payload: unknown; error: boolean }> {
    const { event, function: name } = invocation;
    const where = this.failWhen.find((f) => f.entry === fn.entry && f.matches(event));
    const injected =
      this.failures.get(fn.entry)?.shift() ??
      (where ? { errorType: where.errorType, errorMessage: `${where.errorType} (injected by the test)` } : undefined);
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

  /** An override (in this process, with the administrator's credentials), else the function's sandbox. */
  private async handlerFor(fn: HostedFunction): Promise<Handler> {
    const override = this.overrides.get(fn.entry);
    if (override) return override;
    return async (event, context) => {
      const answer = await fn.runtime.invoke(event, context.awsRequestId);
      if (answer.error) throw runtimeError(answer.error);
      return answer.result;
    };
  }

  /** AWS_ENDPOINT_URL before deploy pointed this process at the recorder; stop() puts it back. */
  private previousEndpoint: string | undefined;

  async stop(): Promise<void> {
    if (process.env.AWS_ENDPOINT_URL === this.recorder.endpoint) {
      if (this.previousEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = this.previousEndpoint;
    }
    for (const fn of this.functions.values()) fn.runtime.stop();
    await this.recorder.stop();
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
