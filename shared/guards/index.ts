import { MIGRATION_ENV } from "../aws/migration.js";
import type { Guard } from "../pipeline/types.js";
import { fileSystemGuard } from "./file-system.js";
import { kmsKeyGuard } from "./kms-key.js";
import { nfsIngressGuard } from "./nfs-ingress.js";

/**
 * Every guard, in the order the sweep and `scan` run them. Add a new guard here. The migration state machine is the
 * deployed function's environment variable unless the caller names one (`efs-guard replay --state-machine`).
 */
export function allGuards(options: { migrationStateMachineArn?: string | undefined } = {}): Guard[] {
  return [
    nfsIngressGuard(),
    fileSystemGuard({
      migrationStateMachineArn: options.migrationStateMachineArn ?? (process.env[MIGRATION_ENV] || undefined),
    }),
    kmsKeyGuard(),
  ];
}
