import { KMSClient } from "@aws-sdk/client-kms";
import { efsClient } from "../../../shared/aws/efs.js";
import { clientConfig, perRegion } from "../../../shared/aws/sdk-config.js";
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
export const handler = guardHandler(async (event: StepEvent) => recreateSurroundings(event, deps));
