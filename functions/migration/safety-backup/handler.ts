import { backupClient } from "../../../shared/aws/backup.js";
import { migrationBaseFromEnv, type StepEvent } from "../../../shared/migration/deps.js";
import { describeSafetyBackup, startSafetyBackup } from "../../../shared/migration/safety-backup.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** Migration step 3, after approval: starts the safety backup ("start"), then reports its state ("describe"). */
const deps = { ...migrationBaseFromEnv(), backup: backupClient };
export const handler = guardHandler(async (event: StepEvent & { kind: "start" | "describe" }) =>
  event.kind === "start" ? startSafetyBackup(event, deps) : describeSafetyBackup(event, deps),
);
