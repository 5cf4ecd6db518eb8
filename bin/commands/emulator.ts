import { parseArgs } from "node:util";
import { parsing, UsageError } from "../args.js";
import type { Command } from "./types.js";

const HELP = `Usage: efs-guard emulator [--empty] [--port PORT]

Starts the embedded AWS emulator (moto, pinned, on 127.0.0.1) with EFS Guard deployed into it from the
synthesized CDK stack: the EventBridge rules with the guard functions behind them, the alerts topic, and the
migration state machine with its steps. By default it also seeds the demo's sample account (an unencrypted file
system mounted in three AZs, its security group open to NFS from 0.0.0.0/0, a key without rotation) and
delivers that account's CloudTrail events, so the guard has acted and a migration waits for approval.

It prints the exports to paste into another shell, then keeps running (the functions run whenever events reach
the rules, the migration steps whenever the state machine calls them; alerts are printed as they are published)
until Ctrl-C, when it stops the emulator and everything it started.

In the other shell, after the exports: efs-guard scan, efs-guard replay FILE, efs-guard doctor,
efs-guard approve fs-..., efs-guard reject fs-... --reason "..."; or the AWS CLI.

Options:
  --empty        deploy EFS Guard only: no sample account, no events
  --port PORT    listen on this port (default: a free one); fixed ports keep the exports valid across restarts
  -h, --help     this help

Exit code: 0 when stopped by Ctrl-C (SIGINT) or SIGTERM; 1 when it could not start.`;

export const emulator: Command = {
  name: "emulator",
  summary: "keep the embedded emulator running with EFS Guard deployed, to try the commands against",
  help: HELP,
  async run(args, io) {
    const { values } = parsing(() =>
      parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: { empty: { type: "boolean", default: false }, port: { type: "string" } },
      }),
    );
    let port: number | undefined;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!Number.isInteger(port) || port < 1024 || port > 65535) {
        throw new UsageError(`--port (got "${values.port}"): a port number from 1024 to 65535`);
      }
    }
    const { runEmulator } = await import("./emulator-run.js");
    return runEmulator(io, { empty: values.empty, ...(port ? { port } : {}) });
  },
};
