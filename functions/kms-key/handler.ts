import { kmsKeyGuard } from "../../shared/guards/kms-key.js";
import { deployedDeps } from "../../shared/pipeline/deps.js";
import { type PipelineDeps, processEvent } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { guardHandler } from "../../shared/runtime/middleware.js";

/** efs-key-rotation-enabled and efs-key-usable: rotation off, key disabled or scheduled for deletion, new file system. */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardHandler(async (event: unknown) => processEvent(event, guard, deps));
}

export const handler = createHandler(kmsKeyGuard(), await deployedDeps());
