import { emulatorEnv } from "../../emulator/emulator.js";
import { FunctionHost, type Invocation } from "../../emulator/host.js";
import { LambdaHost } from "../../emulator/lambda-host.js";
import { synthTemplate } from "../../emulator/template.js";
import { MIGRATION_ENV } from "../../shared/aws/migration.js";
import type { EventReport } from "../../shared/pipeline/types.js";
import { errorMessage } from "../../shared/runtime/errors.js";
import { interactive, styles, withProgress } from "../terminal.js";
import { startWithProgress } from "./emulator-start.js";
import { SAMPLE_REGION, sampleTrail, seedSampleAccount } from "./sample-account.js";
import type { Io } from "./types.js";

const POLL_MS = 1000;

/** One line per finding something happened to, as the deployed functions' logs would show it. */
function describe(inv: Invocation): string[] {
  const report = inv.result as EventReport | undefined;
  const name = inv.event?.detail?.eventName ?? "event";
  if (inv.error) return [`${name}: the function failed: ${inv.error}`];
  return (report?.findings ?? [])
    .filter((f) => f.verdict === "non-compliant")
    .map((f) => `${name}: ${f.control} ${f.resource}: ${f.outcome}`);
}

/**
 * `efs-guard emulator`: the embedded emulator with the synthesized stack deployed, kept running. The function
 * host consumes the rule queues every second (EventBridge -> Lambda), the Lambda host answers the state machine's
 * invocations, and alerts are printed as they arrive, until SIGINT or SIGTERM stops everything in order.
 */
export async function runEmulator(io: Io, options: { empty: boolean; port?: number }): Promise<number> {
  const s = styles(io.styled ?? false);
  // Progress and activity go to stderr: stdout carries only what to paste.
  const note = (line: string) => io.err(line);
  // The live line goes where the notes go (stderr), when that is an interactive terminal too.
  const live = io.live && interactive(process.stderr) ? process.stderr : undefined;
  const progress = <T>(label: string, work: () => Promise<T>): Promise<T> =>
    withProgress(label, work, { live, line: note, styles: s });

  // With --port, the fixed port is the endpoint everyone uses (the recorder the workflow's steps reach the emulator
  // through, see below); the emulator itself listens on a free one behind it.
  const emulator = await startWithProgress(progress, undefined);
  const env = emulatorEnv(emulator.endpoint, SAMPLE_REGION);
  const saved = { ...process.env };
  // The hosted handlers run in this process and reach the emulator through the standard variables, as the tests do.
  Object.assign(process.env, env, { LOG_LEVEL: "ERROR" });
  let lambdas: LambdaHost | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    note(`\n${signal}: stopping the emulator ...`);
    wake?.();
  };
  const onInt = () => stop("SIGINT");
  const onTerm = () => stop("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    await emulator.configure({ stepfunctions: { execute_state_machine: true } });
    const account = options.empty ? undefined : await progress("seeding the demo's sample account", seedSampleAccount);
    const template = await progress("synthesizing the EFS Guard stack (cdk synth)", async () =>
      synthTemplate(account ? { kmsKeyArn: account.key.arn } : {}),
    );
    const deployed = await progress("deploying it: rules, functions, alerts topic, migration workflow", async () => {
      const host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "ERROR" } });
      lambdas = await LambdaHost.deploy(template, {
        topicArn: host.alertsTopicArn,
        region: SAMPLE_REGION,
        ...(options.port ? { endpointPort: options.port } : {}),
      });
      host.setEnvironment({ [MIGRATION_ENV]: lambdas.stateMachineArn });
      return { host, stateMachineArn: lambdas.stateMachineArn };
    });
    const { host } = deployed;
    if (account) await host.putEvents(sampleTrail(account));

    io.out("# EFS Guard on the embedded emulator: paste these into another shell");
    // The emulator's administrator key is long-term (no session token): a token or profile left in the shell from
    // a real AWS session would be sent with it, or win over it, so they are unset.
    io.out("unset AWS_SESSION_TOKEN AWS_PROFILE");
    // The endpoint to export is the one the workflow's steps use (LambdaHost points this process at it): there is one
    // STS endpoint for everyone, as on AWS, and the approval's verify step refuses a statement signed for another.
    env.AWS_ENDPOINT_URL = process.env.AWS_ENDPOINT_URL ?? emulator.endpoint;
    for (const [k, v] of Object.entries(env)) io.out(`export ${k}=${v}`);
    io.out(`export ALERTS_TOPIC_ARN=${host.alertsTopicArn}`);
    note(`\nmigration state machine: ${deployed.stateMachineArn}`);
    if (account) {
      note(
        `sample account: file system ${account.fileSystemId}, security group ${account.groupId}, key ${account.key.keyId}`,
      );
      note(
        `try: efs-guard scan | efs-guard approve ${account.fileSystemId} | efs-guard reject ${account.fileSystemId} --reason "..."`,
      );
    } else {
      note("empty account: create resources with the AWS CLI or the SDK, then efs-guard scan / replay");
    }
    note("running; Ctrl-C stops it\n");

    while (!stopping) {
      try {
        for (const inv of await host.drain()) for (const line of describe(inv)) note(line);
        for (const alert of await host.alerts()) {
          note(`alert: ${alert.message?.content?.title ?? "(untitled)"}`);
        }
      } catch (error) {
        if (!stopping) note(`the function host could not read its queues: ${errorMessage(error)}`);
      }
      await new Promise<void>((done) => {
        wake = done;
        setTimeout(done, POLL_MS).unref();
      });
    }
    return 0;
  } catch (error) {
    note(`efs-guard emulator: could not start: ${errorMessage(error)}`);
    return 1;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    await lambdas?.stop();
    await emulator.stop();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    note("stopped: the emulator and its hosts are shut down");
  }
}
