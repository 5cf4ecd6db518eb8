import { deployedMigrationDeps, type StepEvent, verify } from "../../../shared/migration/steps.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** Migration step 6: the replacement is encrypted with the right key, reachable, and TLS-only. */
const deps = await deployedMigrationDeps();
export const handler = guardHandler(async (event: StepEvent) => verify(event, deps));
