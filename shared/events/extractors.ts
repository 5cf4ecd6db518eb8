import { isRecord, items, str } from "./cloudtrail.js";
import type { Extractor, Trigger } from "./triggers.js";

/**
 * What each CloudTrail event names, one extractor per shape of record. The tables of each function's events
 * (events/patterns.ts) point at these, so an event two functions handle is read the same way by both, and a bundle
 * carries only the extractors of its own function's events.
 */

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

/** ec2:AuthorizeSecurityGroupIngress: the group in the request, or in EC2's answer (its new rules). */
export const ingressAuthorized: Extractor = (e) => {
  const ruleGroups = items(e.responseElements.securityGroupRuleSet)
    .filter(isRecord)
    .map((r) => str(r.groupId));
  const id = firstString(e.requestParameters.groupId, ...ruleGroups);
  return id ? [{ type: "security-group", groupId: id }] : [];
};

/** ec2:ModifySecurityGroupRules: CloudTrail records the request under ModifySecurityGroupRulesRequest. */
export const groupRulesModified: Extractor = (e) => {
  const request = isRecord(e.requestParameters.ModifySecurityGroupRulesRequest)
    ? e.requestParameters.ModifySecurityGroupRulesRequest
    : e.requestParameters;
  const id = firstString(request.GroupId, request.groupId);
  return id ? [{ type: "security-group", groupId: id }] : [];
};

export const mountTargetCreated: Extractor = (e) => {
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
};

export const mountTargetGroupsModified: Extractor = (e) => {
  const id = firstString(e.requestParameters.mountTargetId);
  const groups = groupIds(e.requestParameters.securityGroups);
  return id ? [withGroups({ type: "mount-target" as const, mountTargetId: id }, groups)] : [];
};

/** A key ARN as EFS answers it (arn:PARTITION:kms:REGION:ACCOUNT:key/ID); the request has what the caller sent. */
const KEY_ARN = /^arn:aws[a-z-]*:kms:[^:]+:\d{12}:key\/[^/]+$/;

export const fileSystemCreated: Extractor = (e) => {
  const id = firstString(e.responseElements.fileSystemId);
  if (!id) return [];
  // EFS's answer names the key by ARN: a hint for reading the key at once (checked before it counts).
  const arn = str(e.responseElements.kmsKeyId);
  return [{ type: "file-system", fileSystemId: id, ...(arn && KEY_ARN.test(arn) ? { kmsKeyArn: arn } : {}) }];
};

/** The replication's source (the destination in the record is the caller's text: the guard re-reads it). */
export const replicationSource: Extractor = (e) => {
  const id = firstString(e.requestParameters.sourceFileSystemId, e.responseElements.sourceFileSystemId);
  return id ? [{ type: "file-system", fileSystemId: id }] : [];
};

export const fileSystemFromRequest: Extractor = (e) => {
  const id = firstString(e.requestParameters.fileSystemId, e.responseElements.fileSystemId);
  return id ? [{ type: "file-system", fileSystemId: id }] : [];
};

export const keyFromRequest: Extractor = (e) => {
  // keyId is whatever the caller sent (id, ARN or alias); the ARN in resources is authoritative when present.
  const arn = e.resources.find((r) => typeof r.ARN === "string" && r.ARN.includes(":key/"))?.ARN;
  const id = firstString(arn, e.requestParameters.keyId);
  return id ? [{ type: "kms-key", keyId: id }] : [];
};

/**
 * EC2 tag calls name several resources (resourcesSet); security groups and subnets (efs-mount-target-private's
 * exemption) are the guarded ones.
 */
export const groupsTagged: Extractor = (e) =>
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
export const fileSystemTagged: Extractor = (e) => {
  const id = firstString(e.requestParameters.resourceId, e.requestParameters.fileSystemId);
  const match = id?.match(/(?:^|file-system\/)(fs-[0-9a-f]+)$|(?:^|access-point\/)(fsap-[0-9a-f]+)$/);
  if (match?.[1]) return [{ type: "file-system", fileSystemId: match[1] }];
  return match?.[2] ? [{ type: "access-point", accessPointId: match[2] }] : [];
};

export const accessPointCreated: Extractor = (e) => {
  // EFS answers with the new access point's id (API_CreateAccessPoint.html: AccessPointId, fsap- and 17 hex).
  const id = firstString(e.responseElements.accessPointId);
  return id && /^fsap-[0-9a-f]+$/.test(id) ? [{ type: "access-point", accessPointId: id }] : [];
};

/** A task definition ARN (arn:PARTITION:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION). */
const TASK_DEFINITION_ARN = /^arn:aws[a-z-]*:ecs:[^:]+:\d{12}:task-definition\/[A-Za-z0-9_-]{1,255}:\d+$/;

/** ECS's answer names the new revision; the request only has the family (the revision is ECS's to assign). */
export const taskDefinitionRegistered: Extractor = (e) => {
  const td = isRecord(e.responseElements.taskDefinition) ? e.responseElements.taskDefinition : {};
  const arn = str(td.taskDefinitionArn);
  return arn && TASK_DEFINITION_ARN.test(arn) ? [{ type: "task-definition", taskDefinition: arn }] : [];
};

// --- efs-mount-target-private (issue 15): the EC2 events that can make a mount target's subnet public ----------
const SUBNET_ID = /^subnet-[0-9a-f]+$/;
const ROUTE_TABLE_ID = /^rtb-[0-9a-f]+$/;

/** ModifySubnetAttribute names the subnet (EC2 API Reference, request parameter SubnetId). */
export const subnetModified: Extractor = (e) => {
  const id = firstString(e.requestParameters.subnetId);
  return id && SUBNET_ID.test(id) ? [{ type: "subnet", subnetId: id }] : [];
};

/** CreateRoute / ReplaceRoute name the route table; the route in the request is re-read, never trusted. */
export const routeChanged: Extractor = (e) => {
  const id = firstString(e.requestParameters.routeTableId);
  return id && ROUTE_TABLE_ID.test(id) ? [{ type: "route-table", routeTableId: id }] : [];
};

/** AssociateRouteTable: a subnet now uses the table (a gateway edge association names no subnet: not ours). */
export const routeTableAssociated: Extractor = (e) => {
  const id = firstString(e.requestParameters.routeTableId);
  const subnetId = firstString(e.requestParameters.subnetId);
  if (!id || !ROUTE_TABLE_ID.test(id) || !subnetId || !SUBNET_ID.test(subnetId)) return [];
  return [{ type: "route-table", routeTableId: id, subnetId }];
};

/** ReplaceRouteTableAssociation: the association EC2 answers with (newAssociationId) now points at the table. */
export const routeTableAssociationReplaced: Extractor = (e) => {
  const id = firstString(e.requestParameters.routeTableId);
  const associationId = firstString(e.responseElements.newAssociationId);
  if (!id || !ROUTE_TABLE_ID.test(id)) return [];
  return [{ type: "route-table", routeTableId: id, ...(associationId ? { associationId } : {}) }];
};
