import { randomUUID } from "node:crypto";

/**
 * Builds EventBridge envelopes of CloudTrail records in the shapes AWS emits (see events/samples/ for recorded
 * examples). Used by the demo, the benchmark and the tests to produce the event a real change would produce.
 */
export interface ActorInput {
  arn?: string;
  sourceIPAddress?: string;
  userAgent?: string;
}

const DEFAULT_ACTOR = {
  arn: "arn:aws:sts::123456789012:assumed-role/Admin/alice",
  sourceIPAddress: "203.0.113.10",
  userAgent: "aws-cli/2.17.0 md/awscrt#0.20.11 ua/2.0 os/linux#6.1",
};

const EVENTBRIDGE_SOURCE: Record<string, string> = {
  "ec2.amazonaws.com": "aws.ec2",
  "elasticfilesystem.amazonaws.com": "aws.elasticfilesystem",
  "kms.amazonaws.com": "aws.kms",
};

export interface CloudTrailInput {
  eventSource: string;
  eventName: string;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  region?: string;
  account?: string;
  actor?: ActorInput;
  errorCode?: string;
  errorMessage?: string;
  resources?: { ARN: string; accountId?: string; type?: string }[];
}

export function cloudTrailEnvelope(input: CloudTrailInput) {
  const region = input.region ?? "us-east-1";
  const account = input.account ?? "123456789012";
  const actor = { ...DEFAULT_ACTOR, ...input.actor };
  const time = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const sessionRole = actor.arn.replace(/^arn:aws:sts::(\d+):assumed-role\/([^/]+)\/.*$/, "arn:aws:iam::$1:role/$2");
  const detail: Record<string, unknown> = {
    eventVersion: "1.09",
    userIdentity: {
      type: "AssumedRole",
      principalId: "AROAEXAMPLEID:alice",
      arn: actor.arn,
      accountId: account,
      accessKeyId: "ASIAEXAMPLEKEY",
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          principalId: "AROAEXAMPLEID",
          arn: sessionRole,
          accountId: account,
          userName: "Admin",
        },
        attributes: { creationDate: time, mfaAuthenticated: "false" },
      },
    },
    eventTime: time,
    eventSource: input.eventSource,
    eventName: input.eventName,
    awsRegion: region,
    sourceIPAddress: actor.sourceIPAddress,
    userAgent: actor.userAgent,
    requestParameters: input.requestParameters ?? null,
    responseElements: input.responseElements ?? null,
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: "Management",
  };
  if (input.errorCode) {
    detail.errorCode = input.errorCode;
    detail.errorMessage = input.errorMessage ?? "error";
  }
  if (input.resources) detail.resources = input.resources;
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "AWS API Call via CloudTrail",
    source: EVENTBRIDGE_SOURCE[input.eventSource] ?? `aws.${input.eventSource.split(".")[0]}`,
    account,
    time,
    region,
    resources: [],
    detail,
  };
}

export interface NfsRuleInput {
  groupId: string;
  ruleId: string;
  cidr: string;
  protocol?: string;
  fromPort?: number;
  toPort?: number;
}

/** AuthorizeSecurityGroupIngress as EC2 records it: lists wrapped in {"items": [...]}, empty ones as {}. */
export function authorizeIngressEvent(rule: NfsRuleInput, extra: Partial<CloudTrailInput> = {}) {
  const v6 = rule.cidr.includes(":");
  const protocol = rule.protocol ?? "tcp";
  const ports = protocol === "-1" ? {} : { fromPort: rule.fromPort ?? 2049, toPort: rule.toPort ?? 2049 };
  return cloudTrailEnvelope({
    eventSource: "ec2.amazonaws.com",
    eventName: "AuthorizeSecurityGroupIngress",
    requestParameters: {
      groupId: rule.groupId,
      ipPermissions: {
        items: [
          {
            ipProtocol: protocol,
            ...ports,
            groups: {},
            ipRanges: v6 ? {} : { items: [{ cidrIp: rule.cidr }] },
            ipv6Ranges: v6 ? { items: [{ cidrIpv6: rule.cidr }] } : {},
            prefixListIds: {},
          },
        ],
      },
    },
    responseElements: {
      requestId: randomUUID(),
      _return: true,
      securityGroupRuleSet: {
        items: [
          {
            groupOwnerId: extra.account ?? "123456789012",
            groupId: rule.groupId,
            securityGroupRuleId: rule.ruleId,
            isEgress: false,
            ipProtocol: protocol,
            fromPort: protocol === "-1" ? -1 : (rule.fromPort ?? 2049),
            toPort: protocol === "-1" ? -1 : (rule.toPort ?? 2049),
            ...(v6 ? { cidrIpv6: rule.cidr } : { cidrIpv4: rule.cidr }),
          },
        ],
      },
    },
    ...extra,
  });
}

