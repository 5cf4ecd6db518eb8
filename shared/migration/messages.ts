import { capped, joinMd, Md, md } from "../notify/escape.js";
import { type ChatbotMessage, chatbotMessage } from "../notify/message.js";
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

const ICON_MD = Object.fromEntries(Object.entries(ICON).map(([notice, icon]) => [notice, new Md(icon)])) as Record<
  MigrationNotice,
  Md
>;

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
  safetyBackupRetentionDays?: number;
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

/** Where the source is: its region, and the member account of a member's file system (the hub's own: no account). */
function region(state: MigrationState): string {
  return state.account ? `${state.region}, account ${state.account}` : state.region;
}

function sourceLines(state: MigrationState): Md[] {
  const s = state.source;
  if (!s) return [md`*Source:* \`${state.fileSystemId}\` in ${region(state)} (not captured)`];
  const mts = s.mountTargets.map((m) => {
    const az = m.availabilityZoneName ? md` (${m.availabilityZoneName})` : md``;
    const groups = m.securityGroups.length
      ? joinMd(
          m.securityGroups.map((g) => md`\`${g}\``),
          ", ",
        )
      : md`no security group`;
    return md`\`${m.subnetId}\`${az} with ${groups}`;
  });
  const name = s.name ? md` (${capped(s.name, 256)})` : md``;
  const encryption = s.encrypted ? md`encrypted with \`${s.kmsKeyId}\`` : md`NOT encrypted at rest`;
  const throughput =
    s.throughputMode === "provisioned" && s.provisionedThroughputInMibps !== undefined
      ? `provisioned ${s.provisionedThroughputInMibps} MiB/s`
      : (s.throughputMode ?? "bursting");
  const storage = s.availabilityZoneName ? `One Zone in ${s.availabilityZoneName}` : "Regional";
  return [
    md`*Source:* \`${s.fileSystemId}\`${name} in ${region(state)}, ${humanBytes(s.sizeInBytes)}, ${encryption}, ${storage}, ${s.performanceMode ?? "generalPurpose"}, ${throughput} throughput`,
    md`*Mount targets (${s.mountTargets.length}):* ${mts.length ? joinMd(mts, "; ") : md`none`}`,
    md`*Also captured:* ${s.policy ? "a file system policy" : "no file system policy"}, ${s.accessPoints.length} access point(s), ${s.lifecyclePolicies.length} lifecycle rule(s), backup policy ${s.backupPolicy ?? "none"}, ${Object.keys(s.tags).length} tag(s)`,
  ];
}

function destinationId(state: MigrationState): string | undefined {
  return state.destination?.fileSystemId;
}

function build(
  notice: MigrationNotice,
  state: MigrationState,
  ctx: MessageContext,
  title: Md,
  lines: Md[],
  nextSteps: Md[],
): ChatbotMessage {
  const severity = severityOf(notice, state);
  const additionalContext: Record<string, string> = {
    control: CONTROL,
    severity,
    outcome: notice,
    resource: state.fileSystemId,
    region: state.region,
    execution: ctx.executionArn,
  };
  const dest = destinationId(state);
  if (dest) additionalContext.replacement = dest;
  if (state.backup?.recoveryPointArn) additionalContext.recoveryPoint = state.backup.recoveryPointArn;
  if (state.error?.Error) additionalContext.error = `${state.error.Error}: ${state.error.Cause ?? ""}`;
  return chatbotMessage({
    id: `${executionName(ctx.executionArn)}:${notice}`,
    title: md`${ICON_MD[notice]} EFS Guard: ${title}`,
    lines,
    nextSteps,
    keywords: [CONTROL, severity, notice, "EFS.1", "EFS.8"],
    threadId: `efs-guard-${state.fileSystemId}`,
    summary: `${CONTROL} ${notice} on ${state.fileSystemId}`,
    eventType: "EfsGuardMigration",
    relatedResources: [state.source?.fileSystemArn ?? state.fileSystemId, ...(dest ? [dest] : [])],
    additionalContext,
  });
}

/**
 * The approval request carries the severity of the finding that started the migration (critical when unencrypted,
 * high with the AWS managed key), so the alert and the request never disagree; the other notices have their own.
 */
export function severityOf(notice: MigrationNotice, state?: Pick<MigrationState, "severity">): string {
  return notice === "approval-requested" && state?.severity ? state.severity : SEVERITY[notice];
}

