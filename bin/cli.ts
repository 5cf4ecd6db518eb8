import { parseArgs } from "node:util";
import { runDemo } from "./demo.js";

const USAGE = `efs-guard: keeps Amazon EFS encrypted at rest, encrypted in transit and closed to the network

Usage: efs-guard <command> [options]

Commands:
  demo        play the NFS-exposure story on the embedded emulator (no AWS account needed)

Run efs-guard <command> --help for the options of a command.
AWS access follows the standard environment: credentials, AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL.`;

const COMMANDS: Record<string, { help: string; run: (args: string[]) => Promise<number> }> = {
  demo: {
    help: "Usage: efs-guard demo\n\nStarts the embedded emulator, plays a realistic account through the real rules and handlers, and stops it.",
    run: async (args) => {
      parseArgs({ args, options: {}, strict: true });
      return runDemo();
    },
  },
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    console.error(`efs-guard: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(entry.help);
    return 0;
  }
  try {
    return await entry.run(rest);
  } catch (error) {
    console.error(`efs-guard ${command}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
