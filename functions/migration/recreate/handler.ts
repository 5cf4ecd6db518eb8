import { backupClient } from "../../../shared/aws/backup.js";
import { efsClient } from "../../../shared/aws/efs.js";
import { sfnClient } from "../../../shared/aws/migration.js";
import { migrationBaseFromEnv, type StepEvent } from "../../../shared/migration/deps.js";
import { describeRestore, recreate } from "../../../shared/migration/recreate.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/**
 * Migration step 4: the new encrypted file system (replication, or restore of the safety backup); with the restore
 * strategy, "describe-restore" reports the restore job and adopts the file system it created.
 */
const deps = { ...migrationBaseFromEnv(), efs: efsClient, backup: backupClient, sfn: sfnClient };
export const handler = guardHandler(async (event: StepEvent & { kind?: "describe-restore" }) =>
  event.kind === "describe-restore" ? describeRestore(event, deps) : recreate(event, deps),
);
