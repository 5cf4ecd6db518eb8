import { MIGRATION_ENV } from "../aws/migration.js";
import { RECORD_KEY_ALIAS, RECORD_KEY_ENV } from "../migration/record.js";
import type { Guard } from "../pipeline/types.js";
import { ecsClientsGuard } from "./ecs-clients.js";
import { efsAccessGuard } from "./efs-access.js";
import { fileSystemGuard } from "./file-system.js";
import { kmsKeyGuard } from "./kms-key.js";
import { nfsIngressGuard } from "./nfs-ingress.js";
import { efsAccessSweep, fileSystemSweep, kmsKeySweep, nfsIngressSweep } from "./sweep-paths.js";
import { tagAuditGuard } from "./tag-audit.js";

/**
 * Every guard, in the order the sweep and `scan` run them. Add a new guard here. The migration state machine is the
 * deployed function's environment variable unless the caller names one (`efs-guard replay --state-machine`).
 */
export function allGuards(options: { migrationStateMachineArn?: string | undefined } = {}): Guard[] {
  const recordKeyArn = process.env[RECORD_KEY_ENV] || RECORD_KEY_ALIAS;
  const nfs = nfsIngressGuard();
  const fileSystem = fileSystemGuard({
    migrationStateMachineArn: options.migrationStateMachineArn ?? (process.env[MIGRATION_ENV] || undefined),
    recordKeyArn,
  });
  const key = kmsKeyGuard();
  // Each with its sweep path on the region's shared inventory (shared/guards/sweep-paths.ts).
  return [
    { ...nfs, sweep: nfsIngressSweep() },
    { ...fileSystem, sweep: fileSystemSweep(fileSystem, recordKeyArn) },
    { ...key, sweep: kmsKeySweep(key) },
    { ...efsAccessGuard(), sweep: efsAccessSweep() },
    // ACTIVE task definitions, newest first, at most tlsClientCheckLimit (its own inventory and assess).
    ecsClientsGuard(),
  ];
}

/**
 * Guards that only react to events and have nothing to inventory (a tag change is only ever seen as an event):
 * deployed as functions and run by `replay`, not by the sweep or `scan`.
 */
export function eventOnlyGuards(): Guard[] {
  return [tagAuditGuard()];
}
