import type { Creator } from "./approval.js";

/**
 * The state that flows through the migration state machine (JSONPath). Each Lambda step receives the whole state
 * and returns it with its own part added, so that every later step, and every failure notification, knows what
 * was done before it.
 */
export interface MigrationRequest {
  fileSystemId: string;
  region: string;
  reason: string;
  requestedBy: string;
  /** Who created the file system, from the CloudTrail CreateFileSystem record when that event started the run. */
  createdBy?: Creator;
  /** The severity of the finding that started the migration (absent in executions started by older versions). */
  severity?: string;
  /**
   * The member account the file system is in, for a hub's migration of a member's file system (the event's
   * EventBridge `account`, or the sweep child's). Absent: the hub's own account. The steps act there through the
   * member migration role (shared/migration/member.ts).
   */
  account?: string;
}

export interface CapturedMountTarget {
  mountTargetId: string;
  subnetId: string;
  availabilityZoneName?: string;
  ipAddress?: string;
  securityGroups: string[];
}

export interface CapturedAccessPoint {
  accessPointId: string;
  name?: string;
  posixUser?: { Uid: number; Gid: number; SecondaryGids?: number[] };
  rootDirectory?: {
    Path?: string;
    CreationInfo?: { OwnerUid: number; OwnerGid: number; Permissions: string };
  };
  tags: Record<string, string>;
}

export interface SourceSnapshot {
  fileSystemId: string;
  fileSystemArn: string;
  name?: string;
  encrypted: boolean;
  kmsKeyId?: string;
  performanceMode?: string;
  throughputMode?: string;
  provisionedThroughputInMibps?: number;
  availabilityZoneName?: string;
  sizeInBytes: number;
  mountTargets: CapturedMountTarget[];
  policy?: string;
  accessPoints: CapturedAccessPoint[];
  /** As DescribeLifecycleConfiguration returns them: one transition each (TransitionToIA, TransitionToArchive, ...). */
  lifecyclePolicies: Record<string, string>[];
  backupPolicy?: "ENABLED" | "DISABLED" | "ENABLING" | "DISABLING";
  tags: Record<string, string>;
  capturedAt: string;
}

/** Where the replacement and the safety backup go: the source's region, that region's migration key and vault. */
export interface MigrationTarget {
  region: string;
  kmsKeyArn: string;
  vaultName: string;
  vaultArn: string;
}

export type Strategy = "replication" | "restore";

export interface Destination {
  strategy: Strategy;
  kmsKeyArn: string;
  /** Known at once for replication; for a restore, once the restore job completed. */
  fileSystemId?: string;
  restoreJobId?: string;
  /** restore only: the directory at the new file system's root where AWS Backup put the data. */
  restoreDirectory?: string;
  /**
   * The execution that created the replacement (its efs-guard:migration tag, checked against AWS's records): this
   * run, or an earlier attempt of the same migration that this run resumes. Only such a file system is ever written.
   */
  createdBy?: string;
  /** replication only: this run created the replication configuration (false: it was already in place, ours). */
  replicationCreated?: boolean;
}

/** A replacement left by an earlier attempt of this migration, proven to be ours, that this run continues. */
export interface Resume {
  fileSystemId: string;
  createdBy: string;
}

export interface SurroundingsReport {
  mountTargets: { subnetId: string; mountTargetId: string; securityGroups: string[]; created: boolean }[];
  policy: { written: boolean; tlsStatementAdded: boolean };
  accessPoints: { sourceAccessPointId: string; accessPointId: string; created: boolean }[];
  /** The throughput settings applied with UpdateFileSystem (only when the new file system did not already have them). */
  throughputUpdated?: { throughputMode: string; provisionedThroughputInMibps?: number };
  lifecyclePolicies: number;
  backupPolicy?: string;
  tags: string[];
  sourceTagged: boolean;
}

export interface VerificationCheck {
  check: string;
  ok: boolean;
  detail: string;
}

