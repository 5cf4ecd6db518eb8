import type { SNSClient } from "@aws-sdk/client-sns";
import { publishChatbot } from "../notify/publish.js";
import { type MigrationBase, type PerRegion, type StepEvent, step } from "./deps.js";
import {
  approvalRequestMessage,
  CONTROL,
  failedMessage,
  type MigrationNotice,
  migratedMessage,
  rejectedMessage,
  severityOf,
  timedOutMessage,
} from "./messages.js";
import type { ApprovalRequest, MigrationState } from "./types.js";

/** The approval request and the end-of-run notices: the steps that publish, and only publish. */

export interface NoticeDeps extends MigrationBase {
  sns: PerRegion<SNSClient>;
}

/** Step 2: tells the approvers, with the exact commands; the state machine then waits for the task token. */
export async function requestApproval(request: ApprovalRequest, deps: NoticeDeps): Promise<{ published: string }> {
  return step(async () => {
    const { state, executionArn } = request;
    const message = approvalRequestMessage(
      state,
      { executionArn, approvalTimeout: deps.config.approvalTimeout },
      state.target?.kmsKeyArn ?? deps.kmsKeyArn,
      deps.config.migrationStrategy,
      deps.config.safetyBackupRetentionDays,
    );
    await publishChatbot(deps.sns(deps.topicArn.split(":")[3] ?? state.region), deps.topicArn, message, {
      control: CONTROL,
      severity: severityOf("approval-requested", state),
      outcome: "approval-requested",
    });
    return { published: message.id };
  });
}

export type NotifyKind = "migrated" | "failed" | "rejected" | "timed-out";

const NOTICE: Record<NotifyKind, MigrationNotice> = {
  migrated: "migrated",
  failed: "migration-failed",
  rejected: "migration-rejected",
  "timed-out": "approval-timed-out",
};

/** The end of every path: one message saying how it ended, where things are and what to do next. */
export async function notify(
  event: StepEvent & { kind: NotifyKind },
  deps: NoticeDeps,
): Promise<MigrationState & { notified: MigrationNotice }> {
  return step(async () => {
    const ctx = {
      executionArn: event.executionArn,
      approvalTimeout: deps.config.approvalTimeout,
      safetyBackupRetentionDays: deps.config.safetyBackupRetentionDays,
    };
    const state = event.state;
    const message =
      event.kind === "migrated"
        ? migratedMessage(state, ctx)
        : event.kind === "rejected"
          ? rejectedMessage(state, ctx)
          : event.kind === "timed-out"
            ? timedOutMessage(state, ctx)
            : failedMessage(state, ctx);
    const notice = NOTICE[event.kind];
    await publishChatbot(deps.sns(deps.topicArn.split(":")[3] ?? state.region), deps.topicArn, message, {
      control: CONTROL,
      severity: severityOf(notice),
      outcome: notice,
    });
    return { ...state, notified: notice };
  });
}
