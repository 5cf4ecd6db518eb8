import { type CloudTrailEvent, isRecord, items, type ParsedEvent, parseCloudTrail, str } from "./cloudtrail.js";

/** What an event points at. The guard re-reads that resource; nothing else in the event is trusted. */
export type Trigger =
  | { type: "security-group"; groupId: string }
  | {
      type: "mount-target";
      mountTargetId: string;
      fileSystemId?: string;
      /** The groups the caller asked for: a hint for the re-read (one call instead of two), never the truth. */
      securityGroups?: string[];
    }
  | {
      type: "file-system";
      fileSystemId: string;
      /**
       * The key ARN in EFS's answer to CreateFileSystem (responseElements.kmsKeyId): a hint that lets the key be read
       * at the same time as the file system, checked against DescribeFileSystems before it counts.
       */
      kmsKeyArn?: string;
    }
  | {
      type: "kms-key";
      /** What names the key: id, key ARN or alias (an event), or the key ARN (the inventory). */
      keyId: string;
      /**
       * The account the guard runs in, when the trigger knows it (the inventory: the file systems' OwnerId). Events
       * carry it in their envelope instead. A key ARN of another account is read across accounts, never written.
       */
      homeAccount?: string;
    }
  /** An EFS access point (efs-access-point-enforced); the id is re-read, nothing else in the event counts. */
  | { type: "access-point"; accessPointId: string }
  // --- efs-mount-target-private (issue 15): subnets and route tables -------------------------------------------
  /** A subnet whose attributes changed (ModifySubnetAttribute). */
  | { type: "subnet"; subnetId: string }
  | {
      type: "route-table";
      routeTableId: string;
      /** AssociateRouteTable: the one subnet the table now serves. */
      subnetId?: string;
      /** ReplaceRouteTableAssociation: EC2's new association id (the VPC's main one, or a subnet's). */
      associationId?: string;
    }
  // --- end efs-mount-target-private ---------------------------------------------------------------------------
  | {
      type: "task-definition";
      /** family:revision or the task definition ARN; DescribeTaskDefinition takes either. */
      taskDefinition: string;
    };

export const SOURCES = {
  efs: "elasticfilesystem.amazonaws.com",
  ec2: "ec2.amazonaws.com",
  kms: "kms.amazonaws.com",
  ecs: "ecs.amazonaws.com",
} as const;

export type Extractor = (event: CloudTrailEvent) => Trigger[];

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) {
    const s = str(value);
    if (s !== undefined) return s;
  }
  return undefined;
}

function groupIds(value: unknown): string[] {
  return items(value).filter((g): g is string => typeof g === "string" && /^sg-[0-9a-f]+$/.test(g));
}

function withGroups<T extends object>(trigger: T, groups: string[]): T & { securityGroups?: string[] } {
  return groups.length > 0 ? { ...trigger, securityGroups: groups } : trigger;
}

/** The replication's source (the destination in the record is the caller's text: the guard re-reads it). */
const replicationSource: Extractor = (e) => {
  const id = firstString(e.requestParameters.sourceFileSystemId, e.responseElements.sourceFileSystemId);
  return id ? [{ type: "file-system", fileSystemId: id }] : [];
};

const fileSystemFromRequest: Extractor = (e) => {
  const id = firstString(e.requestParameters.fileSystemId, e.responseElements.fileSystemId);
  return id ? [{ type: "file-system", fileSystemId: id }] : [];
};

/** A key ARN as EFS answers it (arn:PARTITION:kms:REGION:ACCOUNT:key/ID); the request has what the caller sent. */
const KEY_ARN = /^arn:aws[a-z-]*:kms:[^:]+:\d{12}:key\/[^/]+$/;

const keyFromRequest: Extractor = (e) => {
  // keyId is whatever the caller sent (id, ARN or alias); the ARN in resources is authoritative when present.
  const arn = e.resources.find((r) => typeof r.ARN === "string" && r.ARN.includes(":key/"))?.ARN;
  const id = firstString(arn, e.requestParameters.keyId);
  return id ? [{ type: "kms-key", keyId: id }] : [];
};

/**
 * EC2 tag calls name several resources (resourcesSet); security groups and subnets (efs-mount-target-private's
 * exemption) are the guarded ones.
 */
