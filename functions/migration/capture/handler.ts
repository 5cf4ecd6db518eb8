import { BackupClient } from "@aws-sdk/client-backup";
import { EFSClient } from "@aws-sdk/client-efs";
import type { Context } from "aws-lambda";
import { backupClient } from "../../../shared/aws/backup.js";
import { efsClient } from "../../../shared/aws/efs.js";
import { sfnClient } from "../../../shared/aws/migration.js";
import { memberStepDeps } from "../../../shared/migration/account.js";
import { capture } from "../../../shared/migration/capture.js";
import { migrationBaseFromEnv, type StepEvent } from "../../../shared/migration/deps.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** Migration step 1: captures the source file system and everything around it; refuses what it must not touch. */
const deps = { ...(await migrationBaseFromEnv()), efs: efsClient, backup: backupClient, sfn: sfnClient };
const inAccount = memberStepDeps("capture", { efs: (s) => new EFSClient(s), backup: (s) => new BackupClient(s) });
export const handler = guardHandler(async (event: StepEvent, context: Context) =>
  capture(event, inAccount(deps, event.state, context.invokedFunctionArn)),
);
