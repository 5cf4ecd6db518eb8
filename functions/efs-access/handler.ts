import { efsAccessGuard } from "../../shared/guards/efs-access.js";
import { deployedDeps } from "../../shared/pipeline/deps.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";

/** efs-iam-authorization-required, efs-root-access-restricted, efs-access-point-enforced. Alert only, read only. */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardEventHandler(guard, deps);
}

export const handler = createHandler(efsAccessGuard(), await deployedDeps());
