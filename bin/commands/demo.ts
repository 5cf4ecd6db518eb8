import { parseArgs } from "node:util";
import type { Command } from "./types.js";

export const demo: Command = {
  name: "demo",
  summary: "play the EFS Guard story on the embedded emulator (no AWS account needed)",
  help: `Usage: efs-guard demo

Starts the embedded emulator, plays a realistic account through the real EventBridge rules and handlers,
prints what happens at each step and the alerts as a Slack channel shows them, and stops the emulator.
Exit code 0 when every expected outcome happened, 1 otherwise.`,
  async run(args) {
    parseArgs({ args, options: {}, strict: true });
    const { runDemo } = await import("./demo-run.js");
    return runDemo();
  },
};
