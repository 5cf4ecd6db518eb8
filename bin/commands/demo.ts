import { parseArgs } from "node:util";
import type { Command } from "./types.js";

export const demo: Command = {
  name: "demo",
  summary: "play the EFS Guard story on the embedded emulator (no AWS account needed)",
  help: `Usage: efs-guard demo

Starts the embedded emulator and plays a realistic account: an unencrypted file system mounted in three AZs, its
security group open to NFS from 0.0.0.0/0, no file system policy, a customer managed key without rotation. The
CloudTrail events of those changes go through the real EventBridge rules to the real handlers; the migration runs
in the synthesized state machine and is approved with the real approve command. Prints each step, the posture
before and after, and the alerts as a Slack channel shows them, then stops the emulator.
Exit code 0 when every expected outcome happened, 1 otherwise.`,
  async run(args, io) {
    parseArgs({ args, options: {}, strict: true });
    const { runDemo } = await import("./demo-run.js");
    return (await runDemo(io)).exitCode;
  },
};
