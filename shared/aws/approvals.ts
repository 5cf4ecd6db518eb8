import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandOutput,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from "@aws-sdk/client-sfn";
import { type ApprovalAnswer, bindingFor, type Decision, type SignedRequest } from "../migration/approval.js";
import type { AnswerCheck } from "../migration/types.js";
import { GuardError } from "../runtime/errors.js";
import { awsErrorCode, call } from "./errors.js";
import { executionArnFor, MIGRATION_ENV } from "./migration.js";

/**
 * Approvals of the migration workflow: find the task token the approval state waits on (in the execution's
 * history) and answer it with a signed answer (shared/migration/approval.ts). The token alone decides nothing:
 * SendTaskSuccess / SendTaskFailure cannot be scoped to a state machine by IAM, so the workflow verifies who
 * answered from the answer's signatures and refuses the rest.
 */

export const APPROVAL_STATE = "Await approval";
export const REJECTED_ERROR = "EfsGuard.Rejected";
export const STATE_MACHINE_NAME = "efs-guard-migration";

export class ApprovalError extends GuardError {
  constructor(message: string) {
    super("REMEDIATION_FAILED", message);
    this.name = "ApprovalError";
  }
}

/** The state machine: given, from the environment, or found by its name (the stack fixes it). */
export async function migrationStateMachineArn(sfn: SFNClient, given?: string): Promise<string> {
  const explicit = given ?? process.env[MIGRATION_ENV];
  if (explicit) return explicit;
  let nextToken: string | undefined;
  do {
    const page = await call("states:ListStateMachines", () =>
      sfn.send(new ListStateMachinesCommand({ ...(nextToken ? { nextToken } : {}) })),
    );
    const found = page.stateMachines?.find((m) => m.name === STATE_MACHINE_NAME);
    if (found?.stateMachineArn) return found.stateMachineArn;
    nextToken = page.nextToken;
  } while (nextToken);
  throw new ApprovalError(
    `no state machine named ${STATE_MACHINE_NAME} in this region: is EFS Guard deployed here? Pass the execution ARN, or --state-machine ARN, or set ${MIGRATION_ENV}`,
  );
}

/** <execution> may be the execution ARN, its name, or the id of the file system being migrated. */
export async function resolveExecution(sfn: SFNClient, ref: string, stateMachineArn?: string): Promise<string> {
  if (ref.startsWith("arn:")) {
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(ref)) {
      throw new ApprovalError(
        `${ref} is not a Step Functions execution ARN (arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME)`,
      );
    }
    return ref;
  }
  const machine = await migrationStateMachineArn(sfn, stateMachineArn);
  if (/^fs-[0-9a-f]{8,40}$/.test(ref)) {
    const running: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await call("states:ListExecutions", () =>
        sfn.send(
          new ListExecutionsCommand({
            stateMachineArn: machine,
            statusFilter: "RUNNING",
            ...(nextToken ? { nextToken } : {}),
          }),
        ),
      );
      for (const e of page.executions ?? []) {
        if (e.name === `efs-guard-migrate-${ref}` || e.name?.startsWith(`efs-guard-migrate-${ref}-`))
          running.push(e.executionArn!);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    if (running.length === 0) throw new ApprovalError(`no migration of ${ref} is running in ${machine}`);
    if (running.length > 1)
      throw new ApprovalError(`several migrations of ${ref} are running: ${running.join(", ")}; name one`);
    return running[0]!;
  }
  return executionArnFor(machine, ref);
}

/** Events that end one attempt of a task. */
const ATTEMPT_ENDS = new Set(["TaskSucceeded", "TaskFailed", "TaskTimedOut", "TaskStartFailed", "TaskSubmitFailed"]);

export interface PendingApproval {
  executionArn: string;
  taskToken: string;
  /** The approval round the token belongs to (a refused answer makes the workflow ask again). */
  round: number;
  waitingSince?: Date;
  fileSystemId?: string;
}

