import { createHash } from "node:crypto";
import type { BackupClient } from "@aws-sdk/client-backup";
import type { EFSClient, LifecyclePolicy } from "@aws-sdk/client-efs";
import { KMSClient } from "@aws-sdk/client-kms";
import type { SNSClient } from "@aws-sdk/client-sns";
import { backupClient, startEfsRestore } from "../aws/backup.js";
import { efsClient } from "../aws/efs.js";
import {
  accessPoints,
  backupPolicyStatus,
  capturedMountTargets,
  createAccessPoint,
  createMountTarget,
  createReplication,
  describeFileSystem,
  fileSystemPolicy,
  lifecyclePolicies,
  mountTargets,
  putBackupPolicy,
  putFileSystemPolicy,
  putLifecyclePolicies,
  replicationDestination,
  tagFileSystem,
  tagsToRecord,
} from "../aws/efs-migration.js";
import { signRecord } from "../aws/record-mac.js";
import { clientConfig, perRegion } from "../aws/sdk-config.js";
import { configFromEnv, type GuardConfig } from "../config/schema.js";
import { publishChatbot, snsClient } from "../notify/publish.js";
import { type Clock, systemClock } from "../runtime/clock.js";
import { ConfigError } from "../runtime/errors.js";
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
import { RECORD_KEY_ENV, RECORD_TAG, recordKeyRegion } from "./record.js";
import { policyEnforcesTls, policyForReplacement } from "./tls.js";
import {
  type ApprovalRequest,
  ERRORS,
  MIGRATED_FROM_TAG,
  type MigrationState,
  MigrationStepError,
  REPLACEMENT_TAG,
  SOURCE_ACCESS_POINT_TAG,
  type SourceSnapshot,
  type SurroundingsReport,
  type VerificationCheck,
} from "./types.js";

/**
 * The migration's steps, each a function of the state the state machine passes (and returns it with its part
 * added). Idempotent: Step Functions retries a step, and a new attempt after a failure repeats them all, so each
 * step first looks at what already exists.
 */

export interface MigrationDeps {
  config: GuardConfig;
  clock: Clock;
  efs: (region: string) => EFSClient;
  backup: (region: string) => BackupClient;
  sns: (region: string) => SNSClient;
  topicArn: string;
  kmsKeyArn: string;
  backupRoleArn: string;
  /** The HMAC key of the migration's record on the source (shared/migration/record.ts); set for the surroundings step. */
  recordKeyArn?: string;
  kms?: (region: string) => KMSClient;
}

export const MIGRATION_ENV_KEYS = {
  kmsKeyArn: "MIGRATION_KMS_KEY_ARN",
  backupRoleArn: "MIGRATION_BACKUP_ROLE_ARN",
} as const;

export function deployedMigrationDeps(env: NodeJS.ProcessEnv = process.env): MigrationDeps {
  const config = configFromEnv(env);
  const missing = ["ALERTS_TOPIC_ARN", MIGRATION_ENV_KEYS.kmsKeyArn, MIGRATION_ENV_KEYS.backupRoleArn].filter(
    (k) => !env[k],
  );
  if (missing.length > 0) throw new ConfigError(missing.map((k) => `${k} is not set`));
  return {
    config,
    clock: systemClock,
    efs: efsClient,
    backup: backupClient,
    sns: snsClient,
    topicArn: env.ALERTS_TOPIC_ARN!,
    kmsKeyArn: env[MIGRATION_ENV_KEYS.kmsKeyArn]!,
    backupRoleArn: env[MIGRATION_ENV_KEYS.backupRoleArn]!,
    ...(env[RECORD_KEY_ENV] ? { recordKeyArn: env[RECORD_KEY_ENV], kms: recordClient } : {}),
  };
}

const recordClient = perRegion((region) => new KMSClient(clientConfig(region)));

function keyId(arnOrId: string | undefined): string | undefined {
  return arnOrId?.split("/").at(-1);
}

export interface StepEvent {
  state: MigrationState;
  executionArn: string;
}

function executionName(executionArn: string): string {
  return executionArn.split(":").at(-1) ?? executionArn;
}

