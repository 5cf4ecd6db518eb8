import { parseArgs } from "node:util";
import { approve as approveExecution, resolveExecution } from "../../shared/aws/approvals.js";
import { clientFor, failed, regionFor, whoAmI } from "./approval-common.js";
import type { Command } from "./types.js";

export const approve: Command = {
  name: "approve",
  summary: "approve a waiting migration (execution ARN, execution name, or file system id)",
  aws: true,
  help: `Usage: efs-guard approve <execution> [--comment TEXT] [--region REGION] [--state-machine ARN]

<execution> is the migration's execution ARN (in the approval request), its name (efs-guard-migrate-fs-…), or
the id of the file system being migrated. Finds the task token the approval step waits on in the execution
history and sends SendTaskSuccess; the workflow then creates the encrypted replacement.
Needs states:DescribeExecution, GetExecutionHistory, ListExecutions, ListStateMachines and SendTaskSuccess.
Exit code 0 when approved, 2 on any error (the message says what was wrong and what to do).`,
  async run(args, io) {
    try {
      const { values, positionals } = parseArgs({
        args,
        options: { comment: { type: "string" }, region: { type: "string" }, "state-machine": { type: "string" } },
        allowPositionals: true,
        strict: true,
      });
      if (positionals.length !== 1)
        throw new Error("give exactly one execution (ARN, name or file system id); see --help");
      const ref = positionals[0]!;
      const region = regionFor(ref, values.region ?? values["state-machine"]?.split(":")[3]);
      const sfn = clientFor(region);
      const executionArn = await resolveExecution(sfn, ref, values["state-machine"]);
      const by = await whoAmI(region);
      const pending = await approveExecution(sfn, executionArn, by, values.comment);
      io.out(
        `approved: ${executionArn}${pending.fileSystemId ? ` (migration of ${pending.fileSystemId})` : ""} by ${by}`,
      );
      return 0;
    } catch (error) {
      return failed("approve", error, io);
    }
  },
};
