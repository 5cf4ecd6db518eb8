import { deployedMigrationDeps, requestApproval } from "../../../shared/migration/steps.js";
import type { ApprovalRequest } from "../../../shared/migration/types.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** Migration step 3: asks the approvers; the state machine waits for the task token this message carries. */
const deps = await deployedMigrationDeps();
export const handler = guardHandler(async (event: ApprovalRequest) => requestApproval(event, deps));
