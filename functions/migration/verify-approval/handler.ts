import { deployedApprovalDeps, type VerifyEvent, verifyAnswer } from "../../../shared/migration/verify-approval.js";
import { guardHandler } from "../../../shared/runtime/middleware.js";

/** After "Await approval": has AWS STS verify who answered; refuses (and alerts) any other answer. */
const deps = deployedApprovalDeps();
export const handler = guardHandler(async (event: VerifyEvent) => verifyAnswer(event, deps));
