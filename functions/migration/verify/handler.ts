import { efsClient } from "../../../shared/aws/efs.js";
import { migrationBaseFromEnv, type StepEvent } from "../../../shared/migration/deps.js";
import { verify } from "../../../shared/migration/verify.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** Migration step 6: the replacement is ours, encrypted with the right key, reachable, TLS-only, like its source. */
const deps = { ...migrationBaseFromEnv(), efs: efsClient };
export const handler = guardHandler(async (event: StepEvent) => verify(event, deps));
