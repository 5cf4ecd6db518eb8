import { ECSClient } from "@aws-sdk/client-ecs";
import { ecsClientsGuard } from "../../shared/guards/ecs-clients.js";
import { deployedAlertSender, deployedDeps } from "../../shared/pipeline/deps.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import { withMembers } from "../../shared/pipeline/members.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";

/**
 * efs-clients-use-tls: every new ECS task definition revision, re-read, alerted when it mounts EFS without TLS. In
 * the hub, in the event's account: the same guard with that account's ECS client (its member role).
 */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardEventHandler(guard, deps, (functionArn) =>
    withMembers(deps, functionArn, guard.name, deployedAlertSender(), (access, account) =>
      ecsClientsGuard({ ecs: access.clients(account, (settings) => new ECSClient(settings)) }),
    ),
  );
}

export const handler = createHandler(ecsClientsGuard(), await deployedDeps());
