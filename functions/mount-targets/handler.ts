import { EC2Client } from "@aws-sdk/client-ec2";
import { EFSClient } from "@aws-sdk/client-efs";
import { mountTargetsGuard } from "../../shared/guards/mount-targets.js";
import { deployedAlertSender, deployedDeps } from "../../shared/pipeline/deps.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import { withMembers } from "../../shared/pipeline/members.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";

/**
 * efs-mount-target-private: a new mount target, and the subnet and route table changes that can make a mount
 * target's subnet public. Alert only. In the hub, in the event's account: the same guard with that account's EC2
 * and EFS clients (its member role).
 */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardEventHandler(guard, deps, (functionArn) =>
    withMembers(deps, functionArn, guard.name, deployedAlertSender(), (access, account) =>
      mountTargetsGuard({
        ec2: access.clients(account, (settings) => new EC2Client(settings)),
        efs: access.clients(account, (settings) => new EFSClient(settings)),
      }),
    ),
  );
}

export const handler = createHandler(mountTargetsGuard(), await deployedDeps());
