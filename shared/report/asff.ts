import type { AwsSecurityFinding, ResourceDetails, WorkflowStatus } from "@aws-sdk/client-securityhub";
import { type ControlId, SECURITY_HUB } from "../config/controls.js";
import type { Severity } from "../controls/types.js";
import type { Lifecycle, ReportItem } from "./item.js";
import { field, fieldMap } from "./text.js";

/**
 * The AWS Security Finding Format (ASFF, schema 2018-10-08) of a report item: what `efs-guard scan --format asff`
 * prints and what the Security Hub reporter imports with BatchImportFindings. Pure. Field limits follow the
 * Security Hub API reference (AwsSecurityFinding): Id and GeneratorId 512, Title 256, Description 1024,
 * Remediation.Recommendation.Text 512, Note.Text 512, Severity.Original 64, ProductFields 50 pairs with keys of 128
 * and values of 2048, Details.Other 50 pairs with keys under 128 and values under 1024, tags as AWS tags (128/256).
 */
export const SCHEMA_VERSION = "2018-10-08";
export const PRODUCT_NAME = "EFS Guard";
/** Note.UpdatedBy of every note EFS Guard writes: how it recognises a workflow status it set itself. */
export const NOTE_AUTHOR = "EFS Guard";

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("us-iso-")) return "aws-iso";
  if (region.startsWith("us-isob-")) return "aws-iso-b";
  return "aws";
}

/** The default product of custom integrations: the account's own findings, imported by the account itself. */
export function productArn(region: string, account: string): string {
  return `arn:${partitionOf(region)}:securityhub:${region}:${account}:product/${account}/default`;
}

/**
 * Stable per account, region, control and resource: every re-evaluation (event, sweep, scan) updates the same
 * finding, and two controls on one resource are two findings. The resource id is one that AWS assigns (fs-, sg-,
 * a key id), never a name, so nobody can make two resources share a finding.
 */
export function findingId(item: Pick<ReportItem, "control" | "resource">): string {
  const { region, account, id } = item.resource;
  return field(`efs-guard/${region}/${account}/${item.control}/${id}`, 512);
}

const TITLES: Record<ControlId, string> = {
  "efs-encrypted-at-rest": "EFS file systems should be encrypted at rest with a customer managed KMS key",
  "efs-tls-enforced": "EFS file system policies should deny every request without TLS",
  "efs-nfs-ingress-restricted": "Mount-target security groups should not allow NFS from outside the allowed sources",
  "efs-key-rotation-enabled": "KMS keys that encrypt EFS should rotate automatically within the required period",
  "efs-key-usable": "KMS keys that encrypt EFS should not be disabled or pending deletion",
  "efs-backup-enabled": "EFS file systems should have automatic backups enabled",
  "efs-policy-not-public": "EFS file system policies should not grant access to everyone",
  "efs-guard-tags-audited":
    "Changes of efs-guard:* tags (exemptions, migration records) should be made by the security team",
  "efs-iam-authorization-required":
    "EFS file system policies should require an IAM identity to mount or write (no ClientMount or ClientWrite to everyone)",
  "efs-root-access-restricted": "EFS file system policies should not grant root access (ClientRootAccess) to everyone",
  "efs-mount-target-private":
    "EFS mount targets should not be in subnets that assign public IPs or route to an internet gateway",
  "efs-access-point-enforced": "EFS access points should enforce a POSIX user and a root directory other than /",
  "efs-key-policy-restricted":
    "Key policies of KMS keys that encrypt EFS should not grant data-plane use to everyone or to untrusted accounts",
  "efs-replica-encrypted": "EFS replication destinations should be encrypted at rest",
  "efs-clients-use-tls": "ECS task definitions should mount EFS volumes with transit encryption enabled",
};

