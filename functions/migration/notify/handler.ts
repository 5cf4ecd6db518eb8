import { migrationBaseFromEnv, type StepEvent } from "../../../shared/migration/deps.js";
import { type NotifyKind, notify } from "../../../shared/migration/notices.js";
import { snsClient } from "../../../shared/notify/publish.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** The end of every migration path: migrated, failed, rejected or timed out, with what to do next. */
const deps = { ...migrationBaseFromEnv(), sns: snsClient };
export const handler = guardHandler(async (event: StepEvent & { kind: NotifyKind }) => notify(event, deps));
