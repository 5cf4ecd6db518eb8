import { MIGRATION_ENV } from "../aws/migration.js";
import type { Guard } from "../pipeline/types.js";
import { fileSystemGuard } from "./file-system.js";
import { kmsKeyGuard } from "./kms-key.js";
import { nfsIngressGuard } from "./nfs-ingress.js";
import { tagAuditGuard } from "./tag-audit.js";

/** Every guard, in the order the sweep and `scan` run them. Add a new guard here. */
export function allGuards(): Guard[] {
  return [
    nfsIngressGuard(),
    fileSystemGuard({ migrationStateMachineArn: process.env[MIGRATION_ENV] || undefined }),
    kmsKeyGuard(),
    // No inventory (a tag change is only seen as an event): here so that replay routes tag events to it.
    tagAuditGuard(),
  ];
}
