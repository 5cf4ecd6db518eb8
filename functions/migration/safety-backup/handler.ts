import { BackupClient } from "@aws-sdk/client-backup";
import type { Context } from "aws-lambda";
import { backupClient } from "../../../shared/aws/backup.js";
import { memberStepDeps } from "../../../shared/migration/account.js";
import { migrationBaseFromEnv, type StepEvent } from "../../../shared/migration/deps.js";
import { describeSafetyBackup, startSafetyBackup } from "../../../shared/migration/safety-backup.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** Migration step 3, after approval: starts the safety backup ("start"), then reports its state ("describe"). */
const deps = { ...(await migrationBaseFromEnv()), backup: backupClient };
const inAccount = memberStepDeps("safety-backup", { backup: (s) => new BackupClient(s) });
export const handler = guardHandler(async (event: StepEvent & { kind: "start" | "describe" }, context: Context) => {
  const here = inAccount(deps, event.state, context.invokedFunctionArn);
  return event.kind === "start" ? startSafetyBackup(event, here) : describeSafetyBackup(event, here);
});
