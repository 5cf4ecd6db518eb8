import { parseArgs } from "node:util";
import { reject as rejectExecution, resolveExecution } from "../../shared/aws/approvals.js";
import { clientFor, failed, regionFor, whoAmI } from "./approval-common.js";
import type { Command } from "./types.js";

export const reject: Command = {
  name: "reject",
  summary: 'reject a waiting migration: efs-guard reject <execution> --reason "..."',
  aws: true,
  help: `Usage: efs-guard reject <execution> --reason TEXT [--region REGION] [--state-machine ARN]

<execution> is the migration's execution ARN, its name, or the id of the file system being migrated. Sends
SendTaskFailure (error EfsGuard.Rejected, cause "rejected by <you>: <reason>") to the waiting approval step; the
workflow reports the rejection and ends without creating anything. --reason is required: the record says why.
Exit code 0 when rejected, 2 on any error.`,
  async run(args, io) {
    try {
      const { values, positionals } = parseArgs({
        args,
        options: { reason: { type: "string" }, region: { type: "string" }, "state-machine": { type: "string" } },
        allowPositionals: true,
        strict: true,
      });
      if (positionals.length !== 1)
        throw new Error("give exactly one execution (ARN, name or file system id); see --help");
      if (!values.reason?.trim()) throw new Error('--reason "..." is required: say why, it goes into the notification');
      const ref = positionals[0]!;
      const region = regionFor(ref, values.region ?? values["state-machine"]?.split(":")[3]);
      const sfn = clientFor(region);
      const executionArn = await resolveExecution(sfn, ref, values["state-machine"]);
      const by = await whoAmI(region);
      const pending = await rejectExecution(sfn, executionArn, by, values.reason.trim());
      io.out(
        `rejected: ${executionArn}${pending.fileSystemId ? ` (migration of ${pending.fileSystemId})` : ""} by ${by}`,
      );
      return 0;
    } catch (error) {
      return failed("reject", error, io);
    }
  },
};
