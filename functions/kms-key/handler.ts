import { kmsKeyGuard } from "../../shared/guards/kms-key.js";
import { deployedDeps } from "../../shared/pipeline/deps.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";

/** efs-key-rotation-enabled and efs-key-usable: rotation off, key disabled or scheduled for deletion, new file system. */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardEventHandler(guard, deps);
}

export const handler = createHandler(kmsKeyGuard(), await deployedDeps());