/** ModifySecurityGroupRules: PascalCase, nested one level deeper than the other EC2 calls. */
export function modifyRulesEvent(groupId: string, ruleId: string, rule: Record<string, unknown>) {
  return cloudTrailEnvelope({
    eventSource: "ec2.amazonaws.com",
    eventName: "ModifySecurityGroupRules",
    requestParameters: {
      ModifySecurityGroupRulesRequest: {
        GroupId: groupId,
        SecurityGroupRule: { SecurityGroupRuleId: ruleId, SecurityGroupRule: rule, tag: 1 },
      },
    },
    responseElements: { ModifySecurityGroupRulesResponse: { return: true, requestId: randomUUID() } },
  });
}

export function createMountTargetEvent(mt: {
  fileSystemId: string;
  mountTargetId: string;
  subnetId: string;
  securityGroups: string[];
  vpcId?: string;
}) {
  return cloudTrailEnvelope({
    eventSource: "elasticfilesystem.amazonaws.com",
    eventName: "CreateMountTarget",
    requestParameters: { fileSystemId: mt.fileSystemId, subnetId: mt.subnetId, securityGroups: mt.securityGroups },
    responseElements: {
      ownerId: "123456789012",
      mountTargetId: mt.mountTargetId,
      fileSystemId: mt.fileSystemId,
      subnetId: mt.subnetId,
      lifeCycleState: "creating",
      ...(mt.vpcId ? { vpcId: mt.vpcId } : {}),
    },
  });
}

export function modifyMountTargetSecurityGroupsEvent(mountTargetId: string, securityGroups: string[]) {
  return cloudTrailEnvelope({
    eventSource: "elasticfilesystem.amazonaws.com",
    eventName: "ModifyMountTargetSecurityGroups",
    requestParameters: { mountTargetId, securityGroups },
    responseElements: null,
  });
}

export interface KmsKeyRef {
  /** What the caller sent as keyId: a key id, a key ARN, an alias name or an alias ARN. */
  sent: string;
  /** The key's ARN. KMS events name the key in resources[]; undefined leaves resources out (older records). */
  keyArn?: string;
}

function kmsResources(key: KmsKeyRef, account: string) {
  return key.keyArn ? [{ accountId: account, type: "AWS::KMS::Key", ARN: key.keyArn }] : undefined;
}

/**
 * A KMS management call as CloudTrail records it: requestParameters.keyId is what the caller sent, the key's ARN is in
 * resources[0].ARN, and the key-state calls have responseElements null (ScheduleKeyDeletion and CancelKeyDeletion
 * answer with the key ARN).
 */
export function kmsKeyEvent(
  eventName: "DisableKeyRotation" | "EnableKeyRotation" | "DisableKey" | "EnableKey" | "CancelKeyDeletion",
  key: KmsKeyRef,
  extra: Partial<CloudTrailInput> & { rotationPeriodInDays?: number } = {},
) {
  const account = extra.account ?? "123456789012";
  const { rotationPeriodInDays, ...rest } = extra;
  const resources = kmsResources(key, account);
  return cloudTrailEnvelope({
    eventSource: "kms.amazonaws.com",
    eventName,
    requestParameters: {
      keyId: key.sent,
      ...(rotationPeriodInDays !== undefined ? { rotationPeriodInDays } : {}),
    },
    responseElements: eventName === "CancelKeyDeletion" && key.keyArn ? { keyId: key.keyArn } : null,
    ...(resources ? { resources } : {}),
    ...rest,
  });
}

/**
 * CreateReplicationConfiguration as CloudTrail records EFS calls (camelCase request and response): the destination
 * as the caller asked for it and as EFS answered (both the caller's or EFS's word at the time, never re-read).
 */
