import { nfsIngressGuard } from "../../shared/guards/nfs-ingress.js";
import { deployedDeps } from "../../shared/pipeline/deps.js";
import { type PipelineDeps, processEvent } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { guardHandler } from "../../shared/runtime/middleware.js";

/** efs-nfs-ingress-restricted: security group rule and mount target security group changes. */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardHandler(async (event: unknown) => processEvent(event, guard, deps));
}

export const handler = createHandler(nfsIngressGuard(), await deployedDeps());
