import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { logger } from "../shared/runtime/logger.js";
import { UsageError } from "./args.js";
import { profileProblem } from "./aws-profile.js";
import { COMMANDS } from "./commands/index.js";
import type { Command, Io } from "./commands/types.js";
import { fsProblem } from "./fs-problem.js";
import { colourOn, interactive } from "./terminal.js";

/** The package's version, read once from package.json (the one source of truth `npm version` updates). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

const usage =
  () => `efs-guard ${VERSION}: keeps Amazon EFS encrypted at rest, encrypted in transit and closed to the network

Usage: efs-guard <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)}  ${c.summary}`).join("\n")}

Options:
  -h, --help      this help (efs-guard help <command>, or efs-guard <command> --help, for a command's options)
  -V, --version   print the version

AWS access follows the standard environment: credentials, AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL.
Colour and live progress follow the terminal (none when piped or with NO_COLOR).`;

export const processIo: Io = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
  write: (text) => void process.stdout.write(text),
  styled: colourOn(process.stdout),
  ...(interactive(process.stdout) ? { live: process.stdout } : {}),
};

function find(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

function unknown(name: string, io: Io): number {
  io.err(`efs-guard: unknown command "${name}"\n\n${usage()}`);
  return 2;
}

/** Runs one command line and returns its exit code; never exits the process, so tests can call it in-process. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  // The pipeline's structured decision logs are for CloudWatch; on a terminal they would interleave with the
  // command's own output (and break --json), so the CLI keeps them off unless asked for.
  logger.setLogLevel((process.env.EFS_GUARD_LOG_LEVEL as "DEBUG" | undefined) ?? "SILENT");
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(usage());
    return 2;
  }
  if (name === "--help" || name === "-h") {
    io.out(usage());
    return 0;
  }
  if (name === "--version" || name === "-V") {
    io.out(`efs-guard ${VERSION}`);
    return 0;
  }
  if (name === "help") {
    // `efs-guard help scan` is `efs-guard scan --help`, as in git, npm and cdk.
    const [topic, ...extra] = rest;
    if (topic === undefined) {
      io.out(usage());
      return 0;
    }
    const command = find(topic);
    if (!command) return unknown(topic, io);
    if (extra.length > 0) {
      io.err(`efs-guard help: one command at a time (got ${rest.join(" ")})`);
      return 2;
    }
    io.out(command.help);
    return 0;
  }
  const command = find(name);
  if (!command) return unknown(name, io);
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(command.help);
    return 0;
  }
  try {
    if (command.aws) {
      const problem = await profileProblem();
      if (problem) {
        io.err(`efs-guard ${name}: ${problem}`);
        return 2;
      }
    }
    return await command.run(rest, io);
  } catch (error) {
    // A file-system error that no command turned into words still gets one line naming the path.
    const message = fsProblem(error) ?? (error instanceof Error ? error.message : String(error));
    io.err(`efs-guard ${name}: ${message}`);
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

// `tsx bin/cli.ts ...` runs it directly; bin/efs-guard.mjs and tests import main.
if (isEntry()) process.exitCode = await main(process.argv.slice(2));
