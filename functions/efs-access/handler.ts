import { EFSClient } from "@aws-sdk/client-efs";
import { KMSClient } from "@aws-sdk/client-kms";
import { efsAccessGuard } from "../../shared/guards/efs-access.js";
import { deployedAlertSender, deployedDeps } from "../../shared/pipeline/deps.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import { withMembers } from "../../shared/pipeline/members.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";

/**
 * efs-iam-authorization-required, efs-root-access-restricted, efs-access-point-enforced, efs-replica-encrypted and,
 * on CreateFileSystem, efs-key-policy-restricted. Alert only, read only. In the hub, in the event's account: the same
 * guard with that account's EFS and KMS clients (its member role).
 */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardEventHandler(guard, deps, (functionArn) =>
    withMembers(deps, functionArn, guard.name, deployedAlertSender(), (access, account) =>
      efsAccessGuard({
        efs: access.clients(account, (settings) => new EFSClient(settings)),
        kms: access.clients(account, (settings) => new KMSClient(settings)),
      }),
    ),
  );
}

export const handler = createHandler(efsAccessGuard(), await deployedDeps());