const RECOMMENDATIONS: Record<ControlId, string> = {
  "efs-encrypted-at-rest":
    "Encryption cannot be turned on for an existing file system: approve the EFS Guard migration (efs-guard approve EXECUTION), which recreates it encrypted with the configured key, then cut over.",
  "efs-tls-enforced":
    'Add a Deny statement for every principal when "aws:SecureTransport" is "false" to the file system policy; EFS Guard merges it into the existing policy in remediate mode.',
  "efs-nfs-ingress-restricted":
    "Revoke the NFS (TCP 2049) rules whose source is the internet or outside allowedNfsSources; allow NFS from the VPC or from referenced security groups only.",
  "efs-key-rotation-enabled":
    "Enable automatic rotation on the key (aws kms enable-key-rotation --rotation-period-in-days N) within the required period.",
  "efs-key-usable":
    "Cancel the scheduled deletion (aws kms cancel-key-deletion) and enable the key (aws kms enable-key), or the file systems it encrypts become unreadable.",
  "efs-backup-enabled": "Turn on automatic backups: aws efs put-backup-policy --backup-policy Status=ENABLED.",
  "efs-policy-not-public":
    "Narrow every statement that grants to everyone (Principal *) with a condition such as aws:SourceVpc, aws:PrincipalOrgID or elasticfilesystem:AccessedViaMountTarget.",
  "efs-guard-tags-audited":
    "Check that the tag change was intended; keep efs-guard:* tags to the security role with the service control policy in docs/exemptions.md.",
  "efs-iam-authorization-required":
    "Add a file system policy that grants elasticfilesystem:ClientMount and ClientWrite only to named principals (or narrowed by aws:PrincipalArn, aws:PrincipalOrgID or aws:PrincipalAccount), and mount with the IAM mount option (mount -t efs -o tls,iam).",
  "efs-root-access-restricted":
    "Remove elasticfilesystem:ClientRootAccess from statements that grant to everyone; grant it only to the named administration roles so that other clients are root-squashed.",
  "efs-mount-target-private":
    "Move the mount target to a private subnet: no public IPv4 on launch (aws ec2 modify-subnet-attribute --no-map-public-ip-on-launch) and no 0.0.0.0/0 or ::/0 route to an internet gateway.",
  "efs-access-point-enforced":
    "Recreate the access point with a PosixUser (Uid, Gid) and a RootDirectory path other than / (access points cannot be changed after creation), then move clients to it.",
  "efs-key-policy-restricted":
    "Narrow the key policy statements that grant kms:Decrypt, kms:ReEncrypt*, kms:CreateGrant or kms:* to everyone with kms:CallerAccount, kms:ViaService or aws:PrincipalOrgID, and grant other accounts only if they are in trustedAccounts.",
  "efs-replica-encrypted":
    "Delete the replication configuration and create it again to an encrypted destination (with the customer managed key when requireCustomerManagedKey is on); a destination's encryption cannot be changed.",
  "efs-clients-use-tls":
    'Register a new revision of the task definition with "transitEncryption": "ENABLED" in every efsVolumeConfiguration, deploy it, and deregister the old revisions.',
};

