import { deployedMigrationDeps, type NotifyKind, notify, type StepEvent } from "../../../shared/migration/steps.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** The end of every migration path: migrated, failed, rejected or timed out, with what to do next. */
const deps = await deployedMigrationDeps();
export const handler = guardHandler(async (event: StepEvent & { kind: NotifyKind }) => notify(event, deps));
