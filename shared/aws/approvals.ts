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
import { GuardError } from "../runtime/errors.js";
import { awsErrorCode, call } from "./errors.js";
import { executionArnFor, MIGRATION_ENV } from "./migration.js";

/**
 * Approvals of the migration workflow: find the task token the approval state waits on (in the execution's
 * history) and answer it. Who may answer is IAM's business: states:SendTaskSuccess / SendTaskFailure on the state
 * machine. CloudTrail records the real caller; `approvedBy` in the output is for the notification.
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
      `execution ${executionArn} has not reached approval yet (the safety backup may still be running); try again later`,
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
  if (parameters) {
    const parsed = JSON.parse(parameters) as { Payload?: { taskToken?: string; state?: { fileSystemId?: string } } };
    taskToken = parsed.Payload?.taskToken;
    fileSystemId = parsed.Payload?.state?.fileSystemId;
  }
  if (!taskToken)
    throw new ApprovalError(
      `execution ${executionArn} waits for approval but its history shows no task token yet; try again in a few seconds`,
    );
  const when = events[entered]?.timestamp;
  return {
    executionArn,
    taskToken,
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
      `you may not answer approvals of this state machine: ask for states:SendTaskSuccess / states:SendTaskFailure on it (${code})`,
    );
  }
  throw error;
}

export async function approve(
  sfn: SFNClient,
  executionArn: string,
  by: string,
  comment?: string,
): Promise<PendingApproval> {
  const pending = await pendingApproval(sfn, executionArn);
  const output = JSON.stringify({
    approvedBy: by,
    approvedAt: new Date().toISOString(),
    ...(comment ? { comment } : {}),
  });
  try {
    await call("states:SendTaskSuccess", () =>
      sfn.send(new SendTaskSuccessCommand({ taskToken: pending.taskToken, output })),
    );
  } catch (error) {
    explain(error, executionArn);
  }
  return pending;
}

export async function reject(
  sfn: SFNClient,
  executionArn: string,
  by: string,
  reason: string,
): Promise<PendingApproval> {
  const pending = await pendingApproval(sfn, executionArn);
  try {
    await call("states:SendTaskFailure", () =>
      sfn.send(
        new SendTaskFailureCommand({
          taskToken: pending.taskToken,
          error: REJECTED_ERROR,
          cause: `rejected by ${by}: ${reason}`.slice(0, 32_000),
        }),
      ),
    );
  } catch (error) {
    explain(error, executionArn);
  }
  return pending;
}
