import { backupClient } from "../../../shared/aws/backup.js";
import { efsClient } from "../../../shared/aws/efs.js";
import { sfnClient } from "../../../shared/aws/migration.js";
import { capture } from "../../../shared/migration/capture.js";
import { migrationBaseFromEnv, type StepEvent } from "../../../shared/migration/deps.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** Migration step 1: captures the source file system and everything around it; refuses what it must not touch. */
const deps = { ...migrationBaseFromEnv(), efs: efsClient, backup: backupClient, sfn: sfnClient };
export const handler = guardHandler(async (event: StepEvent) => capture(event, deps));
