import { nfsIngressGuard } from "../../shared/guards/nfs-ingress.js";
import { deployedDeps } from "../../shared/pipeline/deps.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";

/** efs-nfs-ingress-restricted: security group rule and mount target security group changes. */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardEventHandler(guard, deps);
}

export const handler = createHandler(nfsIngressGuard(), await deployedDeps());