const groupsTagged: Extractor = (e) =>
  items(e.requestParameters.resourcesSet)
    .filter(isRecord)
    .map((r) => str(r.resourceId))
    .flatMap((id): Trigger[] => {
      if (id !== undefined && /^sg-[0-9a-f]+$/.test(id)) return [{ type: "security-group", groupId: id }];
      return id !== undefined && /^subnet-[0-9a-f]+$/.test(id) ? [{ type: "subnet", subnetId: id }] : [];
    });

/** EFS tag calls: TagResource/UntagResource name `resourceId` (a file system or an access point, by id or ARN), the
 * older CreateTags/DeleteTags `fileSystemId`. Access points are guarded too (efs-access-point-enforced reads their
 * exemption tags), so a tag on one is audited like a file system's. */
const fileSystemTagged: Extractor = (e) => {
  const id = firstString(e.requestParameters.resourceId, e.requestParameters.fileSystemId);
  const match = id?.match(/(?:^|file-system\/)(fs-[0-9a-f]+)$|(?:^|access-point\/)(fsap-[0-9a-f]+)$/);
  if (match?.[1]) return [{ type: "file-system", fileSystemId: match[1] }];
  return match?.[2] ? [{ type: "access-point", accessPointId: match[2] }] : [];
};

/** A task definition ARN (arn:PARTITION:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION). */
const TASK_DEFINITION_ARN = /^arn:aws[a-z-]*:ecs:[^:]+:\d{12}:task-definition\/[A-Za-z0-9_-]{1,255}:\d+$/;

/** ECS's answer names the new revision; the request only has the family (the revision is ECS's to assign). */
const taskDefinitionRegistered: Extractor = (e) => {
  const td = isRecord(e.responseElements.taskDefinition) ? e.responseElements.taskDefinition : {};
  const arn = str(td.taskDefinitionArn);
  return arn && TASK_DEFINITION_ARN.test(arn) ? [{ type: "task-definition", taskDefinition: arn }] : [];
};

/** Every CloudTrail event the guard reacts to, keyed by "eventSource:eventName". */
export const EVENT_SPECS: Record<string, Extractor> = {
  [`${SOURCES.ec2}:AuthorizeSecurityGroupIngress`]: (e) => {
    const ruleGroups = items(e.responseElements.securityGroupRuleSet)
      .filter(isRecord)
      .map((r) => str(r.groupId));
    const id = firstString(e.requestParameters.groupId, ...ruleGroups);
    return id ? [{ type: "security-group", groupId: id }] : [];
  },
  [`${SOURCES.ec2}:ModifySecurityGroupRules`]: (e) => {
    const request = isRecord(e.requestParameters.ModifySecurityGroupRulesRequest)
      ? e.requestParameters.ModifySecurityGroupRulesRequest
      : e.requestParameters;
    const id = firstString(request.GroupId, request.groupId);
    return id ? [{ type: "security-group", groupId: id }] : [];
  },
  [`${SOURCES.efs}:CreateMountTarget`]: (e) => {
    const id = firstString(e.responseElements.mountTargetId);
    const fileSystemId = firstString(e.responseElements.fileSystemId, e.requestParameters.fileSystemId);
    if (!id) return [];
    const groups = groupIds(e.requestParameters.securityGroups);
    return [
      withGroups(
        fileSystemId
          ? { type: "mount-target" as const, mountTargetId: id, fileSystemId }
          : { type: "mount-target" as const, mountTargetId: id },
        groups,
      ),
    ];
  },
  [`${SOURCES.efs}:ModifyMountTargetSecurityGroups`]: (e) => {
    const id = firstString(e.requestParameters.mountTargetId);
    const groups = groupIds(e.requestParameters.securityGroups);
    return id ? [withGroups({ type: "mount-target" as const, mountTargetId: id }, groups)] : [];
  },
  [`${SOURCES.efs}:CreateFileSystem`]: (e) => {
    const id = firstString(e.responseElements.fileSystemId);
    if (!id) return [];
    // EFS's answer names the key by ARN: a hint for reading the key at once (checked before it counts).
    const arn = str(e.responseElements.kmsKeyId);
    return [{ type: "file-system", fileSystemId: id, ...(arn && KEY_ARN.test(arn) ? { kmsKeyArn: arn } : {}) }];
  },
  [`${SOURCES.efs}:PutFileSystemPolicy`]: fileSystemFromRequest,
  [`${SOURCES.efs}:DeleteFileSystemPolicy`]: fileSystemFromRequest,
  [`${SOURCES.efs}:CreateReplicationConfiguration`]: replicationSource,
  [`${SOURCES.efs}:PutBackupPolicy`]: fileSystemFromRequest,
  [`${SOURCES.kms}:DisableKeyRotation`]: keyFromRequest,
  [`${SOURCES.kms}:DisableKey`]: keyFromRequest,
  [`${SOURCES.kms}:ScheduleKeyDeletion`]: keyFromRequest,
  // The policy in the request is the caller's text: the key guard reads the key's policy again (GetKeyPolicy).
  [`${SOURCES.kms}:PutKeyPolicy`]: keyFromRequest,
  [`${SOURCES.ec2}:CreateTags`]: groupsTagged,
  [`${SOURCES.ec2}:DeleteTags`]: groupsTagged,
  [`${SOURCES.efs}:TagResource`]: fileSystemTagged,
  [`${SOURCES.efs}:UntagResource`]: fileSystemTagged,
  [`${SOURCES.efs}:CreateTags`]: fileSystemTagged,
  [`${SOURCES.efs}:DeleteTags`]: fileSystemTagged,
  [`${SOURCES.kms}:TagResource`]: keyFromRequest,
  [`${SOURCES.kms}:UntagResource`]: keyFromRequest,
  [`${SOURCES.efs}:CreateAccessPoint`]: (e) => {
    // EFS answers with the new access point's id (API_CreateAccessPoint.html: AccessPointId, fsap- and 17 hex).
    const id = firstString(e.responseElements.accessPointId);
    return id && /^fsap-[0-9a-f]+$/.test(id) ? [{ type: "access-point", accessPointId: id }] : [];
  },
  [`${SOURCES.ecs}:RegisterTaskDefinition`]: taskDefinitionRegistered,
};