export function createReplicationConfigurationEvent(
  sourceFileSystemId: string,
  destination: { region: string; fileSystemId: string; kmsKeyId?: string },
  extra: Partial<CloudTrailInput> = {},
) {
  const account = extra.account ?? "123456789012";
  const arn = `arn:aws:elasticfilesystem:us-east-1:${account}:file-system/${sourceFileSystemId}`;
  return cloudTrailEnvelope({
    eventSource: "elasticfilesystem.amazonaws.com",
    eventName: "CreateReplicationConfiguration",
    requestParameters: {
      sourceFileSystemId,
      destinations: [
        { region: destination.region, ...(destination.kmsKeyId ? { kmsKeyId: destination.kmsKeyId } : {}) },
      ],
    },
    responseElements: {
      sourceFileSystemId,
      sourceFileSystemRegion: "us-east-1",
      sourceFileSystemArn: arn,
      originalSourceFileSystemArn: arn,
      destinations: [
        { status: "ENABLING", fileSystemId: destination.fileSystemId, region: destination.region, ownerId: account },
      ],
    },
    ...extra,
  });
}

/**
 * PutKeyPolicy as CloudTrail records it (AWS KMS Developer Guide, ct-put-key-policy): the policy as the caller sent
 * it, a JSON string, policyName "default"; responseElements null.
 */
export function putKeyPolicyEvent(key: KmsKeyRef, policy: string, extra: Partial<CloudTrailInput> = {}) {
  const account = extra.account ?? "123456789012";
  const resources = kmsResources(key, account);
  return cloudTrailEnvelope({
    eventSource: "kms.amazonaws.com",
    eventName: "PutKeyPolicy",
    requestParameters: { keyId: key.sent, policyName: "default", policy, bypassPolicyLockoutSafetyCheck: false },
    responseElements: null,
    ...(resources ? { resources } : {}),
    ...extra,
  });
}

/** ScheduleKeyDeletion: CloudTrail writes the deletion date as "Dec 26, 2026, 12:00:00 AM". */
export function scheduleKeyDeletionEvent(
  key: KmsKeyRef,
  pendingWindowInDays = 30,
  deletionDate = new Date(Date.now() + pendingWindowInDays * 86_400_000),
  extra: Partial<CloudTrailInput> = {},
) {
  const account = extra.account ?? "123456789012";
  const resources = kmsResources(key, account);
  const when = deletionDate.toLocaleString("en-US", {
    timeZone: "UTC",
    month: "short",
    day: "numeric",
    year: "numeric",
    hour: "numeric",
    minute: "2-digit",
    second: "2-digit",
  });
  return cloudTrailEnvelope({
    eventSource: "kms.amazonaws.com",
    eventName: "ScheduleKeyDeletion",
    requestParameters: { keyId: key.sent, pendingWindowInDays },
    responseElements: {
      keyId: key.keyArn ?? key.sent,
      deletionDate: when,
      keyState: "PendingDeletion",
      pendingWindowInDays,
    },
    ...(resources ? { resources } : {}),
    ...extra,
  });
}

export interface FileSystemInput {
  fileSystemId: string;
  encrypted?: boolean;
  /** The key as the caller named it (id, ARN or alias); a key implies encrypted unless `encrypted` says otherwise. */
  kmsKeyId?: string;
  /** The key's ARN, which EFS returns in the response whatever the caller sent (default: kmsKeyId). */
  kmsKeyArn?: string;
  creationToken?: string;
  tags?: Record<string, string>;
  account?: string;
  region?: string;
}

/** CreateFileSystem as EFS records it: the new id, encryption and key are in responseElements. */
export function createFileSystemEvent(fs: FileSystemInput, extra: Partial<CloudTrailInput> = {}) {
  const account = fs.account ?? "123456789012";
  const region = fs.region ?? "us-east-1";
  const token = fs.creationToken ?? `console-${fs.fileSystemId}`;
  const tagMap = fs.tags ?? { Name: "shared" };
  const tags = Object.entries(tagMap).map(([key, value]) => ({ key, value }));
  const encrypted = fs.encrypted ?? fs.kmsKeyId !== undefined;
  return cloudTrailEnvelope({
    eventSource: "elasticfilesystem.amazonaws.com",
    eventName: "CreateFileSystem",
    requestParameters: {
      creationToken: token,
      performanceMode: "generalPurpose",
      encrypted,
      ...(fs.kmsKeyId ? { kmsKeyId: fs.kmsKeyId } : {}),
      throughputMode: "elastic",
      tags,
    },
    responseElements: {
      ownerId: account,
      creationToken: token,
      fileSystemId: fs.fileSystemId,
      fileSystemArn: `arn:aws:elasticfilesystem:${region}:${account}:file-system/${fs.fileSystemId}`,
      creationTime: "Nov 26, 2026, 10:15:42 AM",
      lifeCycleState: "creating",
      // EFS names a file system after its Name tag.
      ...(tagMap.Name ? { name: tagMap.Name } : {}),
      numberOfMountTargets: 0,
      sizeInBytes: { value: 0, valueInIA: 0, valueInStandard: 0, valueInArchive: 0 },
      performanceMode: "generalPurpose",
      encrypted,
      ...(encrypted && (fs.kmsKeyArn ?? fs.kmsKeyId) ? { kmsKeyId: fs.kmsKeyArn ?? fs.kmsKeyId } : {}),
      throughputMode: "elastic",
      tags,
      fileSystemProtection: { replicationOverwriteProtection: "ENABLED" },
    },
    account,
    region,
    ...extra,
  });
}

