import { EFSClient } from "@aws-sdk/client-efs";
import type { Context } from "aws-lambda";
import { efsClient } from "../../../shared/aws/efs.js";
import { memberStepDeps } from "../../../shared/migration/account.js";
import { migrationBaseFromEnv, type StepEvent } from "../../../shared/migration/deps.js";
import { verify } from "../../../shared/migration/verify.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** Migration step 6: the replacement is ours, encrypted with the right key, reachable, TLS-only, like its source. */
const deps = { ...(await migrationBaseFromEnv()), efs: efsClient };
const inAccount = memberStepDeps("verify", { efs: (s) => new EFSClient(s) });
export const handler = guardHandler(async (event: StepEvent, context: Context) =>
  verify(event, inAccount(deps, event.state, context.invokedFunctionArn)),
);
