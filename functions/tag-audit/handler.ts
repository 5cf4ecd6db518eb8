import { tagAuditGuard } from "../../shared/guards/tag-audit.js";
import { deployedDeps } from "../../shared/pipeline/deps.js";
import { type PipelineDeps, processEvent } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { guardHandler } from "../../shared/runtime/middleware.js";

/** efs-guard-tags-audited: every change of an efs-guard:* tag on a security group, file system or KMS key. */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardHandler(async (event: unknown) => processEvent(event, guard, deps));
}

export const handler = createHandler(tagAuditGuard(), deployedDeps());
