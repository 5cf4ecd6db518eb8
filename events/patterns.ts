import { GUARD_TAG_PREFIX } from "../shared/config/controls.js";
import {
  accessPointCreated,
  fileSystemCreated,
  fileSystemFromRequest,
  fileSystemTagged,
  groupRulesModified,
  groupsTagged,
  ingressAuthorized,
  keyFromRequest,
  mountTargetCreated,
  mountTargetGroupsModified,
  replicationSource,
  routeChanged,
  routeTableAssociated,
  routeTableAssociationReplaced,
  subnetModified,
  taskDefinitionRegistered,
} from "../shared/events/extractors.js";
import type { EventSpecs } from "../shared/events/triggers.js";

/**
 * Each function's events: one table per function ("eventSource:eventName" -> extractor), which is both what its
 * handler parses (toTriggers) and what its EventBridge rules match (patternsFor), so a rule can never deliver an
 * event its function would call unsupported. Failed calls (errorCode present) are filtered out here
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

function isKeyList(events: EventSpecs | readonly string[]): events is readonly string[] {
  return Array.isArray(events);
}

/**
 * One pattern per event source (and per request filter), so no cross product of sources and names can match a
 * call we do not handle, and a tag-change rule fires only for the calls that touch the efs-guard: namespace.
 */
export function patternsFor(events: EventSpecs | readonly string[]): EventPattern[] {
  const keys = isKeyList(events) ? events : Object.keys(events);
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

// The tables have plain string literal keys (not built from SOURCES) and name their extractors: esbuild can then tell
// they have no side effects and leave the ones a function does not use, with their extractors, out of its bundle
// (each function bundles its own table only). test/unit/event-lists.test.ts checks they name SOURCES' values, and
// that an event in two tables has the one extractor. The union of all of them is events/all.ts.
export const NFS_INGRESS_EVENTS: EventSpecs = {
  "ec2.amazonaws.com:AuthorizeSecurityGroupIngress": ingressAuthorized,
  "ec2.amazonaws.com:ModifySecurityGroupRules": groupRulesModified,
  "elasticfilesystem.amazonaws.com:CreateMountTarget": mountTargetCreated,
  "elasticfilesystem.amazonaws.com:ModifyMountTargetSecurityGroups": mountTargetGroupsModified,
};

/**
 * efs-mount-target-private (issue 15): a new mount target, and the EC2 changes that can make its subnet public (its
 * own function, so that CreateMountTarget costs each of its two functions no more than its 3 reads).
 */
export const MOUNT_TARGET_PRIVATE_EVENTS: EventSpecs = {
  "elasticfilesystem.amazonaws.com:CreateMountTarget": mountTargetCreated,
  "ec2.amazonaws.com:ModifySubnetAttribute": subnetModified,
  "ec2.amazonaws.com:CreateRoute": routeChanged,
  "ec2.amazonaws.com:ReplaceRoute": routeChanged,
  "ec2.amazonaws.com:AssociateRouteTable": routeTableAssociated,
  "ec2.amazonaws.com:ReplaceRouteTableAssociation": routeTableAssociationReplaced,
};

/**
 * The key guard: rotation turned off, a key disabled or scheduled for deletion, a new file system on a key, and a
 * key policy replaced (efs-key-policy-restricted).
 */
export const KMS_KEY_EVENTS: EventSpecs = {
  "kms.amazonaws.com:DisableKeyRotation": keyFromRequest,
  "kms.amazonaws.com:DisableKey": keyFromRequest,
  "kms.amazonaws.com:ScheduleKeyDeletion": keyFromRequest,
  "elasticfilesystem.amazonaws.com:CreateFileSystem": fileSystemCreated,
  "kms.amazonaws.com:PutKeyPolicy": keyFromRequest,
};

/** The file-system guard: efs-encrypted-at-rest, efs-tls-enforced, efs-backup-enabled, efs-policy-not-public. */
export const FILE_SYSTEM_EVENTS: EventSpecs = {
  "elasticfilesystem.amazonaws.com:CreateFileSystem": fileSystemCreated,
  "elasticfilesystem.amazonaws.com:PutFileSystemPolicy": fileSystemFromRequest,
  "elasticfilesystem.amazonaws.com:DeleteFileSystemPolicy": fileSystemFromRequest,
  "elasticfilesystem.amazonaws.com:PutBackupPolicy": fileSystemFromRequest,
};

/**
 * The access guard: who may mount, write and act as root (efs-iam-authorization-required, efs-root-access-restricted,
 * from the file system policy), what an access point enforces (efs-access-point-enforced) and where the data is
 * replicated to (efs-replica-encrypted). Alert only.
 */
export const EFS_ACCESS_EVENTS: EventSpecs = {
  "elasticfilesystem.amazonaws.com:CreateFileSystem": fileSystemCreated,
  "elasticfilesystem.amazonaws.com:PutFileSystemPolicy": fileSystemFromRequest,
  "elasticfilesystem.amazonaws.com:DeleteFileSystemPolicy": fileSystemFromRequest,
  "elasticfilesystem.amazonaws.com:CreateAccessPoint": accessPointCreated,
  "elasticfilesystem.amazonaws.com:CreateReplicationConfiguration": replicationSource,
};

/**
 * The tag-change guard (efs-guard-tags-audited): every add, change or removal of an efs-guard:* tag on a security
 * group, file system or KMS key. EFS has both the current TagResource/UntagResource and its older
 * CreateTags/DeleteTags (still accepted and logged under those names).
 */
export const TAG_EVENTS: EventSpecs = {
  "ec2.amazonaws.com:CreateTags": groupsTagged,
  "ec2.amazonaws.com:DeleteTags": groupsTagged,
  "elasticfilesystem.amazonaws.com:TagResource": fileSystemTagged,
  "elasticfilesystem.amazonaws.com:UntagResource": fileSystemTagged,
  "elasticfilesystem.amazonaws.com:CreateTags": fileSystemTagged,
  "elasticfilesystem.amazonaws.com:DeleteTags": fileSystemTagged,
  "kms.amazonaws.com:TagResource": keyFromRequest,
  "kms.amazonaws.com:UntagResource": keyFromRequest,
};

/**
 * efs-tls-enforced's own events, taken by the ecs-clients function while tlsEnforcement is "unless-clients-break"
 * (shared/guards/tls-enforcement.ts: the lookup of the file system's ECS clients needs the ECS client, which that
 * function carries); the file-system function then leaves the control alone on them.
 */
export const TLS_ENFORCEMENT_EVENTS: EventSpecs = {
  "elasticfilesystem.amazonaws.com:CreateFileSystem": fileSystemCreated,
  "elasticfilesystem.amazonaws.com:PutFileSystemPolicy": fileSystemFromRequest,
  "elasticfilesystem.amazonaws.com:DeleteFileSystemPolicy": fileSystemFromRequest,
};

/** The ECS client guard (efs-clients-use-tls): every new task definition revision. */
export const CLIENT_TLS_EVENTS: EventSpecs = {
  "ecs.amazonaws.com:RegisterTaskDefinition": taskDefinitionRegistered,
};

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
