import type { ChatbotMessage } from "../notify/message.js";
import type { AnswerCheck, MigrationState } from "./types.js";

/**
 * The migration's notifications, in the same AWS Chatbot custom-notification format as every other alert. Each
 * says what happened, where things are left, and the exact next commands. Pure: the notify and approval steps
 * publish what these return.
 */

export const CONTROL = "efs-encrypted-at-rest";

export type MigrationNotice =
  | "approval-requested"
  | "migrated"
  | "migration-failed"
  | "migration-rejected"
  | "approval-timed-out"
  | "approval-refused";

const ICON: Record<MigrationNotice, string> = {
  "approval-requested": ":raised_hand:",
  migrated: ":white_check_mark:",
  "migration-failed": ":x:",
  "migration-rejected": ":no_entry_sign:",
  "approval-timed-out": ":hourglass:",
  "approval-refused": ":no_entry:",
};

const SEVERITY: Record<MigrationNotice, string> = {
  "approval-requested": "high",
  migrated: "info",
  "migration-failed": "critical",
  "migration-rejected": "high",
  "approval-timed-out": "high",
  "approval-refused": "high",
};

export interface MessageContext {
  executionArn: string;
  approvalTimeout: string;
}

export function humanBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function executionName(arn: string): string {
  return arn.split(":").at(-1) ?? arn;
}

function region(state: MigrationState): string {
  return state.region;
}

function sourceLines(state: MigrationState): string[] {
  const s = state.source;
  if (!s) return [`*Source:* \`${state.fileSystemId}\` in ${region(state)} (not captured)`];
  const mts = s.mountTargets.map(
    (m) =>
      `\`${m.subnetId}\`${m.availabilityZoneName ? ` (${m.availabilityZoneName})` : ""} with ${m.securityGroups.map((g) => `\`${g}\``).join(", ") || "no security group"}`,
  );
  return [
    `*Source:* \`${s.fileSystemId}\`${s.name ? ` (${s.name})` : ""} in ${region(state)}, ${humanBytes(s.sizeInBytes)}, ${s.encrypted ? `encrypted with ${s.kmsKeyId}` : "NOT encrypted at rest"}`,
    `*Mount targets (${s.mountTargets.length}):* ${mts.join("; ") || "none"}`,
    `*Also captured:* ${s.policy ? "a file system policy" : "no file system policy"}, ${s.accessPoints.length} access point(s), ${s.lifecyclePolicies.length} lifecycle rule(s), backup policy ${s.backupPolicy ?? "none"}, ${Object.keys(s.tags).length} tag(s)`,
  ];
}

function destinationId(state: MigrationState): string | undefined {
  return state.destination?.fileSystemId;
}

function build(
  notice: MigrationNotice,
  state: MigrationState,
  ctx: MessageContext,
  title: string,
  lines: string[],
  nextSteps: string[],
): ChatbotMessage {
  const additionalContext: Record<string, string> = {
    control: CONTROL,
    severity: SEVERITY[notice],
    outcome: notice,
    resource: state.fileSystemId,
    region: state.region,
    execution: ctx.executionArn,
  };
  const dest = destinationId(state);
  if (dest) additionalContext.replacement = dest;
  if (state.backup?.recoveryPointArn) additionalContext.recoveryPoint = state.backup.recoveryPointArn;
  if (state.error?.Error) additionalContext.error = `${state.error.Error}: ${state.error.Cause ?? ""}`.slice(0, 1000);
  return {
    version: "1.0",
    source: "custom",
    id: `${executionName(ctx.executionArn)}:${notice}`,
    content: {
      textType: "client-markdown",
      title: `${ICON[notice]} EFS Guard: ${title}`,
      description: lines.join("\n"),
      nextSteps,
      keywords: [CONTROL, SEVERITY[notice], notice, "EFS.1", "EFS.8"],
    },
    metadata: {
      threadId: `efs-guard-${state.fileSystemId}`,
      summary: `${CONTROL} ${notice} on ${state.fileSystemId}`,
      eventType: "EfsGuardMigration",
      relatedResources: [state.source?.fileSystemArn ?? state.fileSystemId, ...(dest ? [dest] : [])],
      additionalContext,
    },
  };
}

export function severityOf(notice: MigrationNotice): string {
  return SEVERITY[notice];
}

