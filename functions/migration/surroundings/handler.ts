import { deployedMigrationDeps, recreateSurroundings, type StepEvent } from "../../../shared/migration/steps.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** Migration step 5: mount targets, TLS policy, access points, lifecycle and backup policies, tags. */
const deps = await deployedMigrationDeps();
export const handler = guardHandler(async (event: StepEvent) => recreateSurroundings(event, deps));
