import { migrationBaseFromEnv } from "../../../shared/migration/deps.js";
import { requestApproval } from "../../../shared/migration/notices.js";
import type { ApprovalRequest } from "../../../shared/migration/types.js";
import { snsClient } from "../../../shared/notify/publish.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** Migration step 2: asks the approvers; the state machine waits for the task token this message carries. */
const deps = { ...migrationBaseFromEnv(), sns: snsClient };
export const handler = guardHandler(async (event: ApprovalRequest) => requestApproval(event, deps));
