import { MIGRATION_ENV } from "../aws/migration.js";
import { RECORD_KEY_ALIAS, RECORD_KEY_ENV } from "../migration/record.js";
import type { Guard } from "../pipeline/types.js";
import { fileSystemGuard } from "./file-system.js";
import { kmsKeyGuard } from "./kms-key.js";
import { nfsIngressGuard } from "./nfs-ingress.js";

/** Every guard, in the order the sweep and `scan` run them. Add a new guard here. */
export function allGuards(): Guard[] {
  return [
    nfsIngressGuard(),
    fileSystemGuard({
      migrationStateMachineArn: process.env[MIGRATION_ENV] || undefined,
      recordKeyArn: process.env[RECORD_KEY_ENV] || RECORD_KEY_ALIAS,
    }),
    kmsKeyGuard(),
  ];
}
