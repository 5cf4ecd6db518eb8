import { EC2Client } from "@aws-sdk/client-ec2";
import { EFSClient } from "@aws-sdk/client-efs";
import { KMSClient } from "@aws-sdk/client-kms";
import { tagAuditGuard } from "../../shared/guards/tag-audit.js";
import { deployedAlertSender, deployedDeps } from "../../shared/pipeline/deps.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import { withMembers } from "../../shared/pipeline/members.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";

/**
 * efs-guard-tags-audited: every change of an efs-guard:* tag on a security group, file system or KMS key. In the
 * hub, in the event's account: the same guard with that account's EC2, EFS and KMS clients (its member role).
 */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardEventHandler(guard, deps, (functionArn) =>
    withMembers(deps, functionArn, guard.name, deployedAlertSender(), (access, account) =>
      tagAuditGuard({
        ec2: access.clients(account, (settings) => new EC2Client(settings)),
        efs: access.clients(account, (settings) => new EFSClient(settings)),
        kms: access.clients(account, (settings) => new KMSClient(settings)),
      }),
    ),
  );
}

export const handler = createHandler(tagAuditGuard(), await deployedDeps());
