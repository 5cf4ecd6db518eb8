import { EFSClient } from "@aws-sdk/client-efs";
import { KMSClient } from "@aws-sdk/client-kms";
import { MIGRATION_ENV, sfnClient } from "../../shared/aws/migration.js";
import { fileSystemGuard } from "../../shared/guards/file-system.js";
import { RECORD_KEY_ENV } from "../../shared/migration/record.js";
import { deployedAlertSender, deployedDeps } from "../../shared/pipeline/deps.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import { withMembers } from "../../shared/pipeline/members.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";

/**
 * efs-encrypted-at-rest, efs-tls-enforced, efs-backup-enabled, efs-policy-not-public: file system changes. In the
 * hub, in the event's account: the same guard with that account's EFS, KMS and Step Functions clients (its member
 * role), so the TLS deny merge, the backup policy and the key check all happen in that account. The migration
 * workflow is the hub's own: the member's guard starts it with the hub's Step Functions client and the account in
 * the input (the steps act in the member through its migration role, docs/organizations.md). The record key is the
 * hub's too, and the member's KMS client cannot verify with it: the member guard has none.
 */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardEventHandler(guard, deps, (functionArn) =>
    withMembers(deps, functionArn, guard.name, deployedAlertSender(), (access, account) =>
      fileSystemGuard({
        clients: {
          efs: access.clients(account, (settings) => new EFSClient(settings)),
          kms: access.clients(account, (settings) => new KMSClient(settings)),
          sfn: sfnClient,
        },
        migrationStateMachineArn: process.env[MIGRATION_ENV] || undefined,
        memberAccount: account,
      }),
    ),
  );
}

export const handler = createHandler(
  fileSystemGuard({
    migrationStateMachineArn: process.env[MIGRATION_ENV] || undefined,
    recordKeyArn: process.env[RECORD_KEY_ENV] || undefined,
  }),
  await deployedDeps(),
);
