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
  /** The severity of the finding that started the migration (absent in executions started by older versions). */
  severity?: string;
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
  lifecyclePolicies: Record<string, string>[];
  backupPolicy?: "ENABLED" | "DISABLED" | "ENABLING" | "DISABLING";
  tags: Record<string, string>;
  capturedAt: string;
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
}

export interface SurroundingsReport {
  mountTargets: { subnetId: string; mountTargetId: string; securityGroups: string[]; created: boolean }[];
  policy: { written: boolean; tlsStatementAdded: boolean };
  accessPoints: { sourceAccessPointId: string; accessPointId: string; created: boolean }[];
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
  backup?: { jobId: string; recoveryPointArn: string };
  backupJob?: { State?: string; StatusMessage?: string; CompletionDate?: unknown };
  approval?: { approvedBy?: string; approvedAt?: string; comment?: string };
  destination?: Destination;
  restoreJob?: { Status?: string; StatusMessage?: string; CreatedResourceArn?: string; CreationDate?: unknown };
  surroundings?: SurroundingsReport;
  verification?: { ok: boolean; checks: VerificationCheck[] };
  /** Set by the failure routes of the state machine: which step failed, and the error Step Functions caught. */
  failedAt?: string;
  error?: { Error?: string; Cause?: string };
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

/** Error names the state machine routes on (Catch / Retry). */
export const ERRORS = {
  notReady: "EfsGuard.NotReady",
  rejected: "EfsGuard.Rejected",
  verificationFailed: "EfsGuard.VerificationFailed",
  nothingToMigrate: "EfsGuard.NothingToMigrate",
  backupFailed: "EfsGuard.BackupFailed",
} as const;

/** An error whose name Step Functions sees as the error type (Lambda reports `errorType` = the error's name). */
export class MigrationStepError extends Error {
  constructor(name: (typeof ERRORS)[keyof typeof ERRORS], message: string) {
    super(message);
    this.name = name;
  }
}
