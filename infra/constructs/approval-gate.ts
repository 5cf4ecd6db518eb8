import { Duration } from "aws-cdk-lib";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import {
  Choice,
  Condition,
  type IChainable,
  IntegrationPattern,
  JsonPath,
  Pass,
  type RetryProps,
  TaskInput,
  Timeout,
} from "aws-cdk-lib/aws-stepfunctions";
import { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import { MAX_APPROVAL_ROUNDS } from "../../shared/migration/approval.js";
import { ERRORS } from "../../shared/migration/types.js";

/** The name `efs-guard approve` looks for in the execution history (shared/aws/approvals.ts). */
export const AWAIT_APPROVAL_STATE = "Await approval";

export interface ApprovalGateProps {
  /** Publishes the approval request; the state waits on its task token. */
  requestFn: IFunction;
  /** Has AWS STS verify who answered (functions/migration/verify-approval). */
  verifyFn: IFunction;
  timeoutSeconds: number;
  /** The workflow's retry of transient errors (Lambda service errors, EfsGuard.Retryable), on every task. */
  retry: RetryProps;
  /** What follows a verified approval. */
  onApproved: IChainable;
  /** Where a verified rejection and a timeout go (the notify steps, then Fail). */
  onRejected: IChainable;
  onTimedOut: IChainable;
  /** Routes a state's unexpected failure to the failure notice (the workflow's catch-all). */
  catchAll: (state: LambdaInvoke, name: string) => void;
  /** A Pass that records an error and routes to the failure notice as if the named state had failed. */
  failWith: (id: string, error: string, cause: string, failedAt: string) => IChainable;
}

/**
 * The approval of the migration (issue 11 item 6): ask, wait for a task token, then verify who answered before
 * anything else happens. Whoever holds the token can answer, so the answer itself proves its sender (see
 * shared/migration/approval.ts): a verified approval continues with `onApproved`, a verified rejection ends the run,
 * and a refused answer is alerted (by the verify step) and asked again, at most MAX_APPROVAL_ROUNDS times.
 *
 * Round 1 -> Await approval -> Verify approval | Verify rejection -> Answer verified?
 *   approved -> onApproved; rejected -> onRejected; refused -> round + 1 -> Await approval (or, after the last
 *   round, the failure notice with EfsGuard.ApprovalRefused).
 */
export class ApprovalGate extends Construct {
  /** The first state of the gate. */
  readonly start: Pass;

  constructor(scope: Construct, id: string, props: ApprovalGateProps) {
    super(scope, id);
    this.start = new Pass(this, "Approval round 1", { parameters: { n: 1 }, resultPath: "$.approvalRound" });
    const nextRound = new Pass(this, "Approval round + 1", {
      parameters: { n: JsonPath.mathAdd(JsonPath.numberAt("$.approvalRound.n"), 1) },
      resultPath: "$.approvalRound",
    });
    const wait = new LambdaInvoke(this, AWAIT_APPROVAL_STATE, {
      stateName: AWAIT_APPROVAL_STATE,
      lambdaFunction: props.requestFn,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({
        taskToken: JsonPath.taskToken,
        executionArn: JsonPath.executionId,
        state: JsonPath.entirePayload,
      }),
      taskTimeout: Timeout.duration(Duration.seconds(props.timeoutSeconds)),
      resultPath: "$.answer",
      retryOnServiceExceptions: false,
    });
    wait.addRetry(props.retry);
    const verify = (name: string, decision: "approve" | "reject") => {
      const step = new LambdaInvoke(this, name, {
        stateName: name,
        lambdaFunction: props.verifyFn,
        payload: TaskInput.fromObject({ state: JsonPath.entirePayload, executionArn: JsonPath.executionId, decision }),
        outputPath: "$.Payload",
        retryOnServiceExceptions: false,
      });
      step.addRetry({
        errors: [ERRORS.verifierUnavailable],
        interval: Duration.seconds(5),
        maxAttempts: 6,
        backoffRate: 2,
      });
      step.addRetry(props.retry);
      props.catchAll(step, name);
      return step;
    };
    const verifyApproval = verify("Verify approval", "approve");
    const verifyRejection = verify("Verify rejection", "reject");
    wait.addCatch(verifyRejection, { errors: [ERRORS.rejected], resultPath: "$.answerError" });
    wait.addCatch(props.onTimedOut, { errors: ["States.Timeout", "States.HeartbeatTimeout"], resultPath: "$.error" });
    props.catchAll(wait, AWAIT_APPROVAL_STATE);

    const verified = (decision: string) =>
      Condition.and(
        Condition.booleanEquals("$.answerCheck.verified", true),
        Condition.stringEquals("$.answerCheck.decision", decision),
      );
    const verdict = new Choice(this, "Answer verified?")
      .when(verified("approve"), props.onApproved)
      .when(verified("reject"), props.onRejected)
      .when(
        Condition.numberGreaterThanEquals("$.approvalRound.n", MAX_APPROVAL_ROUNDS),
        props.failWith(
          "Answers refused",
          ERRORS.approvalRefused,
          `${MAX_APPROVAL_ROUNDS} answers in a row could not be verified as an approver's; each was alerted`,
          AWAIT_APPROVAL_STATE,
        ),
      );
    this.start.next(wait).next(verifyApproval).next(verdict);
    verifyRejection.next(verdict);
    verdict.otherwise(nextRound.next(wait));
  }
}