/** Tag calls that may name no guarded resource at all (an instance, an access point): not malformed, not ours. */
const TAG_CALLS = new Set(["CreateTags", "DeleteTags", "TagResource", "UntagResource"]);

export type EventKey = keyof typeof EVENT_SPECS;

export type TriggerResult =
  | { kind: "triggers"; event: CloudTrailEvent; triggers: Trigger[] }
  | Extract<ParsedEvent, { kind: "ignored" }>;

/**
 * Turns a raw event into triggers, given the "source:name" keys the caller handles. The same event name from
 * another service (s3files.amazonaws.com also emits CreateFileSystem and CreateMountTarget) is foreign.
 */
export function toTriggers(
  raw: unknown,
  handled: readonly string[],
  /** A guard's own extractors (Guard.extractors), kept out of EVENT_SPECS so other functions do not bundle them. */
  own: Readonly<Record<string, Extractor>> = {},
): TriggerResult {
  const parsed = parseCloudTrail(raw);
  if (parsed.kind === "ignored") return parsed;
  const { event } = parsed;
  const key = `${event.eventSource}:${event.eventName}`;
  const ids = { eventId: event.eventId, eventName: event.eventName, eventSource: event.eventSource };
  if (!handled.includes(key)) {
    const knownName = handled.some((k) => k.endsWith(`:${event.eventName}`));
    return knownName
      ? { kind: "ignored", reason: "foreign-source", detail: `${event.eventName} from ${event.eventSource}`, ...ids }
      : { kind: "ignored", reason: "unsupported-event", detail: `${key} is not a trigger here`, ...ids };
  }
  const extract = own[key] ?? EVENT_SPECS[key];
  const triggers = extract ? extract(event) : [];
  if (triggers.length === 0) {
    if (TAG_CALLS.has(event.eventName)) {
      const detail = `${event.eventName} names no guarded resource`;
      return { kind: "ignored", reason: "unsupported-event", detail, ...ids };
    }
    return { kind: "ignored", reason: "malformed", detail: `${event.eventName} without the resource id`, ...ids };
  }
  return { kind: "triggers", event, triggers };
}

export function triggerResourceId(trigger: Trigger): string {
  switch (trigger.type) {
    case "security-group":
      return trigger.groupId;
    case "mount-target":
      return trigger.mountTargetId;
    case "file-system":
      return trigger.fileSystemId;
    case "kms-key":
      return trigger.keyId;
    case "access-point":
      return trigger.accessPointId;
    case "task-definition":
      return trigger.taskDefinition;
    case "subnet":
      return trigger.subnetId;
    default:
      return trigger.routeTableId;
  }
}