/** Types taxonomy (namespace/category/classifier) of each control. */
const TYPES: Record<ControlId, string[]> = {
  "efs-encrypted-at-rest": ["Software and Configuration Checks/AWS Security Best Practices", "Effects/Data Exposure"],
  "efs-tls-enforced": ["Software and Configuration Checks/AWS Security Best Practices", "Effects/Data Exposure"],
  "efs-nfs-ingress-restricted": [
    "Software and Configuration Checks/AWS Security Best Practices/Network Reachability",
    "Effects/Data Exposure",
  ],
  "efs-key-rotation-enabled": ["Software and Configuration Checks/AWS Security Best Practices"],
  "efs-key-usable": ["Software and Configuration Checks/AWS Security Best Practices", "Effects/Data Destruction"],
  "efs-backup-enabled": ["Software and Configuration Checks/AWS Security Best Practices", "Effects/Data Destruction"],
  "efs-policy-not-public": ["Software and Configuration Checks/AWS Security Best Practices", "Effects/Data Exposure"],
  "efs-guard-tags-audited": ["Unusual Behaviors/User", "Software and Configuration Checks/AWS Security Best Practices"],
  "efs-iam-authorization-required": [
    "Software and Configuration Checks/AWS Security Best Practices",
    "Effects/Data Exposure",
  ],
  "efs-root-access-restricted": [
    "Software and Configuration Checks/AWS Security Best Practices",
    "Effects/Data Exposure",
  ],
  "efs-mount-target-private": [
    "Software and Configuration Checks/AWS Security Best Practices/Network Reachability",
    "Effects/Data Exposure",
  ],
  "efs-access-point-enforced": ["Software and Configuration Checks/AWS Security Best Practices"],
  "efs-key-policy-restricted": [
    "Software and Configuration Checks/AWS Security Best Practices",
    "Effects/Data Exposure",
  ],
  "efs-replica-encrypted": ["Software and Configuration Checks/AWS Security Best Practices", "Effects/Data Exposure"],
  "efs-clients-use-tls": ["Software and Configuration Checks/AWS Security Best Practices", "Effects/Data Exposure"],
};

const LABEL: Record<Severity, "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "INFORMATIONAL"> = {
  critical: "CRITICAL",
  high: "HIGH",
  medium: "MEDIUM",
  low: "LOW",
  info: "INFORMATIONAL",
};

export const COMPLIANCE: Record<Lifecycle, "FAILED" | "PASSED" | "NOT_AVAILABLE"> = {
  failed: "FAILED",
  exempt: "FAILED",
  "migration-started": "FAILED",
  passed: "PASSED",
  "not-applicable": "NOT_AVAILABLE",
};

const RESOURCE_TYPE = {
  "file-system": "AwsEfsFileSystem",
  "security-group": "AwsEc2SecurityGroup",
  "kms-key": "AwsKmsKey",
  "access-point": "AwsEfsAccessPoint",
  "task-definition": "AwsEcsTaskDefinition",
  // A subnet's finding is efs-guard-tags-audited's (a change of its exemption tags).
  subnet: "AwsEc2Subnet",
} as const;

export function resourceArn(item: Pick<ReportItem, "resource" | "evidence">): string {
  const { type, id, region, account, arn } = item.resource;
  if (arn) return arn;
  const p = partitionOf(region);
  if (type === "file-system") return `arn:${p}:elasticfilesystem:${region}:${account}:file-system/${id}`;
  if (type === "security-group") return `arn:${p}:ec2:${region}:${account}:security-group/${id}`;
  if (type === "access-point") return `arn:${p}:elasticfilesystem:${region}:${account}:access-point/${id}`;
  // A task definition's id is family:revision, its ARN arn:...:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION.
  if (type === "task-definition") return `arn:${p}:ecs:${region}:${account}:task-definition/${id}`;
  if (type === "subnet") return `arn:${p}:ec2:${region}:${account}:subnet/${id}`;
  const keyArn = item.evidence.keyArn;
  if (typeof keyArn === "string" && keyArn.startsWith("arn:")) return keyArn;
  return id.startsWith("arn:") ? id : `arn:${p}:kms:${region}:${account}:key/${id}`;
}

const OTHER = { count: 50, key: 127, value: 1023 };

function other(evidence: Record<string, unknown>, skip: readonly string[] = []): Record<string, string> {
  return fieldMap(
    Object.entries(evidence).filter(([k]) => !skip.includes(k)),
    OTHER,
  );
}

interface RuleEvidence {
  ruleId?: string;
  protocol?: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  prefixListId?: string;
  referencedGroupId?: string;
}

