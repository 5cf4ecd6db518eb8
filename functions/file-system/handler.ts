import { MIGRATION_ENV } from "../../shared/aws/migration.js";
import { fileSystemGuard } from "../../shared/guards/file-system.js";
import { RECORD_KEY_ENV } from "../../shared/migration/record.js";
import { deployedDeps } from "../../shared/pipeline/deps.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";

/** efs-encrypted-at-rest, efs-tls-enforced, efs-backup-enabled, efs-policy-not-public: file system changes. */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardEventHandler(guard, deps);
}

export const handler = createHandler(
  fileSystemGuard({
    migrationStateMachineArn: process.env[MIGRATION_ENV] || undefined,
    recordKeyArn: process.env[RECORD_KEY_ENV] || undefined,
  }),
  await deployedDeps(),
);
