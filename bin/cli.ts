import { COMMANDS } from "./commands/index.js";

const USAGE = `efs-guard: keeps Amazon EFS encrypted at rest, encrypted in transit and closed to the network

Usage: efs-guard <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)}  ${c.summary}`).join("\n")}

Run efs-guard <command> --help for the options of a command.
AWS access follows the standard environment: credentials, AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`efs-guard: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    console.error(`efs-guard ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
