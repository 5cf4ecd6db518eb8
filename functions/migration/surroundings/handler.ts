import { EFSClient } from "@aws-sdk/client-efs";
import { KMSClient } from "@aws-sdk/client-kms";
import type { Context } from "aws-lambda";
import { efsClient } from "../../../shared/aws/efs.js";
import { clientConfig, perRegion } from "../../../shared/aws/sdk-config.js";
import { memberStepDeps } from "../../../shared/migration/account.js";
import { migrationBaseFromEnv, type StepEvent } from "../../../shared/migration/deps.js";
import { RECORD_KEY_ENV } from "../../../shared/migration/record.js";
import { recreateSurroundings } from "../../../shared/migration/surroundings.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/**
 * Migration step 5: throughput, mount targets, TLS policy, access points, lifecycle and backup policies; the source
 * tagged with its replacement and the migration's signed record of it.
 */
const deps = {
  ...(await migrationBaseFromEnv()),
  efs: efsClient,
  recordKeyArn: process.env[RECORD_KEY_ENV] || undefined,
  kms: perRegion((region) => new KMSClient(clientConfig(region))),
};
// The record key is the hub's: its KMS client keeps the step's own role; only EFS acts in a member.
const inAccount = memberStepDeps("surroundings", { efs: (s) => new EFSClient(s) });
export const handler = guardHandler(async (event: StepEvent, context: Context) =>
  recreateSurroundings(event, inAccount(deps, event.state, context.invokedFunctionArn)),
);
