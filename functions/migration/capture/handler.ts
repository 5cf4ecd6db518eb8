import { capture, deployedMigrationDeps, type StepEvent } from "../../../shared/migration/steps.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** Migration step 1: captures the source file system and everything around it. */
const deps = await deployedMigrationDeps();
export const handler = guardHandler(async (event: StepEvent) => capture(event, deps));
