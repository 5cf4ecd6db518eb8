import { ecsClientsGuard } from "../../shared/guards/ecs-clients.js";
import { deployedDeps } from "../../shared/pipeline/deps.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";

/** efs-clients-use-tls: every new ECS task definition revision, re-read, alerted when it mounts EFS without TLS. */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardEventHandler(guard, deps);
}

export const handler = createHandler(ecsClientsGuard(), await deployedDeps());
