import { EFSClient } from "@aws-sdk/client-efs";
import { KMSClient } from "@aws-sdk/client-kms";
import { kmsKeyGuard } from "../../shared/guards/kms-key.js";
import { deployedAlertSender, deployedDeps } from "../../shared/pipeline/deps.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import { withMembers } from "../../shared/pipeline/members.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";

/**
 * efs-key-rotation-enabled and efs-key-usable: rotation off, key disabled or scheduled for deletion, new file system.
 * In the hub, in the event's account: the same guard with that account's KMS and EFS clients (its member role).
 */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardEventHandler(guard, deps, (functionArn) =>
    withMembers(deps, functionArn, guard.name, deployedAlertSender(), (access, account) =>
      kmsKeyGuard({
        kms: access.clients(account, (settings) => new KMSClient(settings)),
        efs: access.clients(account, (settings) => new EFSClient(settings)),
      }),
    ),
  );
}

export const handler = createHandler(kmsKeyGuard(), await deployedDeps());
