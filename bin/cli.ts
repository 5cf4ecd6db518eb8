import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { logger } from "../shared/runtime/logger.js";
import { UsageError } from "./args.js";
import { COMMANDS } from "./commands/index.js";
import type { Io } from "./commands/types.js";

const USAGE = `efs-guard: keeps Amazon EFS encrypted at rest, encrypted in transit and closed to the network

Usage: efs-guard <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)}  ${c.summary}`).join("\n")}

Run efs-guard <command> --help for the options of a command.
AWS access follows the standard environment: credentials, AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL.`;

export const processIo: Io = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
  write: (text) => void process.stdout.write(text),
  styled: process.stdout.isTTY === true,
};

/** Runs one command line and returns its exit code; never exits the process, so tests can call it in-process. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  // The pipeline's structured decision logs are for CloudWatch; on a terminal they would interleave with the
  // command's own output (and break --json), so the CLI keeps them off unless asked for.
  logger.setLogLevel((process.env.EFS_GUARD_LOG_LEVEL as "DEBUG" | undefined) ?? "SILENT");
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.err : io.out)(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`efs-guard: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    io.err(`efs-guard ${name}: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof UsageError) io.err(`Run efs-guard ${name} --help for the options.`);
    return 2;
  }
}

function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

// `tsx bin/cli.ts ...` (npm start, npm run efs-guard) runs it directly; bin/efs-guard.mjs and tests import main.
if (isEntry()) process.exitCode = await main(process.argv.slice(2));
