import { efsClient } from "../../../shared/aws/efs.js";
import { migrationBaseFromEnv, type StepEvent } from "../../../shared/migration/deps.js";
import { recreateSurroundings } from "../../../shared/migration/surroundings.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** Migration step 5: throughput, mount targets, TLS policy, access points, lifecycle and backup policies. */
const deps = { ...(await migrationBaseFromEnv()), efs: efsClient };
export const handler = guardHandler(async (event: StepEvent) => recreateSurroundings(event, deps));