/** Step 1: everything about the source that the replacement must reproduce. */
export async function capture(event: StepEvent, deps: MigrationDeps): Promise<MigrationState> {
  const { state } = event;
  const efs = deps.efs(state.region);
  const fs = await describeFileSystem(efs, state.fileSystemId);
  if (!fs)
    throw new MigrationStepError(
      ERRORS.nothingToMigrate,
      `file system ${state.fileSystemId} does not exist in ${state.region}`,
    );
  const tags = tagsToRecord(fs.Tags);
  if (tags[REPLACEMENT_TAG]) {
    throw new MigrationStepError(
      ERRORS.nothingToMigrate,
      `${state.fileSystemId} was already migrated: its replacement is ${tags[REPLACEMENT_TAG]} (tag ${REPLACEMENT_TAG}); finish that cut-over instead`,
    );
  }
  if (fs.Encrypted && (!deps.config.requireCustomerManagedKey || keyId(fs.KmsKeyId) === keyId(deps.kmsKeyArn))) {
    throw new MigrationStepError(
      ERRORS.nothingToMigrate,
      `${state.fileSystemId} is already encrypted with ${fs.KmsKeyId}`,
    );
  }
  const source: SourceSnapshot = {
    fileSystemId: fs.FileSystemId!,
    fileSystemArn:
      fs.FileSystemArn ?? `arn:aws:elasticfilesystem:${state.region}:${fs.OwnerId}:file-system/${fs.FileSystemId}`,
    encrypted: fs.Encrypted ?? false,
    sizeInBytes: fs.SizeInBytes?.Value ?? 0,
    mountTargets: await capturedMountTargets(efs, state.fileSystemId),
    accessPoints: await accessPoints(efs, state.fileSystemId),
    lifecyclePolicies: (await lifecyclePolicies(efs, state.fileSystemId)) as Record<string, string>[],
    tags,
    capturedAt: deps.clock.now().toISOString(),
  };
  const optional = {
    name: fs.Name || undefined,
    kmsKeyId: fs.KmsKeyId,
    performanceMode: fs.PerformanceMode,
    throughputMode: fs.ThroughputMode,
    provisionedThroughputInMibps: fs.ProvisionedThroughputInMibps,
    availabilityZoneName: fs.AvailabilityZoneName,
    policy: await fileSystemPolicy(efs, state.fileSystemId),
    backupPolicy: (await backupPolicyStatus(efs, state.fileSystemId)) as SourceSnapshot["backupPolicy"],
  };
  for (const [k, v] of Object.entries(optional))
    if (v !== undefined && v !== null) (source as unknown as Record<string, unknown>)[k] = v;
  return { ...state, source };
}

/** Step 3: tells the approvers, with the exact commands; the state machine then waits for the task token. */
export async function requestApproval(request: ApprovalRequest, deps: MigrationDeps): Promise<{ published: string }> {
  const { state, executionArn } = request;
  const message = approvalRequestMessage(
    state,
    { executionArn, approvalTimeout: deps.config.approvalTimeout },
    deps.kmsKeyArn,
    deps.config.migrationStrategy,
  );
  await publishChatbot(deps.sns(deps.topicArn.split(":")[3] ?? state.region), deps.topicArn, message, {
    control: CONTROL,
    severity: severityOf("approval-requested"),
    outcome: "approval-requested",
  });
  return { published: message.id };
}

/** Step 4: the encrypted file system, filled from the source (replication) or from the safety backup (restore). */
export async function recreate(event: StepEvent, deps: MigrationDeps): Promise<MigrationState> {
  const { state } = event;
  const source = requireSource(state);
  const strategy = deps.config.migrationStrategy;
  const kmsKeyArn = deps.kmsKeyArn;
  if (strategy === "replication") {
    const efs = deps.efs(state.region);
    const existing = await replicationDestination(efs, source.fileSystemId);
    const fileSystemId = existing ?? (await createReplication(efs, source.fileSystemId, state.region, kmsKeyArn));
    return { ...state, destination: { strategy, kmsKeyArn, fileSystemId } };
  }
  if (!state.backup?.recoveryPointArn) throw new Error("the restore strategy needs the safety backup's recovery point");
  const restoreJobId = await startEfsRestore(deps.backup(state.region), {
    recoveryPointArn: state.backup.recoveryPointArn,
    sourceFileSystemId: source.fileSystemId,
    kmsKeyArn,
    roleArn: deps.backupRoleArn,
    ...(source.performanceMode ? { performanceMode: source.performanceMode } : {}),
    creationToken: executionName(event.executionArn).slice(0, 64),
  });
  return { ...state, destination: { strategy, kmsKeyArn, restoreJobId } };
}

