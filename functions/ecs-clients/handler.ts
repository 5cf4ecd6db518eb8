import { ecsClientsGuard } from "../../shared/guards/ecs-clients.js";
import { deployedDeps } from "../../shared/pipeline/deps.js";
import { type PipelineDeps, processEvent } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { guardHandler } from "../../shared/runtime/middleware.js";

/** efs-clients-use-tls: every new ECS task definition revision, re-read, alerted when it mounts EFS without TLS. */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardHandler(async (event: unknown) => processEvent(event, guard, deps));
}

export const handler = createHandler(ecsClientsGuard(), await deployedDeps());
