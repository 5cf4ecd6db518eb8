import { ecsClient } from "../aws/ecs.js";
import { efsClient } from "../aws/efs.js";
import { MIGRATION_ENV } from "../aws/migration.js";
import { RECORD_KEY_ALIAS, RECORD_KEY_ENV } from "../migration/record.js";
import type { Guard } from "../pipeline/types.js";
import { ecsClientsGuard } from "./ecs-clients.js";
import { efsAccessGuard } from "./efs-access.js";
import { defaultFileSystemClients, fileSystemGuard } from "./file-system.js";
import { kmsKeyGuard } from "./kms-key.js";
import { mountTargetsGuard } from "./mount-targets.js";
import { nfsIngressGuard } from "./nfs-ingress.js";
import {
  defaultSweepClients,
  efsAccessSweep,
  fileSystemSweep,
  kmsKeySweep,
  mountTargetsSweep,
  nfsIngressSweep,
  type SweepClients,
} from "./sweep-paths.js";
import { tagAuditGuard } from "./tag-audit.js";
import { ecsClientLookup, tlsEnforcementGuard } from "./tls-enforcement.js";

/**
 * Every guard, in the order the sweep and `scan` run them. Add a new guard here. The migration state machine is the
 * deployed function's environment variable unless the caller names one (`efs-guard replay --state-machine`).
 */
export function allGuards(
  options: {
    migrationStateMachineArn?: string | undefined;
    /**
     * Another account's clients (the organization sweep's child, shared/aws/accounts.ts): every guard and sweep path
     * reads and acts with them; a migration is started in the hub's workflow with the child's account in its input.
     */
    clients?: GuardClients;
  } = {},
): Guard[] {
  const recordKeyArn = process.env[RECORD_KEY_ENV] || RECORD_KEY_ALIAS;
  const c = options.clients;
  const nfs = nfsIngressGuard(c ? { ec2: c.ec2, efs: c.efs } : undefined);
  const fileSystem = fileSystemGuard({
    migrationStateMachineArn: options.migrationStateMachineArn ?? (process.env[MIGRATION_ENV] || undefined),
    recordKeyArn,
    // The lookup of the ECS clients before a TLS deny (tlsEnforcement): the sweep's and scan's guards carry ECS.
    clients: {
      ...defaultFileSystemClients,
      ...(c ? { efs: c.efs, kms: c.kmsDescribe } : {}),
      tlsClients: (region, config) => ecsClientLookup((c?.ecs ?? ecsClient)(region), region, config),
    },
    ...(c ? { memberAccount: c.account } : {}),
  });
  const key = kmsKeyGuard(c ? { kms: c.kms, efs: c.efs } : undefined);
  const access = efsAccessGuard(c ? { efs: c.efs, kms: c.kmsDescribe } : undefined);
  const sweeps = c ?? defaultSweepClients;
  // Each with its sweep path on the region's shared inventory (shared/guards/sweep-paths.ts).
  return [
    { ...nfs, sweep: nfsIngressSweep(sweeps) },
    { ...fileSystem, sweep: fileSystemSweep(fileSystem, recordKeyArn, sweeps) },
    { ...key, sweep: kmsKeySweep(key, sweeps) },
    { ...access, sweep: efsAccessSweep(access, sweeps) },
    // Mount targets in public subnets: the region's mount-target interfaces, subnets and route tables, once each.
    { ...mountTargetsGuard(c ? { ec2: c.ec2, efs: c.efs } : undefined), sweep: mountTargetsSweep() },
    // ACTIVE task definitions, newest first, at most tlsClientCheckLimit (its own inventory and assess).
    ecsClientsGuard(c ? { ecs: c.ecs } : undefined),
  ];
}

/** Every client the guards use, per region: one account's (allGuards' `clients`). */
export interface GuardClients extends SweepClients {
  /** The account the clients act in, when it is a member's: the hub's migration workflow does not migrate there. */
  account?: string;
}

/**
 * Guards that only react to events and have nothing to inventory (a tag change is only ever seen as an event):
 * deployed as functions and run by `replay`, not by the sweep or `scan`.
 */
export function eventOnlyGuards(): Guard[] {
  // efs-tls-enforced on its events while tlsEnforcement is "unless-clients-break" (the ecs-clients function's part;
  // the sweep and scan assess the control in the file-system guard).
  return [tagAuditGuard(), tlsEnforcementGuard({ efs: efsClient, ecs: ecsClient })];
}