/** PutFileSystemPolicy: the policy travels as a JSON string, in the request and echoed in the response. */
export function putFileSystemPolicyEvent(fileSystemId: string, policy: string, extra: Partial<CloudTrailInput> = {}) {
  return cloudTrailEnvelope({
    eventSource: "elasticfilesystem.amazonaws.com",
    eventName: "PutFileSystemPolicy",
    requestParameters: { fileSystemId, policy, bypassPolicyLockoutSafetyCheck: false },
    responseElements: { fileSystemId, policy },
    ...extra,
  });
}

export function deleteFileSystemPolicyEvent(fileSystemId: string, extra: Partial<CloudTrailInput> = {}) {
  return cloudTrailEnvelope({
    eventSource: "elasticfilesystem.amazonaws.com",
    eventName: "DeleteFileSystemPolicy",
    requestParameters: { fileSystemId },
    responseElements: null,
    ...extra,
  });
}

export function putBackupPolicyEvent(
  fileSystemId: string,
  status: "ENABLED" | "DISABLED",
  extra: Partial<CloudTrailInput> = {},
) {
  return cloudTrailEnvelope({
    eventSource: "elasticfilesystem.amazonaws.com",
    eventName: "PutBackupPolicy",
    requestParameters: { fileSystemId, backupPolicy: { status } },
    responseElements: { backupPolicy: { status: status === "ENABLED" ? "ENABLING" : "DISABLING" } },
    ...extra,
  });
}

/** EC2 CreateTags / DeleteTags: resources in resourcesSet, tags in tagSet (values optional for DeleteTags). */
export function ec2TagsEvent(
  eventName: "CreateTags" | "DeleteTags",
  resourceIds: string[],
  tags: Record<string, string | undefined> | undefined,
  extra: Partial<CloudTrailInput> = {},
) {
  const tagSet = tags
    ? {
        tagSet: { items: Object.entries(tags).map(([key, value]) => (value === undefined ? { key } : { key, value })) },
      }
    : {};
  return cloudTrailEnvelope({
    eventSource: "ec2.amazonaws.com",
    eventName,
    requestParameters: { resourcesSet: { items: resourceIds.map((resourceId) => ({ resourceId })) }, ...tagSet },
    responseElements: { requestId: randomUUID(), _return: true },
    ...extra,
  });
}

/** EFS TagResource / UntagResource (resourceId), or the older CreateTags / DeleteTags (fileSystemId). */
export function efsTagsEvent(
  eventName: "TagResource" | "UntagResource" | "CreateTags" | "DeleteTags",
  fileSystemId: string,
  tags: Record<string, string> | string[],
  extra: Partial<CloudTrailInput> = {},
) {
  const id =
    eventName === "TagResource" || eventName === "UntagResource" ? { resourceId: fileSystemId } : { fileSystemId };
  const body = Array.isArray(tags)
    ? { tagKeys: tags }
    : { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) };
  return cloudTrailEnvelope({
    eventSource: "elasticfilesystem.amazonaws.com",
    eventName,
    requestParameters: { ...id, ...body },
    responseElements: null,
    ...extra,
  });
}

