import { deployedMigrationDeps, recreate, type StepEvent } from "../../../shared/migration/steps.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** Migration step 4: the new encrypted file system (replication, or restore of the safety backup). */
const deps = await deployedMigrationDeps();
export const handler = guardHandler(async (event: StepEvent) => recreate(event, deps));
