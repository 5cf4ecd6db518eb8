import { GUARD_TAG_PREFIX } from "../shared/config/controls.js";

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
    /** Only for the tag-change events: the request must touch an efs-guard:* key (tagFilter). */
    requestParameters?: Record<string, unknown>;
    $or?: Record<string, unknown>[];
  };
}

// Literal keys (SOURCES' values), for the same reason as the event lists below.
const SOURCE_TO_EVENTBRIDGE: Record<string, string> = {
  "ec2.amazonaws.com": "aws.ec2",
  "elasticfilesystem.amazonaws.com": "aws.elasticfilesystem",
  "kms.amazonaws.com": "aws.kms",
  "ecs.amazonaws.com": "aws.ecs",
};

/**
 * One pattern per event source (and per request filter), so no cross product of sources and names can match a
 * call we do not handle, and a tag-change rule fires only for the calls that touch the efs-guard: namespace.
 */
export function patternsFor(keys: readonly string[]): EventPattern[] {
  const groups = new Map<string, { source: string; names: string[]; filter?: TagFilter }>();
  for (const key of keys) {
    const at = key.lastIndexOf(":");
    const source = key.slice(0, at);
    const name = key.slice(at + 1);
    const filter = tagFilter(key);
    const group = `${source} ${JSON.stringify(filter ?? null)}`;
    const entry = groups.get(group) ?? { source, names: [], ...(filter ? { filter } : {}) };
    entry.names.push(name);
    groups.set(group, entry);
  }
  return [...groups.values()].map(({ source, names, filter }) => {
    const ebSource = SOURCE_TO_EVENTBRIDGE[source];
    if (!ebSource) throw new Error(`no EventBridge source for ${source}`);
    return {
      source: [ebSource],
      "detail-type": ["AWS API Call via CloudTrail"],
      detail: {
        eventSource: [source],
        eventName: [...names].sort(),
        errorCode: [{ exists: false }],
        ...(filter ?? {}),
      },
    };
  });
}

// The event lists are plain string literals (not built from SOURCES): esbuild can then tell they have no side
// effects and leave the ones a function does not use out of its bundle. test/unit checks they name SOURCES' values.
export const NFS_INGRESS_EVENTS = [
  "ec2.amazonaws.com:AuthorizeSecurityGroupIngress",
  "ec2.amazonaws.com:ModifySecurityGroupRules",
  "elasticfilesystem.amazonaws.com:CreateMountTarget",
  "elasticfilesystem.amazonaws.com:ModifyMountTargetSecurityGroups",
] as const;

/**
 * efs-mount-target-private (issue 15): a new mount target, and the EC2 changes that can make its subnet public (its
 * own function, so that CreateMountTarget costs each of its two functions no more than its 3 reads).
 */
export const MOUNT_TARGET_PRIVATE_EVENTS = [
  "elasticfilesystem.amazonaws.com:CreateMountTarget",
  "ec2.amazonaws.com:ModifySubnetAttribute",
  "ec2.amazonaws.com:CreateRoute",
  "ec2.amazonaws.com:ReplaceRoute",
  "ec2.amazonaws.com:AssociateRouteTable",
  "ec2.amazonaws.com:ReplaceRouteTableAssociation",
] as const;

/**
 * The key guard: rotation turned off, a key disabled or scheduled for deletion, a new file system on a key, and a
 * key policy replaced (efs-key-policy-restricted).
 */
export const KMS_KEY_EVENTS = [
  "kms.amazonaws.com:DisableKeyRotation",
  "kms.amazonaws.com:DisableKey",
  "kms.amazonaws.com:ScheduleKeyDeletion",
  "elasticfilesystem.amazonaws.com:CreateFileSystem",
  "kms.amazonaws.com:PutKeyPolicy",
] as const;

/** The file-system guard: efs-encrypted-at-rest, efs-tls-enforced, efs-backup-enabled, efs-policy-not-public. */
export const FILE_SYSTEM_EVENTS = [
  "elasticfilesystem.amazonaws.com:CreateFileSystem",
  "elasticfilesystem.amazonaws.com:PutFileSystemPolicy",
  "elasticfilesystem.amazonaws.com:DeleteFileSystemPolicy",
  "elasticfilesystem.amazonaws.com:PutBackupPolicy",
] as const;

/**
 * The access guard: who may mount, write and act as root (efs-iam-authorization-required, efs-root-access-restricted,
 * from the file system policy), what an access point enforces (efs-access-point-enforced) and where the data is
 * replicated to (efs-replica-encrypted). Alert only.
 */
export const EFS_ACCESS_EVENTS = [
  "elasticfilesystem.amazonaws.com:CreateFileSystem",
  "elasticfilesystem.amazonaws.com:PutFileSystemPolicy",
  "elasticfilesystem.amazonaws.com:DeleteFileSystemPolicy",
  "elasticfilesystem.amazonaws.com:CreateAccessPoint",
  "elasticfilesystem.amazonaws.com:CreateReplicationConfiguration",
] as const;

/**
 * The tag-change guard (efs-guard-tags-audited): every add, change or removal of an efs-guard:* tag on a security
 * group, file system or KMS key. EFS has both the current TagResource/UntagResource and its older
 * CreateTags/DeleteTags (still accepted and logged under those names).
 */
export const TAG_EVENTS = [
  "ec2.amazonaws.com:CreateTags",
  "ec2.amazonaws.com:DeleteTags",
  "elasticfilesystem.amazonaws.com:TagResource",
  "elasticfilesystem.amazonaws.com:UntagResource",
  "elasticfilesystem.amazonaws.com:CreateTags",
  "elasticfilesystem.amazonaws.com:DeleteTags",
  "kms.amazonaws.com:TagResource",
  "kms.amazonaws.com:UntagResource",
] as const;

/** The ECS client guard (efs-clients-use-tls): every new task definition revision. */
export const CLIENT_TLS_EVENTS = ["ecs.amazonaws.com:RegisterTaskDefinition"] as const;

type TagFilter = Pick<EventPattern["detail"], "requestParameters" | "$or">;

/**
 * What a tag call must touch to reach the function, in the request fields CloudTrail records (EventBridge matches a
 * field of the objects in an array when any element matches). EC2 DeleteTags without a tag list deletes every tag
 * of the resources (EC2 API reference), efs-guard:* ones included, so it matches on a security group either way.
 * A function, not a table: the functions import this module for their event lists, and a top-level object with
 * computed keys would be kept in every bundle.
 */
export function tagFilter(key: string): TagFilter | undefined {
  const guardKey = [{ prefix: GUARD_TAG_PREFIX }];
  const keys = { tagSet: { items: { key: guardKey } } };
  switch (key) {
    case "ec2.amazonaws.com:CreateTags":
      return { requestParameters: keys };
    case "ec2.amazonaws.com:DeleteTags":
      return {
        requestParameters: { resourcesSet: { items: { resourceId: [{ prefix: "sg-" }] } } },
        $or: [{ requestParameters: keys }, { requestParameters: { tagSet: { items: [{ exists: false }] } } }],
      };
    case "elasticfilesystem.amazonaws.com:TagResource":
    case "elasticfilesystem.amazonaws.com:CreateTags":
      return { requestParameters: { tags: { key: guardKey } } };
    case "elasticfilesystem.amazonaws.com:UntagResource":
    case "elasticfilesystem.amazonaws.com:DeleteTags":
    case "kms.amazonaws.com:UntagResource":
      return { requestParameters: { tagKeys: guardKey } };
    case "kms.amazonaws.com:TagResource":
      return { requestParameters: { tags: { tagKey: guardKey } } };
    default:
      return undefined;
  }
}
