import { BackupClient } from "@aws-sdk/client-backup";
import { EFSClient } from "@aws-sdk/client-efs";
import type { Context } from "aws-lambda";
import { backupClient } from "../../../shared/aws/backup.js";
import { efsClient } from "../../../shared/aws/efs.js";
import { sfnClient } from "../../../shared/aws/migration.js";
import { memberStepDeps } from "../../../shared/migration/account.js";
import { migrationBaseFromEnv, type StepEvent } from "../../../shared/migration/deps.js";
import { describeRestore, recreate } from "../../../shared/migration/recreate.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/**
 * Migration step 4: the new encrypted file system (replication, or restore of the safety backup); with the restore
 * strategy, "describe-restore" reports the restore job and adopts the file system it created.
 */
const deps = { ...(await migrationBaseFromEnv()), efs: efsClient, backup: backupClient, sfn: sfnClient };
const inAccount = memberStepDeps("recreate", { efs: (s) => new EFSClient(s), backup: (s) => new BackupClient(s) });
export const handler = guardHandler(async (event: StepEvent & { kind?: "describe-restore" }, context: Context) => {
  const here = inAccount(deps, event.state, context.invokedFunctionArn);
  return event.kind === "describe-restore" ? describeRestore(event, here) : recreate(event, here);
});
