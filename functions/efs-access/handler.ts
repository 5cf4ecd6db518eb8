import { efsAccessGuard } from "../../shared/guards/efs-access.js";
import { deployedDeps } from "../../shared/pipeline/deps.js";
import { type PipelineDeps, processEvent } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { guardHandler } from "../../shared/runtime/middleware.js";

/** efs-iam-authorization-required, efs-root-access-restricted, efs-access-point-enforced. Alert only, read only. */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardHandler(async (event: unknown) => processEvent(event, guard, deps));
}

export const handler = createHandler(efsAccessGuard(), await deployedDeps());
