import { parseArgs } from "node:util";
import { answer, failed } from "./approval-common.js";
import type { Command } from "./types.js";

export const approve: Command = {
  name: "approve",
  summary: "approve a waiting migration (execution ARN, execution name, or file system id)",
  aws: true,
  help: `Usage: efs-guard approve <execution> [--comment TEXT] [--region REGION] [--state-machine ARN] [--role-arn ARN]

<execution> is the migration's execution ARN (in the approval request), its name (efs-guard-migrate-fs-…), or
the id of the file system being migrated. Run it with your own AWS credentials: it assumes the approver role
(efs-guard-approver in your account, or --role-arn), finds the task token the approval step waits on, and sends
SendTaskSuccess with an answer signed twice, as you and as the role. The workflow has AWS STS verify both
signatures before it creates anything; it refuses an answer from anyone who is not an approver, and (with
requireSeparateApprover) from the file system's creator. The command waits for that verdict.
Your own credentials need sts:AssumeRole on the approver role (its trust policy lists the approvers).
Exit code 0 when approved, 2 on any error or a refused answer (the message says what was wrong and what to do).`,
  async run(args, io) {
    try {
      const { values, positionals } = parseArgs({
        args,
        options: {
          comment: { type: "string" },
          region: { type: "string" },
          "state-machine": { type: "string" },
          "role-arn": { type: "string" },
        },
        allowPositionals: true,
        strict: true,
      });
      if (positionals.length !== 1)
        throw new Error("give exactly one execution (ARN, name or file system id); see --help");
      return await answer(
        "approve",
        positionals[0]!,
        values.comment?.trim() || undefined,
        { region: values.region, stateMachine: values["state-machine"], roleArn: values["role-arn"] },
        io,
      );
    } catch (error) {
      return failed("approve", error, io);
    }
  },
};
