import type { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import { presentStatement } from "../aws/approval-statements.js";
import { clientConfig, perRegion } from "../aws/sdk-config.js";
import { configFromEnv, type GuardConfig } from "../config/schema.js";
import { publishChatbot, snsClient } from "../notify/publish.js";
import { type Clock, systemClock } from "../runtime/clock.js";
import { ConfigError, errorMessage, GuardError } from "../runtime/errors.js";
import { logger } from "../runtime/logger.js";
import {
  APPROVER_ROLE_ENV,
  bindingFor,
  type Decision,
  inspectStatement,
  type Judgement,
  judge,
  MAX_APPROVAL_ROUNDS,
  parseAnswer,
  type SignedRequest,
  type StatementResult,
} from "./approval.js";
import { answerRefusedMessage, CONTROL, severityOf } from "./messages.js";
import { ERRORS, type MigrationState, MigrationStepError } from "./types.js";

/**
 * The migration's verify step after "Await approval": who sent the answer, as AWS STS says (approval.ts explains the
 * statements). A verified approval or rejection goes on with the approver's identity in the state (and so in every
 * later notice); a refused answer is alerted, and the state machine asks again.
 */

export interface ApprovalDeps {
  config: GuardConfig;
  clock: Clock;
  /** The STS client of the region the state machine runs in: statements must be signed for its endpoint. */
  sts: STSClient;
  sns: (region: string) => SNSClient;
  topicArn: string;
  approverRoleArn: string;
}

const stsClient = perRegion((region) => new STSClient(clientConfig(region)));

export function deployedApprovalDeps(env: NodeJS.ProcessEnv = process.env): ApprovalDeps {
  const config = configFromEnv(env);
  const missing = ["ALERTS_TOPIC_ARN", APPROVER_ROLE_ENV, "AWS_REGION"].filter((k) => !env[k]);
  if (missing.length > 0) throw new ConfigError(missing.map((k) => `${k} is not set`));
  return {
    config,
    clock: systemClock,
    sts: stsClient(env.AWS_REGION!),
    sns: snsClient,
    topicArn: env.ALERTS_TOPIC_ARN!,
    approverRoleArn: env[APPROVER_ROLE_ENV]!,
  };
}

export interface VerifyEvent {
  state: MigrationState;
  executionArn: string;
  decision: Decision;
}

async function present(
  deps: ApprovalDeps,
  statement: SignedRequest,
  binding: string,
  now: Date,
): Promise<StatementResult> {
  const facts = inspectStatement(statement, binding, now);
  if ("refused" in facts) return facts;
  try {
    return await presentStatement(deps.sts, statement);
  } catch (error) {
    if (error instanceof GuardError && error.retryable) {
      // Named for the state's Retry: STS throttled or failed, the answer itself may be fine.
      throw new MigrationStepError(ERRORS.verifierUnavailable, errorMessage(error));
    }
    throw error;
  }
}

export async function verifyAnswer(event: VerifyEvent, deps: ApprovalDeps): Promise<MigrationState> {
  const { executionArn, decision } = event;
  const { answer: _answer, answerError, ...state } = event.state;
  const round = state.approvalRound?.n ?? 1;
  const raw = decision === "approve" ? _answer : answerError?.Cause;
  const parsed = parseAnswer(raw);
  const now = deps.clock.now();
  const homeAccount = deps.approverRoleArn.split(":")[4] ?? "";
  const approverRoleName = deps.approverRoleArn.split("/").at(-1) ?? "";
  let judgement: Judgement;
  let text: string | undefined;
  if ("error" in parsed) {
    judgement = { decision, verified: false, reason: parsed.error };
  } else if (parsed.decision !== decision) {
    judgement = { decision, verified: false, reason: `the answer says ${parsed.decision} but was sent as ${decision}` };
  } else if (parsed.round !== round) {
    judgement = {
      decision,
      verified: false,
      reason: `the answer is for approval round ${parsed.round}, this is round ${round}`,
    };
  } else {
    text = parsed.text;
    const binding = bindingFor({ decision, executionArn, round, text });
    const [identity, role] = await Promise.all([
      present(deps, parsed.statements.identity, binding, now),
      present(deps, parsed.statements.role, binding, now),
    ]);
    judgement = judge({
      decision,
      identity,
      role,
      approvers: deps.config.approvers,
      homeAccount,
      approverRoleName,
      requireSeparateApprover: deps.config.requireSeparateApprover,
      creator: state.createdBy,
    });
  }
  const answerCheck = {
    decision,
    round,
    verified: judgement.verified,
    ...(judgement.by ? { by: judgement.by } : {}),
    ...(judgement.via ? { via: judgement.via } : {}),
    ...(judgement.reason ? { reason: judgement.reason } : {}),
  };
  // One decision line, with the execution as the event id (what an answer belongs to).
  logger.info("decision", {
    control: CONTROL,
    resource: state.fileSystemId,
    eventId: executionArn,
    action: judgement.verified ? (decision === "approve" ? "approved" : "rejected") : "answer-refused",
    ...answerCheck,
    createdBy: state.createdBy?.arn,
  });
  const at = now.toISOString();
  if (judgement.verified && decision === "approve") {
    return {
      ...state,
      answerCheck,
      approval: {
        approvedBy: judgement.by!,
        approvedAt: at,
        ...(text ? { comment: text } : {}),
        via: judgement.via!,
        verifiedBy: "sts:GetCallerIdentity",
      },
    };
  }
  if (judgement.verified) {
    const reason = text ?? "no reason given";
    return {
      ...state,
      answerCheck,
      rejection: {
        rejectedBy: judgement.by!,
        rejectedAt: at,
        reason,
        via: judgement.via!,
        verifiedBy: "sts:GetCallerIdentity",
      },
      error: { Error: ERRORS.rejected, Cause: `rejected by ${judgement.by}: ${reason}` },
    };
  }
  const message = answerRefusedMessage(
    state,
    { executionArn, approvalTimeout: deps.config.approvalTimeout },
    answerCheck,
    {
      maxRounds: MAX_APPROVAL_ROUNDS,
    },
  );
  await publishChatbot(deps.sns(deps.topicArn.split(":")[3] ?? state.region), deps.topicArn, message, {
    control: CONTROL,
    severity: severityOf("approval-refused"),
    outcome: "approval-refused",
  });
  return { ...state, answerCheck };
}
