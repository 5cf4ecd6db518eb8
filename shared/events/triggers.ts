import { type CloudTrailEvent, type ParsedEvent, parseCloudTrail } from "./cloudtrail.js";

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

/** Turns one CloudTrail record into what it points at (shared/events/extractors.ts). */
export type Extractor = (event: CloudTrailEvent) => Trigger[];

/**
 * The events one function handles, keyed by "eventSource:eventName", each with its extractor (events/patterns.ts).
 * The same table gives the function's EventBridge patterns and its parser, and a bundle holds only its own table.
 */
export type EventSpecs = Readonly<Record<string, Extractor>>;

/** Tag calls that may name no guarded resource at all (an instance, an access point): not malformed, not ours. */
const TAG_CALLS = new Set(["CreateTags", "DeleteTags", "TagResource", "UntagResource"]);

export type TriggerResult =
  | { kind: "triggers"; event: CloudTrailEvent; triggers: Trigger[] }
  | Extract<ParsedEvent, { kind: "ignored" }>;

/**
 * Turns a raw event into triggers, given the events the caller handles. The same event name from another service
 * (s3files.amazonaws.com also emits CreateFileSystem and CreateMountTarget) is foreign.
 */
export function toTriggers(raw: unknown, specs: EventSpecs): TriggerResult {
  const parsed = parseCloudTrail(raw);
  if (parsed.kind === "ignored") return parsed;
  const { event } = parsed;
  const key = `${event.eventSource}:${event.eventName}`;
  const ids = { eventId: event.eventId, eventName: event.eventName, eventSource: event.eventSource };
  const extract = Object.hasOwn(specs, key) ? specs[key] : undefined;
  if (!extract) {
    const knownName = Object.keys(specs).some((k) => k.endsWith(`:${event.eventName}`));
    return knownName
      ? { kind: "ignored", reason: "foreign-source", detail: `${event.eventName} from ${event.eventSource}`, ...ids }
      : { kind: "ignored", reason: "unsupported-event", detail: `${key} is not a trigger here`, ...ids };
  }
  const triggers = extract(event);
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
    case "route-table":
      return trigger.routeTableId;
  }
}
