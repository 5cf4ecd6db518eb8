import { ECSClient } from "@aws-sdk/client-ecs";
import { EFSClient } from "@aws-sdk/client-efs";
import { ecsClient } from "../../shared/aws/ecs.js";
import { efsClient } from "../../shared/aws/efs.js";
import { ecsClientsGuard } from "../../shared/guards/ecs-clients.js";
import { tlsEnforcementGuard, withTlsEnforcement } from "../../shared/guards/tls-enforcement.js";
import { deployedAlertSender, deployedDeps } from "../../shared/pipeline/deps.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import { withMembers } from "../../shared/pipeline/members.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";

/**
 * efs-clients-use-tls: every new ECS task definition revision, re-read, alerted when it mounts EFS without TLS. And,
 * while tlsEnforcement is "unless-clients-break", efs-tls-enforced on its events: the TLS deny is written only after
 * the lookup of the ECS clients it would cut off (shared/guards/tls-enforcement.ts), here because this function
 * already carries the ECS client. In the hub, in the event's account: the same guards with that account's ECS and
 * EFS clients (its member role).
 */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardEventHandler(guard, deps, (functionArn) =>
    withMembers(deps, functionArn, guard.name, deployedAlertSender(), (access, account) => {
      const ecs = access.clients(account, (settings) => new ECSClient(settings));
      const efs = access.clients(account, (settings) => new EFSClient(settings));
      return withTlsEnforcement(ecsClientsGuard({ ecs }), tlsEnforcementGuard({ ecs, efs }));
    }),
  );
}

export const handler = createHandler(
  withTlsEnforcement(ecsClientsGuard(), tlsEnforcementGuard({ ecs: ecsClient, efs: efsClient })),
  await deployedDeps(),
);