export function approvalRequestMessage(
  state: MigrationState,
  ctx: MessageContext,
  kmsKeyArn: string,
  strategy: string,
  retentionDays: number,
): ChatbotMessage {
  const arn = ctx.executionArn;
  const how =
    strategy === "replication"
      ? md`EFS replication to a new file system encrypted with the key (with the source's performance and throughput modes and storage); the data keeps its paths; the new file system stays read-only until you cut over`
      : md`an AWS Backup restore of the safety backup into a new file system encrypted with the key; the data lands in an \`aws-backup-restore_&lt;timestamp&gt;\` directory at its root`;
  const vault = state.target ? md`\`${state.target.vaultName}\` in ${state.target.region}` : md`the migration vault`;
  const resume = state.resume
    ? [
        md`*Resumes:* the replacement \`${state.resume.fileSystemId}\` that the earlier attempt \`${state.resume.createdBy}\` created (the source already replicates to it).`,
      ]
    : [];
  return build(
    "approval-requested",
    state,
    ctx,
    md`approve the migration of ${state.fileSystemId} to an encrypted file system?`,
    [
      md`*Why:* ${state.reason} (requested by ${capped(state.requestedBy, 256)})`,
      state.createdBy
        ? md`*Created by:* ${capped(state.createdBy.arn, 256)} (CloudTrail CreateFileSystem)`
        : md`*Created by:* not known (the run was not started by the CreateFileSystem event)`,
      ...sourceLines(state),
      ...resume,
      md`*Nothing has been done yet:* no backup, no new file system. Nothing billable starts before an approval.`,
      md`*What will happen on approval:* first a safety backup of the source (AWS Backup, into the vault ${vault}, kept ${retentionDays} days, then deleted by its lifecycle); then a new file system encrypted with \`${kmsKeyArn}\`, filled by ${how}; mount targets in the same subnets with the same security groups; the file system policy with TLS enforced; the access points, lifecycle and backup policies and tags; then a verification. The source is never deleted, changed or unmounted: it only gets the tag \`efs-guard:replacement\`.`,
      md`*Execution:* \`${arn}\` — waits ${ctx.approvalTimeout} for an answer, then ends as timed out.`,
    ],
    [
      md`Approve: \`efs-guard approve ${arn}\``,
      md`Reject: \`efs-guard reject ${arn} --reason "..."\``,
      md`(or by file system: \`efs-guard approve ${state.fileSystemId}\`.) Run it with your own AWS credentials: it assumes the role efs-guard-approver and signs the answer twice, as you and as that role; the workflow has AWS STS verify both and refuses any other answer.`,
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
  const checks = (state.verification?.checks ?? []).map((c) => md`${c.ok ? "✓" : "✗"} ${c.check}: ${c.detail}`);
  const steps =
    state.destination?.strategy === "restore"
      ? [
          md`The data is in \`/${state.destination.restoreDirectory ?? "aws-backup-restore_<timestamp>"}\` on ${dst}: it is the safety backup's content; writes to ${src} after the backup are not in it. Copy them (e.g. \`rsync -a\` from a client mounting both), then move the restored tree to where your clients expect it (or mount that subdirectory / point the access points at it).`,
          md`Remount the clients on ${dst} with TLS: \`sudo mount -t efs -o tls ${dst}:/ /mnt/efs\` (update /etc/fstab, CSI volumes, ECS/EKS/Lambda file system configurations).`,
        ]
      : [
          md`Stop writes to ${src} (stop or unmount its clients), then wait until the replication has caught up: \`aws efs describe-replication-configurations --file-system-id ${src} --region ${r}\` shows a LastReplicatedTimestamp later than the moment writes stopped.`,
          md`Make ${dst} writable by ending the replication: \`aws efs delete-replication-configuration --source-file-system-id ${src} --region ${r}\`.`,
          md`Remount the clients on ${dst} with TLS: \`sudo mount -t efs -o tls ${dst}:/ /mnt/efs\` (update /etc/fstab, CSI volumes, ECS/EKS/Lambda file system configurations).`,
        ];
  const comment = state.approval?.comment ? md` (${capped(state.approval.comment, 500)})` : md``;
  return build(
    "migrated",
    state,
    ctx,
    md`${src} has an encrypted replacement: ${dst} (cut-over pending)`,
    [
      md`*Why:* ${state.reason}`,
      ...sourceLines(state),
      md`*Replacement:* \`${dst}\`, ${state.destination?.strategy ?? "?"} strategy, key \`${state.destination?.kmsKeyArn ?? "?"}\``,
      md`*Approved by:* ${capped(approver(state), 512)}${comment}`,
      md`*Verified:*\n${joinMd(checks, "\n")}`,
      md`*Source:* untouched (same id, still unencrypted, still mounted), tagged \`efs-guard:replacement=${dst}\` with the migration's signed record (\`efs-guard:replacement-record\`); safety backup \`${state.backup?.recoveryPointArn ?? "?"}\`${state.backup?.deleteAfterDays ? md`, kept ${state.backup.deleteAfterDays} days` : md``}.`,
    ],
    [
      ...steps,
      md`When every client uses ${dst} and you are satisfied: delete ${src} yourself (\`aws efs delete-mount-target\` for each, then \`aws efs delete-file-system --file-system-id ${src} --region ${r}\`). EFS Guard never deletes it. AWS Backup deletes the safety backup when its lifecycle ends${state.backup?.deleteAfterDays ? md` (${state.backup.deleteAfterDays} days)` : md``}.`,
    ],
  );
}

export function failedMessage(state: MigrationState, ctx: MessageContext): ChatbotMessage {
  const dst = destinationId(state);
  const r = state.region;
  const d = state.destination;
  const where: Md[] = [md`the source \`${state.fileSystemId}\` is untouched (nothing is ever deleted or unmounted)`];
  if (state.backup?.recoveryPointArn)
    where.push(
      md`the safety backup \`${state.backup.recoveryPointArn}\` is in the vault \`${state.backup.vaultName}\`${state.backup.deleteAfterDays ? md` (kept ${state.backup.deleteAfterDays} days)` : md``}`,
    );
  else if (state.backup?.jobId) where.push(md`backup job \`${state.backup.jobId}\` did not complete`);
  else where.push(md`no safety backup was taken`);
  // Only what this migration created is described as its own, and only that gets cleanup commands: a file system
  // the migration did not create (a replica, a decoy) never appears in `destination`.
  if (dst) {
    const made = state.surroundings
      ? md`with ${state.surroundings.mountTargets.length} mount target(s), ${state.surroundings.accessPoints.length} access point(s), the policy and tags`
      : md`without its mount targets, policy or access points`;
    const by =
      d?.createdBy && d.createdBy !== executionName(ctx.executionArn)
        ? md` (created by the earlier attempt \`${d.createdBy}\`, resumed by this one)`
        : md``;
    where.push(md`the new file system \`${dst}\`${by} exists ${made}`);
  } else if (d?.restoreJobId) {
    where.push(md`restore job \`${d.restoreJobId}\` was started`);
  } else {
    where.push(md`no new file system was created`);
  }
  if (state.surroundings?.sourceTagged) where.push(md`the source carries the tag \`efs-guard:replacement=${dst}\``);
  const cleanup: Md[] = [];
  if (dst) {
    const steps: Md[] = [
      md`\`aws efs describe-mount-targets --file-system-id ${dst} --region ${r}\` and \`aws efs delete-mount-target --mount-target-id &lt;id&gt; --region ${r}\` for each`,
      md`\`aws efs delete-file-system --file-system-id ${dst} --region ${r}\``,
    ];
    if (d?.strategy === "replication")
      steps.unshift(
        md`\`aws efs delete-replication-configuration --source-file-system-id ${state.fileSystemId} --region ${r}\``,
      );
    cleanup.push(
      md`To discard the new file system ${dst} (EFS Guard created it; it never deletes anything itself): ${joinMd(steps, ", then ")}.`,
    );
  }
  if (state.surroundings?.sourceTagged)
    cleanup.push(
      md`Remove the tag from the source: \`aws efs untag-resource --resource-id ${state.fileSystemId} --tag-keys efs-guard:replacement --region ${r}\`.`,
    );
  const job = state.backupJob;
  const jobLine =
    job?.State && job.State !== "COMPLETED"
      ? [md`*Safety backup job:* ${job.State}${job.StatusMessage ? md` — ${job.StatusMessage}` : md``}`]
      : [];
  const refused = state.error?.Error === "EfsGuard.MigrationRefused";
  return build(
    "migration-failed",
    state,
    ctx,
    refused
      ? md`migration of ${state.fileSystemId} REFUSED at ${state.failedAt ?? "an unknown step"}`
      : md`migration of ${state.fileSystemId} FAILED at ${state.failedAt ?? "an unknown step"}`,
    [
      md`*What failed:* step *${state.failedAt ?? "unknown"}*: \`${state.error?.Error ?? "unknown error"}\` ${state.error?.Cause ?? ""}`,
      ...jobLine,
      md`*Where things are:* ${joinMd(where, "; ")}.`,
      ...sourceLines(state),
      md`*Execution:* \`${ctx.executionArn}\` (its history shows every step)`,
    ],
    [
      refused
        ? md`EFS Guard refused to go on, so as not to touch what it did not create; the cause above says what to change.`
        : md`Fix the cause above (permissions, quotas, the key policy, the subnet or security group named in the error).`,
      md`To resume: the next evaluation of ${CONTROL} for ${state.fileSystemId} starts a new attempt, which reuses what this migration created (the replacement and its replication, mount targets and access points), and nothing else.`,
      ...cleanup,
    ],
  );
}

const NOTHING_YET = md`no backup was taken and nothing was created (the safety backup and everything after it start only after an approval); the source is untouched and still unencrypted.`;

export function rejectedMessage(state: MigrationState, ctx: MessageContext): ChatbotMessage {
  return build(
    "migration-rejected",
    state,
    ctx,
    md`migration of ${state.fileSystemId} rejected`,
    [
      state.rejection
        ? md`*Rejected by:* ${capped(state.rejection.rejectedBy, 256)}, verified by AWS STS (through ${state.rejection.via ?? "the approver role"}): ${capped(state.rejection.reason, 500)}`
        : md`*Rejected:* ${capped(state.error?.Cause ?? "no reason given", 500)}`,
      ...sourceLines(state),
      md`*Where things are:* ${NOTHING_YET}`,
    ],
    [
      md`EFS Guard does not ask again about ${state.fileSystemId} until it, or the migration asked for (key, strategy), changes (remembered while Step Functions keeps this execution: 90 days). To ask again now: \`efs-guard migrate ${state.fileSystemId}\`.`,
      md`To accept the risk and stop the non-compliance alerts, tag ${state.fileSystemId} with \`efs-guard:exempt=${CONTROL}\` and \`efs-guard:exempt-until=YYYY-MM-DD\` (within maxExemptionDays).`,
    ],
  );
}

export function timedOutMessage(state: MigrationState, ctx: MessageContext): ChatbotMessage {
  return build(
    "approval-timed-out",
    state,
    ctx,
    md`migration of ${state.fileSystemId} not approved within ${ctx.approvalTimeout}`,
    [
      md`*Timed out:* nobody approved or rejected within ${ctx.approvalTimeout} (\`approvalTimeout\`).`,
      ...sourceLines(state),
      md`*Where things are:* ${NOTHING_YET}`,
    ],
    [
      md`The next evaluation of ${CONTROL} for ${state.fileSystemId} asks again; to accept the risk instead, tag it \`efs-guard:exempt=${CONTROL}\` and \`efs-guard:exempt-until=YYYY-MM-DD\`.`,
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
  // Who signed and why it was refused come from the answer (attacker-controlled text): escaped and capped.
  const by = check.by ? md`, signed by ${capped(check.by, 256)}` : md``;
  return build(
    "approval-refused",
    state,
    ctx,
    md`an answer to the migration of ${state.fileSystemId} was refused`,
    [
      md`*Answer:* ${check.decision}, approval round ${check.round} of ${options.maxRounds}${by}`,
      md`*Refused because:* ${capped(check.reason ?? "it could not be verified", 500)}`,
      last
        ? md`*What happens now:* this was the last round: the migration ends, reported as failed; the source is untouched.`
        : md`*What happens now:* nothing was done; the migration asks for approval again (a new request follows).`,
    ],
    [
      md`An approver answers with their own AWS credentials: \`efs-guard approve ${ctx.executionArn}\` (it assumes efs-guard-approver and signs the answer as both).`,
      md`If no approver sent this answer, someone who could read the task token (states:GetExecutionHistory) answered: CloudTrail has their SendTaskSuccess / SendTaskFailure call (eventSource states.amazonaws.com) at this time.`,
    ],
  );
}
