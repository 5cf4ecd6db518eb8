import { SOURCES } from "../shared/events/triggers.js";

/**
 * EventBridge patterns, built from the same "eventSource:eventName" keys the handlers accept, so a rule can never
 * deliver an event its function would call unsupported. Failed calls (errorCode present) are filtered out here
 * already; the handlers check again because replay and the sweep do not pass through EventBridge.
 */
export interface EventPattern {
  source: string[];
  "detail-type": string[];
  detail: {
    eventSource: string[];
    eventName: string[];
    errorCode: [{ exists: false }];
  };
}

const SOURCE_TO_EVENTBRIDGE: Record<string, string> = {
  [SOURCES.ec2]: "aws.ec2",
  [SOURCES.efs]: "aws.elasticfilesystem",
  [SOURCES.kms]: "aws.kms",
};

/** One pattern per event source, so no cross product of sources and names can match a call we do not handle. */
export function patternsFor(keys: readonly string[]): EventPattern[] {
  const bySource = new Map<string, string[]>();
  for (const key of keys) {
    const at = key.lastIndexOf(":");
    const source = key.slice(0, at);
    const name = key.slice(at + 1);
    bySource.set(source, [...(bySource.get(source) ?? []), name]);
  }
  return [...bySource.entries()].map(([source, names]) => {
    const ebSource = SOURCE_TO_EVENTBRIDGE[source];
    if (!ebSource) throw new Error(`no EventBridge source for ${source}`);
    return {
      source: [ebSource],
      "detail-type": ["AWS API Call via CloudTrail"],
      detail: { eventSource: [source], eventName: [...names].sort(), errorCode: [{ exists: false }] },
    };
  });
}

export const NFS_INGRESS_EVENTS = [
  `${SOURCES.ec2}:AuthorizeSecurityGroupIngress`,
  `${SOURCES.ec2}:ModifySecurityGroupRules`,
  `${SOURCES.efs}:CreateMountTarget`,
  `${SOURCES.efs}:ModifyMountTargetSecurityGroups`,
] as const;

/** The key guard: rotation turned off, a key disabled or scheduled for deletion, a new file system on a key. */
export const KMS_KEY_EVENTS = [
  `${SOURCES.kms}:DisableKeyRotation`,
  `${SOURCES.kms}:DisableKey`,
  `${SOURCES.kms}:ScheduleKeyDeletion`,
  `${SOURCES.efs}:CreateFileSystem`,
] as const;

/** The file-system guard: efs-encrypted-at-rest, efs-tls-enforced, efs-backup-enabled, efs-policy-not-public. */
export const FILE_SYSTEM_EVENTS = [
  `${SOURCES.efs}:CreateFileSystem`,
  `${SOURCES.efs}:PutFileSystemPolicy`,
  `${SOURCES.efs}:DeleteFileSystemPolicy`,
  `${SOURCES.efs}:PutBackupPolicy`,
] as const;
