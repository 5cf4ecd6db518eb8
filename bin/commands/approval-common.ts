import { signStatement } from "../../shared/aws/approval-statements.js";
import { ApprovalError, answerApproval, awaitVerdict, resolveExecution } from "../../shared/aws/approvals.js";
import { approverSession } from "../../shared/aws/approver-session.js";
import type { Decision } from "../../shared/migration/approval.js";
import type { Io } from "./types.js";

/** Shared by approve and reject: the region, the answer and its verification. */
export function regionFor(execution: string, given?: string): string {
  if (given) return given;
  if (execution.startsWith("arn:")) {
    const region = execution.split(":")[3];
    if (region) return region;
  }
  const env = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!env) throw new ApprovalError("no region: pass --region, set AWS_REGION, or give the execution ARN");
  return env;
}

export interface AnswerOptions {
  region?: string | undefined;
  stateMachine?: string | undefined;
  roleArn?: string | undefined;
  /** How long to wait for the workflow's verdict (ms). */
  waitMs?: number;
}

/**
 * Answers as the caller (their own credentials) through the approver role: assumes it, finds the waiting approval,
 * signs the answer as both, sends it, and reports what the workflow's verify step concluded. Exit code 0 when the
 * workflow accepted the answer (or has not looked yet), 2 when it refused it.
 */
export async function answer(
  decision: Decision,
  ref: string,
  text: string | undefined,
  options: AnswerOptions,
  io: Io,
): Promise<number> {
  const region = regionFor(ref, options.region ?? options.stateMachine?.split(":")[3]);
  const session = await approverSession(region, options.roleArn);
  const executionArn = await resolveExecution(session.sfn, ref, options.stateMachine);
  const pending = await answerApproval(session.sfn, executionArn, decision, text, async (binding) => {
    const [identity, role] = await Promise.all([
      signStatement(session.own, binding),
      signStatement(session.roleSts, binding),
    ]);
    return { identity, role };
  });
  const what = `${decision === "approve" ? "approval" : "rejection"} of ${executionArn}${pending.fileSystemId ? ` (migration of ${pending.fileSystemId})` : ""}`;
  io.err(`sent the ${what} as ${session.me.arn} through ${session.roleArn}; the workflow is verifying it ...`);
  const check = await awaitVerdict(session.sfn, executionArn, pending.round, options.waitMs);
  if (!check) {
    io.out(`sent: ${what}; the workflow has not verified it yet (the next alert says whether it counted)`);
    return 0;
  }
  if (!check.verified) {
    io.err(`efs-guard ${decision}: the workflow refused the answer: ${check.reason}`);
    return 2;
  }
  io.out(`${decision === "approve" ? "approved" : "rejected"}: ${what}, verified by AWS STS as ${check.by}`);
  return 0;
}

/** Errors that name what was wrong and what to do: exit code 2, one line on stderr. */
export function failed(command: string, error: unknown, io: Io): number {
  io.err(`efs-guard ${command}: ${error instanceof Error ? error.message : String(error)}`);
  return 2;
}