export function approvalRequestMessage(
  state: MigrationState,
  ctx: MessageContext,
  kmsKeyArn: string,
  strategy: string,
): ChatbotMessage {
  const arn = ctx.executionArn;
  const how =
    strategy === "replication"
      ? "EFS replication to a new file system encrypted with the key; the data keeps its paths; the new file system stays read-only until you cut over"
      : "an AWS Backup restore of the safety backup into a new file system encrypted with the key; the data lands in an `aws-backup-restore_<timestamp>` directory at its root";
  return build(
    "approval-requested",
    state,
    ctx,
    `approve the migration of ${state.fileSystemId} to an encrypted file system?`,
    [
      `*Why:* ${state.reason} (requested by ${state.requestedBy})`,
      `*Created by:* ${state.createdBy ? `${state.createdBy.arn} (CloudTrail CreateFileSystem)` : "not known (the run was not started by the CreateFileSystem event)"}`,
      ...sourceLines(state),
      `*Safety backup:* completed, recovery point \`${state.backup?.recoveryPointArn ?? "unknown"}\``,
      `*What will happen on approval:* a new file system encrypted with \`${kmsKeyArn}\`, filled by ${how}; mount targets in the same subnets with the same security groups; the file system policy with TLS enforced; the access points, lifecycle and backup policies and tags; then a verification. The source is never deleted, changed or unmounted: it only gets the tag \`efs-guard:replacement\`.`,
      `*Execution:* \`${arn}\` — waits ${ctx.approvalTimeout} for an answer, then ends as timed out.`,
    ],
    [
      `Approve: \`efs-guard approve ${arn}\``,
      `Reject: \`efs-guard reject ${arn} --reason "..."\``,
      `(or by file system: \`efs-guard approve ${state.fileSystemId}\`.) Run it with your own AWS credentials: it assumes the role efs-guard-approver and signs the answer twice, as you and as that role; the workflow has AWS STS verify both and refuses any other answer.`,
    ],
  );
}

function approver(state: MigrationState): string {
  const a = state.approval;
  if (!a?.approvedBy) return "unknown";
  return a.verifiedBy ? `${a.approvedBy}, verified by AWS STS (through ${a.via ?? "the approver role"})` : a.approvedBy;
}

export function migratedMessage(state: MigrationState, ctx: MessageContext): ChatbotMessage {
  const src = state.fileSystemId;
  const dst = destinationId(state) ?? "(unknown)";
  const r = state.region;
  const checks = (state.verification?.checks ?? []).map((c) => `${c.ok ? "✓" : "✗"} ${c.check}: ${c.detail}`);
  const steps =
    state.destination?.strategy === "restore"
      ? [
          `The data is in \`/${state.destination.restoreDirectory ?? "aws-backup-restore_<timestamp>"}\` on ${dst}: it is the safety backup's content; writes to ${src} after the backup are not in it. Copy them (e.g. \`rsync -a\` from a client mounting both), then move the restored tree to where your clients expect it (or mount that subdirectory / point the access points at it).`,
          `Remount the clients on ${dst} with TLS: \`sudo mount -t efs -o tls ${dst}:/ /mnt/efs\` (update /etc/fstab, CSI volumes, ECS/EKS/Lambda file system configurations).`,
        ]
      : [
          `Stop writes to ${src} (stop or unmount its clients), then wait until the replication has caught up: \`aws efs describe-replication-configurations --file-system-id ${src} --region ${r}\` shows a LastReplicatedTimestamp later than the moment writes stopped.`,
          `Make ${dst} writable by ending the replication: \`aws efs delete-replication-configuration --source-file-system-id ${src} --region ${r}\`.`,
          `Remount the clients on ${dst} with TLS: \`sudo mount -t efs -o tls ${dst}:/ /mnt/efs\` (update /etc/fstab, CSI volumes, ECS/EKS/Lambda file system configurations).`,
        ];
  return build(
    "migrated",
    state,
    ctx,
    `${src} has an encrypted replacement: ${dst} (cut-over pending)`,
    [
      `*Why:* ${state.reason}`,
      ...sourceLines(state),
      `*Replacement:* \`${dst}\`, ${state.destination?.strategy ?? "?"} strategy, key \`${state.destination?.kmsKeyArn ?? "?"}\``,
      `*Approved by:* ${approver(state)}${state.approval?.comment ? ` (${state.approval.comment})` : ""}`,
      `*Verified:*\n${checks.join("\n")}`,
      `*Source:* untouched (same id, still unencrypted, still mounted), tagged \`efs-guard:replacement=${dst}\`; safety backup \`${state.backup?.recoveryPointArn ?? "?"}\`.`,
    ],
    [
      ...steps,
      `When every client uses ${dst} and you are satisfied: delete ${src} yourself (\`aws efs delete-mount-target\` for each, then \`aws efs delete-file-system --file-system-id ${src}\`). EFS Guard never deletes it. Keep the safety backup as long as your retention policy says.`,
    ],
  );
}

