import { tagAuditGuard } from "../../shared/guards/tag-audit.js";
import { deployedDeps } from "../../shared/pipeline/deps.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";

/** efs-guard-tags-audited: every change of an efs-guard:* tag on a security group, file system or KMS key. */
export function createHandler(guard: Guard, deps: PipelineDeps) {
  return guardEventHandler(guard, deps);
}

export const handler = createHandler(tagAuditGuard(), await deployedDeps());