async function history(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page: GetExecutionHistoryCommandOutput = await call("states:GetExecutionHistory", () =>
      sfn.send(
        new GetExecutionHistoryCommand({
          executionArn,
          maxResults: 1000,
          includeExecutionData: true,
          ...(nextToken ? { nextToken } : {}),
        }),
      ),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** The token the approval state is waiting on now, or an error saying why there is none. */
export async function pendingApproval(sfn: SFNClient, executionArn: string): Promise<PendingApproval> {
  let status: string | undefined;
  try {
    status = (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status;
  } catch (error) {
    if (awsErrorCode(error) === "ExecutionDoesNotExist")
      throw new ApprovalError(`execution ${executionArn} does not exist`);
    return call("states:DescribeExecution", () => Promise.reject(error));
  }
  if (status !== "RUNNING")
    throw new ApprovalError(`execution ${executionArn} is ${status}: there is nothing to approve or reject`);
  const events = await history(sfn, executionArn);
  const entered = events.findLastIndex(
    (e) => e.type === "TaskStateEntered" && e.stateEnteredEventDetails?.name === APPROVAL_STATE,
  );
  if (entered < 0) {
    throw new ApprovalError(
      `execution ${executionArn} has not reached approval yet (the capture step may still be running); try again later`,
    );
  }
  const after = events.slice(entered + 1);
  if (after.some((e) => e.type === "TaskStateExited")) {
    throw new ApprovalError(`execution ${executionArn} is past its approval step`);
  }
  // Each attempt of the state is scheduled with its own token; a retried attempt (Lambda service error, Retry)
  // leaves TaskScheduled, TaskFailed, TaskScheduled: only the last scheduled attempt can still be open.
  const last = after.findLastIndex((e) => e.type === "TaskScheduled");
  const closed = after.slice(last + 1).find((e) => ATTEMPT_ENDS.has(e.type ?? ""));
  if (last >= 0 && closed) {
    if (closed.type === "TaskTimedOut") throw new ApprovalError(`the approval of ${executionArn} already timed out`);
    if (closed.type === "TaskSucceeded")
      throw new ApprovalError(`the approval of ${executionArn} was already answered`);
    throw new ApprovalError(
      `the approval step of ${executionArn} failed (${closed.taskFailedEventDetails?.error ?? closed.type}); if it is retried a new request follows: try again in a few seconds`,
    );
  }
  const parameters = last >= 0 ? after[last]?.taskScheduledEventDetails?.parameters : undefined;
  let taskToken: string | undefined;
  let fileSystemId: string | undefined;
  let round = 1;
  if (parameters) {
    const parsed = JSON.parse(parameters) as {
      Payload?: { taskToken?: string; state?: { fileSystemId?: string; approvalRound?: { n?: number } } };
    };
    taskToken = parsed.Payload?.taskToken;
    fileSystemId = parsed.Payload?.state?.fileSystemId;
    round = parsed.Payload?.state?.approvalRound?.n ?? 1;
  }
  if (!taskToken)
    throw new ApprovalError(
      `execution ${executionArn} waits for approval but its history shows no task token yet; try again in a few seconds`,
    );
  const when = events[entered]?.timestamp;
  return {
    executionArn,
    taskToken,
    round,
    ...(when ? { waitingSince: when } : {}),
    ...(fileSystemId ? { fileSystemId } : {}),
  };
}

function explain(error: unknown, executionArn: string): never {
  const code = awsErrorCode((error as { cause?: unknown }).cause ?? error);
  if (code === "TaskTimedOut") throw new ApprovalError(`the approval of ${executionArn} already timed out`);
  if (code === "TaskDoesNotExist" || code === "InvalidToken") {
    throw new ApprovalError(`the approval of ${executionArn} was already answered (or the execution moved on)`);
  }
  if (code === "AccessDeniedException") {
    throw new ApprovalError(
      `the approver role may not answer here (${code}): is it the stack's efs-guard-approver role, in the home region?`,
    );
  }
  throw error;
}

/** Signs the binding of an answer twice: with the approver's own credentials and with the approver role's. */
export type Signer = (binding: string) => Promise<{ identity: SignedRequest; role: SignedRequest }>;

/**
 * Answers the waiting approval with the decision, its text (comment or reason) and the two signed statements that
 * let the workflow verify who answered (shared/migration/approval.ts). Approve: SendTaskSuccess with the answer as
 * output; reject: SendTaskFailure with EfsGuard.Rejected and the answer as cause.
 */
export async function answerApproval(
  sfn: SFNClient,
  executionArn: string,
  decision: Decision,
  text: string | undefined,
  sign: Signer,
): Promise<PendingApproval> {
  const pending = await pendingApproval(sfn, executionArn);
  const binding = bindingFor({ decision, executionArn, round: pending.round, text });
  const answer: ApprovalAnswer = {
    v: 1,
    decision,
    round: pending.round,
    ...(text ? { text } : {}),
    statements: await sign(binding),
  };
  try {
    if (decision === "approve") {
      await call("states:SendTaskSuccess", () =>
        sfn.send(new SendTaskSuccessCommand({ taskToken: pending.taskToken, output: JSON.stringify(answer) })),
      );
    } else {
      await call("states:SendTaskFailure", () =>
        sfn.send(
          new SendTaskFailureCommand({
            taskToken: pending.taskToken,
            error: REJECTED_ERROR,
            cause: JSON.stringify(answer),
          }),
        ),
      );
    }
  } catch (error) {
    explain(error, executionArn);
  }
  return pending;
}

const VERIFY_STATES = new Set(["Verify approval", "Verify rejection"]);

/**
 * What the workflow's verify step concluded about the answer of `round`, read from the execution history; undefined
 * when it has not yet run within `timeoutMs`.
 */
export async function awaitVerdict(
  sfn: SFNClient,
  executionArn: string,
  round: number,
  timeoutMs = 60_000,
  pollMs = 1_000,
): Promise<AnswerCheck | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await call("states:GetExecutionHistory", () =>
      sfn.send(
        new GetExecutionHistoryCommand({
          executionArn,
          reverseOrder: true,
          maxResults: 100,
          includeExecutionData: true,
        }),
      ),
    );
    for (const e of page.events ?? []) {
      const exited = e.stateExitedEventDetails;
      if (e.type !== "TaskStateExited" || !exited?.name || !VERIFY_STATES.has(exited.name) || !exited.output) continue;
      const check = (JSON.parse(exited.output) as { answerCheck?: AnswerCheck }).answerCheck;
      if (check?.round === round) return check;
    }
    if (Date.now() + pollMs > deadline) return undefined;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