function details(item: ReportItem): ResourceDetails | undefined {
  const e = item.evidence;
  if (item.resource.type === "security-group") {
    const rules = (Array.isArray(e.offendingRules) ? e.offendingRules : []) as RuleEvidence[];
    const permissions = rules.slice(0, 50).map((r) => ({
      IpProtocol: field(r.protocol, 16),
      ...(typeof r.fromPort === "number" ? { FromPort: r.fromPort } : {}),
      ...(typeof r.toPort === "number" ? { ToPort: r.toPort } : {}),
      ...(r.cidrIpv4 ? { IpRanges: [{ CidrIp: field(r.cidrIpv4, 64) }] } : {}),
      ...(r.cidrIpv6 ? { Ipv6Ranges: [{ CidrIpv6: field(r.cidrIpv6, 64) }] } : {}),
      ...(r.prefixListId ? { PrefixListIds: [{ PrefixListId: field(r.prefixListId, 64) }] } : {}),
      ...(r.referencedGroupId ? { UserIdGroupPairs: [{ GroupId: field(r.referencedGroupId, 64) }] } : {}),
    }));
    const rest = other(e, ["vpcId", "offendingRules"]);
    if (rules.length > 0) rest.offendingRuleIds = field(rules.map((r) => r.ruleId).join(","), 1023);
    return {
      AwsEc2SecurityGroup: {
        GroupId: field(item.resource.id, 64),
        ...(typeof e.vpcId === "string" ? { VpcId: field(e.vpcId, 64) } : {}),
        ...(permissions.length > 0 ? { IpPermissions: permissions } : {}),
      },
      ...(Object.keys(rest).length > 0 ? { Other: rest } : {}),
    };
  }
  if (item.resource.type === "kms-key") {
    const rest = other(e, ["keyState", "rotationEnabled"]);
    return {
      AwsKmsKey: {
        KeyId: field(item.resource.id, 256),
        AWSAccountId: item.resource.account,
        ...(typeof e.keyState === "string" ? { KeyState: field(e.keyState, 64) } : {}),
        ...(typeof e.rotationEnabled === "boolean" ? { KeyRotationStatus: e.rotationEnabled } : {}),
      },
      ...(Object.keys(rest).length > 0 ? { Other: rest } : {}),
    };
  }
  // ASFF has no details object for a file system: Other carries the facts the verdict rests on.
  const rest = other(e);
  return Object.keys(rest).length > 0 ? { Other: rest } : undefined;
}

function productFields(item: ReportItem): Record<string, string> {
  const c = item.change;
  const hub = SECURITY_HUB[item.control];
  return fieldMap(
    [
      ["efs-guard/control", item.control],
      ["efs-guard/lifecycle", item.lifecycle],
      ["efs-guard/outcome", item.outcome],
      ["efs-guard/detail", item.detail],
      ["efs-guard/why", item.why],
      ["efs-guard/source", item.source],
      ["efs-guard/plan", item.plan],
      ["efs-guard/undo", item.undo],
      ["efs-guard/exemption/until", item.exemptUntil],
      ["efs-guard/securityHubControls", hub?.join(",")],
      ["efs-guard/event/id", c?.eventId],
      ["efs-guard/event/name", c ? `${c.eventSource}:${c.eventName}` : undefined],
      ["efs-guard/event/time", c?.eventTime],
      ["efs-guard/actor", c?.actor],
      ["efs-guard/actor/sourceIPAddress", c?.sourceIPAddress],
      ["efs-guard/actor/userAgent", c?.userAgent],
    ],
    { count: 50, key: 128, value: 2048 },
  );
}

/** The workflow status EFS Guard sets for a lifecycle, when it sets one (failed: left to the people triaging). */
export const WORKFLOW: Partial<Record<Lifecycle, WorkflowStatus>> = {
  passed: "RESOLVED",
  exempt: "SUPPRESSED",
  "migration-started": "NOTIFIED",
};