export interface MigrationState extends MigrationRequest {
  source?: SourceSnapshot;
  target?: MigrationTarget;
  resume?: Resume;
  backup?: { jobId: string; recoveryPointArn: string; vaultName: string; deleteAfterDays: number };
  backupJob?: { State?: string; StatusMessage?: string; CompletionDate?: unknown };
  /** The approval round: 1, then one more after each refused answer (see shared/migration/approval.ts). */
  approvalRound?: { n: number };
  /** The raw answer (SendTaskSuccess output) or rejection (the Catch of SendTaskFailure), until verified. */
  answer?: unknown;
  answerError?: { Error?: string; Cause?: string };
  /** What the verify step concluded about the last answer. */
  answerCheck?: AnswerCheck;
  /** A verified approval: who approved as AWS STS identified them, and the approver role session they used. */
  approval?: { approvedBy?: string; approvedAt?: string; comment?: string; via?: string; verifiedBy?: string };
  /** A verified rejection. */
  rejection?: { rejectedBy: string; rejectedAt: string; reason: string; via?: string; verifiedBy: string };
  destination?: Destination;
  restoreJob?: {
    Status?: string;
    StatusMessage?: string;
    CreatedResourceArn?: string;
    CreationDate?: unknown;
    RecoveryPointArn?: string;
  };
  surroundings?: SurroundingsReport;
  verification?: { ok: boolean; checks: VerificationCheck[] };
  /** Set by the failure routes of the state machine: which step failed, and the error Step Functions caught. */
  failedAt?: string;
  error?: { Error?: string; Cause?: string };
}

export interface AnswerCheck {
  decision: "approve" | "reject";
  round: number;
  verified: boolean;
  by?: string;
  via?: string;
  reason?: string;
}

/** What the approval step receives: the execution's state plus the task token and where the execution is. */
export interface ApprovalRequest {
  taskToken: string;
  executionArn: string;
  state: MigrationState;
}

/** Tags the workflow writes. */
export const REPLACEMENT_TAG = "efs-guard:replacement";
export const MIGRATED_FROM_TAG = "efs-guard:migrated-from";
export const SOURCE_ACCESS_POINT_TAG = "efs-guard:source-access-point";
/**
 * On everything the migration creates, set in the creating request: the name of the execution that created it
 * (`efs-guard-migrate-<source id>[-N]`, so it names the source too). The IAM conditions of the step roles allow
 * writes only to resources that carry it; the steps reuse a resource only when AWS's own records agree with it.
 */
export const MIGRATION_TAG = "efs-guard:migration";
/** On the safety backup's recovery point: the file system it is a backup of. */
export const BACKUP_SOURCE_TAG = "efs-guard:source";
/** The vault of every guarded region (the home stack's and each forwarder stack's): fixed, so steps can find it. */
export const MIGRATION_VAULT_NAME = "efs-guard-migration";

/** AWS's limit of tags per EFS resource. */
export const MAX_TAGS = 50;

/** Error names the state machine routes on (Catch / Retry). */
export const ERRORS = {
  notReady: "EfsGuard.NotReady",
  rejected: "EfsGuard.Rejected",
  verificationFailed: "EfsGuard.VerificationFailed",
  nothingToMigrate: "EfsGuard.NothingToMigrate",
  /** The migration cannot go ahead safely (a replication it did not create, a target it cannot trust, ...). */
  refused: "EfsGuard.MigrationRefused",
  backupFailed: "EfsGuard.BackupFailed",
  /** STS throttled or failed while an approver statement was being verified: the verify step retries. */
  verifierUnavailable: "EfsGuard.VerifierUnavailable",
  approvalRefused: "EfsGuard.ApprovalRefused",
  /** An AWS error that a later attempt may not meet (throttling, 5xx): the state machine retries the step. */
  retryable: "EfsGuard.Retryable",
} as const;

/** An error whose name Step Functions sees as the error type (Lambda reports `errorType` = the error's name). */
export class MigrationStepError extends Error {
  constructor(name: (typeof ERRORS)[keyof typeof ERRORS], message: string) {
    super(message);
    this.name = name;
  }
}
