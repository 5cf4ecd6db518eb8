import { parseArgs } from "node:util";
import { answer, failed } from "./approval-common.js";
import type { Command } from "./types.js";

export const reject: Command = {
  name: "reject",
  summary: 'reject a waiting migration: efs-guard reject <execution> --reason "..."',
  aws: true,
  help: `Usage: efs-guard reject <execution> --reason TEXT [--region REGION] [--state-machine ARN] [--role-arn ARN]

<execution> is the migration's execution ARN, its name, or the id of the file system being migrated. Like
approve, it runs with your own credentials, assumes the approver role and signs the answer as you and as the
role; it sends SendTaskFailure (error EfsGuard.Rejected). The workflow verifies who rejected, reports the
rejection with the reason and ends without creating anything; after a rejection the file system is not asked
about again until it changes or an operator runs efs-guard migrate. --reason is required: the record says why.
Exit code 0 when rejected, 2 on any error or a refused answer.`,
  async run(args, io) {
    try {
      const { values, positionals } = parseArgs({
        args,
        options: {
          reason: { type: "string" },
          region: { type: "string" },
          "state-machine": { type: "string" },
          "role-arn": { type: "string" },
        },
        allowPositionals: true,
        strict: true,
      });
      if (positionals.length !== 1)
        throw new Error("give exactly one execution (ARN, name or file system id); see --help");
      if (!values.reason?.trim()) throw new Error('--reason "..." is required: say why, it goes into the notification');
      return await answer(
        "reject",
        positionals[0]!,
        values.reason.trim(),
        { region: values.region, stateMachine: values["state-machine"], roleArn: values["role-arn"] },
        io,
      );
    } catch (error) {
      return failed("reject", error, io);
    }
  },
};