/**
 * The note that goes with a workflow status EFS Guard sets. It starts with "[EFS Guard STATUS]" so that a later
 * evaluation can tell a status EFS Guard set (and may change) from one a person set (which it leaves alone).
 */
export function noteText(item: ReportItem, status: WorkflowStatus): string {
  const at = item.observedAt;
  const by = item.change ? ` after ${item.change.eventName}${item.change.actor ? ` by ${item.change.actor}` : ""}` : "";
  const body =
    item.lifecycle === "exempt"
      ? `exempt: ${item.why}${item.exemptUntil ? "" : " (no expiry)"}`
      : item.lifecycle === "migration-started"
        ? `migration started${by}: ${item.detail}`
        : item.lifecycle === "passed" && item.outcome === "remediated"
          ? `remediated at ${at}${by}: ${item.detail}`
          : item.lifecycle === "passed"
            ? `compliant at ${at}: ${item.summary}`
            : `reopened at ${at}: ${item.summary}`;
  return field(`${noteMarker(status)} ${body}`, 512);
}

export function noteMarker(status: WorkflowStatus): string {
  return `[${NOTE_AUTHOR} ${status}]`;
}

/** The ASFF finding of one report item, as created fresh (the reporter keeps CreatedAt of an existing finding). */
export function toAsff(item: ReportItem): AwsSecurityFinding {
  const { region, account } = item.resource;
  const lifecycle = item.lifecycle;
  const status = COMPLIANCE[lifecycle];
  const label = status === "FAILED" ? LABEL[item.severity] : "INFORMATIONAL";
  const severity = { Label: label, Original: item.severity };
  const types = TYPES[item.control];
  const hub = SECURITY_HUB[item.control];
  const arn = resourceArn(item);
  const tags = item.tags ? fieldMap(Object.entries(item.tags), { count: 50, key: 128, value: 256 }) : undefined;
  const resourceDetails = details(item);
  const workflow = WORKFLOW[lifecycle] ?? "NEW";
  const recommendation =
    lifecycle === "failed" && item.plan ? `${item.why}; EFS Guard would ${item.plan}` : RECOMMENDATIONS[item.control];
  return {
    SchemaVersion: SCHEMA_VERSION,
    Id: findingId(item),
    ProductArn: productArn(region, account),
    ProductName: PRODUCT_NAME,
    CompanyName: PRODUCT_NAME,
    Region: region,
    GeneratorId: item.control,
    AwsAccountId: account,
    Types: types,
    FirstObservedAt: item.observedAt,
    LastObservedAt: item.observedAt,
    CreatedAt: item.observedAt,
    UpdatedAt: item.observedAt,
    Severity: severity,
    Title: field(`${hub ? `${hub.join("/")} ` : ""}${item.control}: ${TITLES[item.control]}`, 256),
    Description: field(`${item.summary}. ${item.detail}`, 1024),
    Remediation: { Recommendation: { Text: field(recommendation, 512) } },
    ProductFields: productFields(item),
    Resources: [
      {
        Type: RESOURCE_TYPE[item.resource.type],
        Id: field(arn, 2048),
        Partition: partitionOf(region) as "aws",
        Region: region,
        ...(tags && Object.keys(tags).length > 0 ? { Tags: tags } : {}),
        ...(resourceDetails ? { Details: resourceDetails } : {}),
      },
    ],
    Compliance: {
      Status: status,
      ...(hub ? { SecurityControlId: hub[0], RelatedRequirements: hub.map((id) => `AWS Security Hub ${id}`) } : {}),
    },
    FindingProviderFields: { Severity: severity, Types: types },
    RecordState: lifecycle === "not-applicable" ? "ARCHIVED" : "ACTIVE",
    Workflow: { Status: workflow },
    ...(WORKFLOW[lifecycle]
      ? { Note: { Text: noteText(item, workflow), UpdatedBy: NOTE_AUTHOR, UpdatedAt: item.observedAt } }
      : {}),
  };
}