export function failedMessage(state: MigrationState, ctx: MessageContext): ChatbotMessage {
  const dst = destinationId(state);
  const where: string[] = [`the source \`${state.fileSystemId}\` is untouched (nothing is ever deleted or unmounted)`];
  if (state.backup?.recoveryPointArn)
    where.push(`the safety backup \`${state.backup.recoveryPointArn}\` is in the vault`);
  else if (state.backup?.jobId) where.push(`backup job \`${state.backup.jobId}\` did not complete`);
  if (dst) {
    const made = state.surroundings
      ? `with ${state.surroundings.mountTargets.length} mount target(s), ${state.surroundings.accessPoints.length} access point(s), the policy and tags`
      : "without its mount targets, policy, access points or tags";
    where.push(`the new file system \`${dst}\` exists ${made}`);
  } else if (state.destination?.restoreJobId) {
    where.push(`restore job \`${state.destination.restoreJobId}\` was started`);
  } else {
    where.push("no new file system was created");
  }
  if (state.surroundings?.sourceTagged) where.push(`the source carries the tag \`efs-guard:replacement=${dst}\``);
  const cleanup: string[] = [];
  if (dst) {
    if (state.destination?.strategy === "replication")
      cleanup.push(
        `To discard the new file system: \`aws efs delete-replication-configuration --source-file-system-id ${state.fileSystemId}\`, delete its mount targets, then \`aws efs delete-file-system --file-system-id ${dst}\`.`,
      );
    else
      cleanup.push(
        `To discard the new file system: delete its mount targets, then \`aws efs delete-file-system --file-system-id ${dst}\`.`,
      );
  }
  if (state.surroundings?.sourceTagged)
    cleanup.push(
      `Remove the tag from the source: \`aws efs untag-resource --resource-id ${state.fileSystemId} --tag-keys efs-guard:replacement\`.`,
    );
  return build(
    "migration-failed",
    state,
    ctx,
    `migration of ${state.fileSystemId} FAILED at ${state.failedAt ?? "an unknown step"}`,
    [
      `*What failed:* step *${state.failedAt ?? "unknown"}*: \`${state.error?.Error ?? "unknown error"}\` ${state.error?.Cause ?? ""}`.trim(),
      ...(state.backupJob?.State && state.backupJob.State !== "COMPLETED"
        ? [
            `*Safety backup job:* ${state.backupJob.State}${state.backupJob.StatusMessage ? ` — ${state.backupJob.StatusMessage}` : ""}`,
          ]
        : []),
      `*Where things are:* ${where.join("; ")}.`,
      ...sourceLines(state),
      `*Execution:* \`${ctx.executionArn}\` (its history shows every step)`,
    ],
    [
      "Fix the cause above (permissions, quotas, the key policy, the subnet or security group named in the error).",
      `To resume: the next evaluation of ${CONTROL} for ${state.fileSystemId} starts a new attempt, which reuses what this one created (the replication, the mount targets and access points already in place).`,
      ...cleanup,
    ],
  );
}

export function rejectedMessage(state: MigrationState, ctx: MessageContext): ChatbotMessage {
  return build(
    "migration-rejected",
    state,
    ctx,
    `migration of ${state.fileSystemId} rejected`,
    [
      state.rejection
        ? `*Rejected by:* ${state.rejection.rejectedBy}, verified by AWS STS (through ${state.rejection.via ?? "the approver role"}): ${state.rejection.reason}`
        : `*Rejected:* ${state.error?.Cause ?? "no reason given"}`,
      ...sourceLines(state),
      `*Where things are:* nothing was created but the safety backup \`${state.backup?.recoveryPointArn ?? "?"}\`; the source is untouched and still unencrypted.`,
    ],
    [
      `EFS Guard does not ask again about ${state.fileSystemId} until it, or the migration asked for (key, strategy), changes (remembered while Step Functions keeps this execution: 90 days). To ask again now: \`efs-guard migrate ${state.fileSystemId}\`.`,
      `To accept the risk and stop the non-compliance alerts, tag ${state.fileSystemId} with \`efs-guard:exempt=${CONTROL}\` (optionally \`efs-guard:exempt-until=YYYY-MM-DD\`).`,
    ],
  );
}

export function timedOutMessage(state: MigrationState, ctx: MessageContext): ChatbotMessage {
  return build(
    "approval-timed-out",
    state,
    ctx,
    `migration of ${state.fileSystemId} not approved within ${ctx.approvalTimeout}`,
    [
      `*Timed out:* nobody approved or rejected within ${ctx.approvalTimeout} (\`approvalTimeout\`).`,
      ...sourceLines(state),
      `*Where things are:* nothing was created but the safety backup \`${state.backup?.recoveryPointArn ?? "?"}\`; the source is untouched and still unencrypted.`,
    ],
    [
      `The next evaluation of ${CONTROL} for ${state.fileSystemId} asks again; to accept the risk instead, tag it \`efs-guard:exempt=${CONTROL}\`.`,
    ],
  );
}

export function answerRefusedMessage(
  state: MigrationState,
  ctx: MessageContext,
  check: AnswerCheck,
  options: { maxRounds: number },
): ChatbotMessage {
  const last = check.round >= options.maxRounds;
  return build(
    "approval-refused",
    state,
    ctx,
    `an answer to the migration of ${state.fileSystemId} was refused`,
    [
      `*Answer:* ${check.decision}, approval round ${check.round} of ${options.maxRounds}${check.by ? `, signed by ${check.by}` : ""}`,
      `*Refused because:* ${check.reason ?? "it could not be verified"}`,
      last
        ? "*What happens now:* this was the last round: the migration ends, reported as failed; the source is untouched."
        : "*What happens now:* nothing was done; the migration asks for approval again (a new request follows).",
    ],
    [
      `An approver answers with their own AWS credentials: \`efs-guard approve ${ctx.executionArn}\` (it assumes efs-guard-approver and signs the answer as both).`,
      "If no approver sent this answer, someone who could read the task token (states:GetExecutionHistory) answered: CloudTrail has their SendTaskSuccess / SendTaskFailure call (eventSource states.amazonaws.com) at this time.",
    ],
  );
}