/** KMS TagResource ({tagKey, tagValue}) / UntagResource (tagKeys); the key ARN in resources. */
export function kmsTagsEvent(
  eventName: "TagResource" | "UntagResource",
  key: KmsKeyRef,
  tags: Record<string, string> | string[],
  extra: Partial<CloudTrailInput> = {},
) {
  const account = extra.account ?? "123456789012";
  const resources = kmsResources(key, account);
  const body = Array.isArray(tags)
    ? { tagKeys: tags }
    : { tags: Object.entries(tags).map(([tagKey, tagValue]) => ({ tagKey, tagValue })) };
  return cloudTrailEnvelope({
    eventSource: "kms.amazonaws.com",
    eventName,
    requestParameters: { keyId: key.sent, ...body },
    responseElements: null,
    ...(resources ? { resources } : {}),
    ...extra,
  });
}

export interface AccessPointInput {
  accessPointId: string;
  fileSystemId: string;
  posixUser?: { uid: number; gid: number };
  rootDirectory?: string;
  tags?: Record<string, string>;
  account?: string;
  region?: string;
}

/** CreateAccessPoint as EFS records it: the request as sent, the new access point in responseElements. */
export function createAccessPointEvent(ap: AccessPointInput, extra: Partial<CloudTrailInput> = {}) {
  const account = ap.account ?? "123456789012";
  const region = ap.region ?? "us-east-1";
  const tags = Object.entries(ap.tags ?? {}).map(([key, value]) => ({ key, value }));
  const settings = {
    fileSystemId: ap.fileSystemId,
    ...(ap.posixUser ? { posixUser: ap.posixUser } : {}),
    ...(ap.rootDirectory ? { rootDirectory: { path: ap.rootDirectory } } : {}),
    tags,
  };
  return cloudTrailEnvelope({
    eventSource: "elasticfilesystem.amazonaws.com",
    eventName: "CreateAccessPoint",
    requestParameters: { clientToken: `token-${ap.accessPointId}`, ...settings },
    responseElements: {
      ...settings,
      accessPointId: ap.accessPointId,
      accessPointArn: `arn:aws:elasticfilesystem:${region}:${account}:access-point/${ap.accessPointId}`,
      ownerId: account,
      lifeCycleState: "creating",
    },
    account,
    region,
    ...extra,
  });
}

/**
 * ECS RegisterTaskDefinition as CloudTrail records it: the request as sent, ECS's answer under
 * responseElements.taskDefinition (the new revision's ARN, which is all the guard takes from the event).
 */
export function registerTaskDefinitionEvent(
  request: Record<string, unknown>,
  taskDefinition: Record<string, unknown>,
  extra: Partial<CloudTrailInput> = {},
) {
  return cloudTrailEnvelope({
    eventSource: "ecs.amazonaws.com",
    eventName: "RegisterTaskDefinition",
    requestParameters: request,
    responseElements: { taskDefinition, tags: [] },
    ...extra,
  });
}

// --- efs-mount-target-private (issue 15): the EC2 subnet and route calls, as CloudTrail records them -----------
const ec2Call = (
  eventName: string,
  requestParameters: Record<string, unknown>,
  response: Record<string, unknown> = {},
) =>
  cloudTrailEnvelope({
    eventSource: "ec2.amazonaws.com",
    eventName,
    requestParameters,
    responseElements: { requestId: randomUUID(), ...response },
  });

export function modifySubnetAttributeEvent(subnetId: string, mapPublicIpOnLaunch: boolean) {
  return ec2Call(
    "ModifySubnetAttribute",
    { subnetId, mapPublicIpOnLaunch: { value: mapPublicIpOnLaunch } },
    { _return: true },
  );
}

export function createRouteEvent(
  routeTableId: string,
  route: {
    destinationCidrBlock?: string;
    destinationIpv6CidrBlock?: string;
    gatewayId?: string;
    natGatewayId?: string;
  },
  eventName: "CreateRoute" | "ReplaceRoute" = "CreateRoute",
) {
  return ec2Call(eventName, { routeTableId, ...route }, { _return: true });
}

export function associateRouteTableEvent(routeTableId: string, subnetId: string, associationId: string) {
  return ec2Call(
    "AssociateRouteTable",
    { routeTableId, subnetId },
    { associationId, associationState: { state: "associated" } },
  );
}

export function replaceRouteTableAssociationEvent(
  associationId: string,
  routeTableId: string,
  newAssociationId: string,
) {
  return ec2Call(
    "ReplaceRouteTableAssociation",
    { associationId, routeTableId },
    { newAssociationId, associationState: { state: "associated" } },
  );
}