function requireSource(state: MigrationState): SourceSnapshot {
  if (!state.source) throw new Error("the source was not captured");
  return state.source;
}

/** The restore job's result, once the state machine saw it COMPLETED. */
function destinationOf(state: MigrationState): MigrationState["destination"] & { fileSystemId: string } {
  const d = state.destination;
  if (!d) throw new Error("no destination recorded");
  if (d.fileSystemId) return { ...d, fileSystemId: d.fileSystemId };
  const arn = state.restoreJob?.CreatedResourceArn;
  if (!arn) throw new Error(`restore job ${d.restoreJobId} reported no created file system`);
  const created = state.restoreJob?.CreationDate;
  const at =
    created === undefined ? undefined : new Date(typeof created === "number" ? created * 1000 : String(created));
  const stamp = at && !Number.isNaN(at.getTime()) ? at.toISOString().replace(/:/g, "-") : "<timestamp>";
  return { ...d, fileSystemId: arn.split("/").at(-1)!, restoreDirectory: `aws-backup-restore_${stamp}` };
}

function accessPointToken(executionArn: string, sourceAccessPointId: string): string {
  return createHash("sha256")
    .update(`${executionName(executionArn)}:${sourceAccessPointId}`)
    .digest("hex")
    .slice(0, 64);
}

/** Step 5: mount targets, policy with TLS, access points, lifecycle and backup policies, tags; then tags the source. */
export async function recreateSurroundings(event: StepEvent, deps: MigrationDeps): Promise<MigrationState> {
  const { state } = event;
  const source = requireSource(state);
  const destination = destinationOf(state);
  const dst = destination.fileSystemId;
  const efs = deps.efs(state.region);
  const fs = await describeFileSystem(efs, dst);
  if (!fs) throw new Error(`the new file system ${dst} does not exist`);
  if (fs.LifeCycleState !== "available") {
    throw new MigrationStepError(
      ERRORS.notReady,
      `the new file system ${dst} is ${fs.LifeCycleState}, not yet available`,
    );
  }
  const report: SurroundingsReport = {
    mountTargets: [],
    policy: { written: false, tlsStatementAdded: false },
    accessPoints: [],
    lifecyclePolicies: 0,
    tags: [],
    sourceTagged: false,
  };
  const existing = await mountTargets(efs, dst);
  for (const mt of source.mountTargets) {
    const already = existing.find((e) => e.SubnetId === mt.subnetId);
    const mountTargetId = already?.MountTargetId ?? (await createMountTarget(efs, dst, mt.subnetId, mt.securityGroups));
    report.mountTargets.push({
      subnetId: mt.subnetId,
      mountTargetId,
      securityGroups: mt.securityGroups,
      created: !already,
    });
  }
  const dstArn = fs.FileSystemArn ?? source.fileSystemArn.replace(source.fileSystemId, dst);
  const { policy, tlsStatementAdded } = policyForReplacement(source.policy, source.fileSystemArn, dstArn);
  await putFileSystemPolicy(efs, dst, policy);
  report.policy = { written: true, tlsStatementAdded };

  const existingAps = await accessPoints(efs, dst);
  for (const ap of source.accessPoints) {
    const already = existingAps.find((e) => e.tags[SOURCE_ACCESS_POINT_TAG] === ap.accessPointId);
    const tags = { ...withoutAwsTags(ap.tags), [SOURCE_ACCESS_POINT_TAG]: ap.accessPointId };
    const id =
      already?.accessPointId ??
      (await createAccessPoint(efs, dst, ap, accessPointToken(event.executionArn, ap.accessPointId), tags));
    report.accessPoints.push({ sourceAccessPointId: ap.accessPointId, accessPointId: id, created: !already });
  }
  if (source.lifecyclePolicies.length > 0) {
    await putLifecyclePolicies(efs, dst, source.lifecyclePolicies as LifecyclePolicy[]);
    report.lifecyclePolicies = source.lifecyclePolicies.length;
  }
  if (source.backupPolicy === "ENABLED" || source.backupPolicy === "ENABLING") {
    await putBackupPolicy(efs, dst, "ENABLED");
    report.backupPolicy = "ENABLED";
  }
  const tags: Record<string, string> = { ...withoutAwsTags(source.tags), [MIGRATED_FROM_TAG]: source.fileSystemId };
  delete tags[REPLACEMENT_TAG];
  delete tags[RECORD_TAG];
  await tagFileSystem(efs, dst, tags);
  report.tags = Object.keys(tags).sort();
  // The replacement tag is the lasting record; the record tag proves the migration wrote it (migration/record.ts).
  const record: Record<string, string> =
    deps.recordKeyArn && deps.kms
      ? {
          [RECORD_TAG]: await signRecord(
            deps.kms(recordKeyRegion(deps.recordKeyArn, state.region)),
            deps.recordKeyArn,
            source.fileSystemArn,
            dst,
          ),
        }
      : {};
  await tagFileSystem(efs, source.fileSystemId, { [REPLACEMENT_TAG]: dst, ...record });
  report.sourceTagged = true;
  return { ...state, destination, surroundings: report };
}

function withoutAwsTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith("aws:")));
}

/** Step 6: the replacement is what it should be; mount targets still creating make the step retry. */
export async function verify(event: StepEvent, deps: MigrationDeps): Promise<MigrationState> {
  const { state } = event;
  const source = requireSource(state);
  const dst = destinationOf(state).fileSystemId;
  const efs = deps.efs(state.region);
  const checks: VerificationCheck[] = [];
  const fs = await describeFileSystem(efs, dst);
  const encryptedRight = Boolean(fs?.Encrypted) && keyId(fs?.KmsKeyId) === keyId(deps.kmsKeyArn);
  checks.push({
    check: "encrypted with the configured key",
    ok: encryptedRight,
    detail: fs ? `Encrypted=${fs.Encrypted}, KmsKeyId=${fs.KmsKeyId ?? "none"}` : `${dst} not found`,
  });
  const mts = fs ? await mountTargets(efs, dst) : [];
  const pending = mts.filter((m) => m.LifeCycleState === "creating");
  if (pending.length > 0) {
    throw new MigrationStepError(
      ERRORS.notReady,
      `mount target(s) ${pending.map((m) => m.MountTargetId).join(", ")} still creating`,
    );
  }
  const missing = source.mountTargets.filter(
    (s) => !mts.some((m) => m.SubnetId === s.subnetId && m.LifeCycleState === "available"),
  );
  checks.push({
    check: "mount targets available in the source's subnets",
    ok: missing.length === 0,
    detail:
      missing.length === 0
        ? `${mts.length} available`
        : `missing or unavailable in ${missing.map((m) => m.subnetId).join(", ")}`,
  });
  const groupsNow = fs ? await capturedMountTargets(efs, dst) : [];
  const groupMismatch = source.mountTargets.filter((s) => {
    const now = groupsNow.find((m) => m.subnetId === s.subnetId);
    return !now || [...now.securityGroups].sort().join() !== [...s.securityGroups].sort().join();
  });
  checks.push({
    check: "mount targets have the source's security groups",
    ok: groupMismatch.length === 0,
    detail:
      groupMismatch.length === 0
        ? "same groups in every subnet"
        : `different in ${groupMismatch.map((m) => m.subnetId).join(", ")}`,
  });
  const policy = fs ? await fileSystemPolicy(efs, dst) : undefined;
  checks.push({
    check: "policy enforces TLS (efs-tls-enforced)",
    ok: policyEnforcesTls(policy, fs?.FileSystemArn ?? source.fileSystemArn.replace(source.fileSystemId, dst)),
    detail: policy ? "deny when aws:SecureTransport is false" : "no policy",
  });
  const sourceNow = await describeFileSystem(efs, source.fileSystemId);
  const tagged = tagsToRecord(sourceNow?.Tags)[REPLACEMENT_TAG] === dst;
  checks.push({
    check: "source untouched and tagged with its replacement",
    ok: Boolean(sourceNow) && tagged,
    detail: sourceNow
      ? `${source.fileSystemId} ${sourceNow.LifeCycleState}, ${REPLACEMENT_TAG}=${tagsToRecord(sourceNow.Tags)[REPLACEMENT_TAG] ?? "missing"}`
      : "source not found",
  });
  const verification = { ok: checks.every((c) => c.ok), checks };
  if (!verification.ok) {
    const failed = checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.detail}`);
    throw new MigrationStepError(ERRORS.verificationFailed, failed.join("; "));
  }
  return { ...state, verification };
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
  deps: MigrationDeps,
): Promise<MigrationState & { notified: MigrationNotice }> {
  const ctx = { executionArn: event.executionArn, approvalTimeout: deps.config.approvalTimeout };
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
}
