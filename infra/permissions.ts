import { Stack } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import type { ControlId } from "../shared/config/controls.js";
import type { GuardConfig } from "../shared/config/schema.js";

/**
 * The IAM statements each guard needs, in one place: a guard's own function gets its guard's statements, the sweep
 * (which runs every guard) gets their union. Least privilege: read what the controls evaluate, and only the writes
 * that remediate (revoke, and authorize only the narrowed form of a rule being revoked; enable and cancel deletion,
 * never disable, schedule deletion or rewrite a key policy), and a write only while its control is in `remediate`
 * mode without `dryRun`: a control in `alert` or `off` never writes, so its role cannot (the configuration is fixed
 * at synth time; changing a mode is a deploy).
 */
export function remediates(config: GuardConfig, control: ControlId): boolean {
  return config.modes[control] === "remediate" && !config.dryRun;
}

export function nfsIngressStatements(scope: Construct, config: GuardConfig): PolicyStatement[] {
  const stack = Stack.of(scope);
  const sgArn = `arn:${stack.partition}:ec2:*:${stack.account}:security-group/*`;
  const fsArn = `arn:${stack.partition}:elasticfilesystem:*:${stack.account}:file-system/*`;
  return [
    new PolicyStatement({
      sid: "ReadSecurityGroups",
      // EC2 Describe* calls support no resource-level permissions. DescribeNetworkInterfaceAttribute is what
      // EFS's DescribeMountTargetSecurityGroups (the mount-target fallback) checks on the caller's behalf: "This
      // operation requires permissions for ... ec2:DescribeNetworkInterfaceAttribute action on the mount target's
      // network interface" (https://docs.aws.amazon.com/efs/latest/ug/API_DescribeMountTargetSecurityGroups.html).
      actions: [
        "ec2:DescribeNetworkInterfaceAttribute",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroupRules",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcs",
      ],
      resources: ["*"],
    }),
    new PolicyStatement({
      sid: "ReadMountTargets",
      // DescribeMountTargets: EFS's own record of a mount target's network interface, which tells a real mount
      // target from an interface that only carries its description.
      actions: ["elasticfilesystem:DescribeMountTargetSecurityGroups", "elasticfilesystem:DescribeMountTargets"],
      resources: [fsArn],
    }),
    ...(remediates(config, "efs-nfs-ingress-restricted")
      ? [
          new PolicyStatement({
            sid: "RevokeNfsIngress",
            actions: ["ec2:RevokeSecurityGroupIngress"],
            resources: [sgArn],
          }),
          new PolicyStatement({
            sid: "NarrowNfsIngress",
            // A rule broader than NFS on a group that also serves other interfaces is replaced by itself minus TCP
            // 2049: the narrowed rules are authorized before the original is revoked. The Service Authorization
            // Reference gives AuthorizeSecurityGroupIngress no condition key on ports, protocols or sources (only the
            // group's tags, id and VPC, and request tags that IAM checks only when the call carries
            // TagSpecifications), so IAM can pin it to this account's security groups and the guarded regions (the
            // fence), no further; the code adds nothing but the narrowed form of a rule it revokes in the same
            // remediation (shared/guards/nfs-ingress.ts checkPlan).
            actions: ["ec2:AuthorizeSecurityGroupIngress"],
            resources: [sgArn],
          }),
          new PolicyStatement({
            sid: "TagNarrowedRulesOnCreate",
            // The Service Authorization Reference lists ec2:CreateTags as a dependent action of
            // AuthorizeSecurityGroupIngress (tags on the new rules). Only on the rules that call creates, and only
            // within it (ec2:CreateAction): no tag of anything that exists can be changed with it.
            actions: ["ec2:CreateTags"],
            resources: [`arn:${stack.partition}:ec2:*:${stack.account}:security-group-rule/*`],
            conditions: { StringEquals: { "ec2:CreateAction": "AuthorizeSecurityGroupIngress" } },
          }),
        ]
      : []),
  ];
}

/**
 * `keyAccounts`: the accounts whose keys the key guard reads across accounts. Only the two reads KMS allows across
 * accounts (the API Reference's "Cross-account use: Yes"), each pinned to the listed accounts' keys; the key policy in
 * the other account must grant them too. No write: KMS accepts none from another account.
 */
function otherAccountKeyStatements(scope: Construct, keyAccounts: readonly string[]): PolicyStatement[] {
  if (keyAccounts.length === 0) return [];
  const stack = Stack.of(scope);
  return [
    new PolicyStatement({
      sid: "ReadKeysOfKeyAccounts",
      actions: ["kms:DescribeKey", "kms:GetKeyRotationStatus"],
      resources: [...new Set(keyAccounts)].sort().map((account) => `arn:${stack.partition}:kms:*:${account}:key/*`),
    }),
  ];
}

export function kmsKeyStatements(scope: Construct, config: GuardConfig): PolicyStatement[] {
  const stack = Stack.of(scope);
  const keyArn = `arn:${stack.partition}:kms:*:${stack.account}:key/*`;
  return [
    ...otherAccountKeyStatements(scope, config.keyAccounts),
    new PolicyStatement({
      sid: "ReadKeys",
      // DescribeKey resolves aliases too; IAM evaluates it against the key the alias points to. GetKeyPolicy: the
      // policy efs-key-policy-restricted judges (this account's keys only: KMS serves it to no other account).
      actions: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
      resources: [keyArn],
    }),
    new PolicyStatement({
      sid: "ListFileSystems",
      // Listing every file system (no FileSystemId) is authorized against the file-system resource type.
      actions: ["elasticfilesystem:DescribeFileSystems"],
      resources: [`arn:${stack.partition}:elasticfilesystem:*:${stack.account}:file-system/*`],
    }),
    ...(remediates(config, "efs-key-rotation-enabled")
      ? [new PolicyStatement({ sid: "EnableKeyRotation", actions: ["kms:EnableKeyRotation"], resources: [keyArn] })]
      : []),
    ...(remediates(config, "efs-key-usable")
      ? [
          new PolicyStatement({
            sid: "RestoreKeys",
            actions: ["kms:CancelKeyDeletion", "kms:EnableKey"],
            resources: [keyArn],
          }),
        ]
      : []),
  ];
}

/**
 * `writesTls` false: the file-system function while tlsEnforcement is "unless-clients-break", which leaves the TLS
 * deny on events to the ecs-clients function (tlsEnforcementStatements); the sweep and the member role still write it.
 */
export function fileSystemStatements(scope: Construct, config: GuardConfig, writesTls = true): PolicyStatement[] {
  const stack = Stack.of(scope);
  const fsArn = `arn:${stack.partition}:elasticfilesystem:*:${stack.account}:file-system/*`;
  return [
    new PolicyStatement({
      sid: "ListFileSystems",
      // With or without a FileSystemId (the sweep lists them all), DescribeFileSystems is authorized against the
      // file-system resource type, as the migration's capture step grants it.
      actions: ["elasticfilesystem:DescribeFileSystems"],
      resources: [fsArn],
    }),
    new PolicyStatement({
      sid: "ReadFileSystemPolicyAndBackups",
      actions: ["elasticfilesystem:DescribeBackupPolicy", "elasticfilesystem:DescribeFileSystemPolicy"],
      resources: [fsArn],
    }),
    new PolicyStatement({
      sid: "ReadFileSystemKeys",
      actions: ["kms:DescribeKey"],
      resources: [`arn:${stack.partition}:kms:*:${stack.account}:key/*`],
    }),
    ...(writesTls && remediates(config, "efs-tls-enforced")
      ? [
          new PolicyStatement({
            sid: "WriteTlsPolicy",
            actions: ["elasticfilesystem:PutFileSystemPolicy"],
            resources: [fsArn],
          }),
        ]
      : []),
    ...(remediates(config, "efs-backup-enabled")
      ? [
          new PolicyStatement({
            sid: "TurnOnBackups",
            actions: ["elasticfilesystem:PutBackupPolicy"],
            resources: [fsArn],
          }),
        ]
      : []),
  ];
}

/**
 * The access guard (efs-iam-authorization-required, efs-root-access-restricted, efs-access-point-enforced,
 * efs-replica-encrypted) reads and never writes: all four are alert only. DescribeAccessPoints is authorized against
 * the access point (by id) or the file system, so both resource types of this account are named. A replica lives in
 * another region: DescribeReplicationConfigurations and DescribeFileSystems of the destination, and DescribeKey of
 * its key, are sent in the destination's region, hence `*` as the region of every ARN (this account only). No
 * Step Functions.
 */
export function efsAccessStatements(scope: Construct): PolicyStatement[] {
  const stack = Stack.of(scope);
  const efsArn = (type: string) => `arn:${stack.partition}:elasticfilesystem:*:${stack.account}:${type}/*`;
  return [
    new PolicyStatement({
      sid: "ReadFileSystemsAndPolicies",
      actions: [
        "elasticfilesystem:DescribeFileSystemPolicy",
        "elasticfilesystem:DescribeFileSystems",
        "elasticfilesystem:DescribeReplicationConfigurations",
      ],
      resources: [efsArn("file-system")],
    }),
    new PolicyStatement({
      sid: "ReadAccessPoints",
      actions: ["elasticfilesystem:DescribeAccessPoints"],
      resources: [efsArn("access-point"), efsArn("file-system")],
    }),
    new PolicyStatement({
      sid: "ReadReplicaKeys",
      // efs-replica-encrypted: who manages a replica's key (KeyManager), with requireCustomerManagedKey.
      actions: ["kms:DescribeKey"],
      resources: [`arn:${stack.partition}:kms:*:${stack.account}:key/*`],
    }),
    new PolicyStatement({
      sid: "ReadNewFileSystemKeyPolicies",
      // efs-key-policy-restricted on CreateFileSystem: the new file system's key policy, and the key's exemption
      // tags for a non-compliant one. This account's keys only: KMS serves neither call to another account.
      actions: ["kms:GetKeyPolicy", "kms:ListResourceTags"],
      resources: [`arn:${stack.partition}:kms:*:${stack.account}:key/*`],
    }),
  ];
}

/**
 * The tag-change guard re-reads the tags of the resource a tag call named: nothing else, and no write at all.
 * DescribeSecurityGroups has no resource-level permissions; the file system's tags come with DescribeFileSystems.
 */
export function tagAuditStatements(scope: Construct): PolicyStatement[] {
  const stack = Stack.of(scope);
  return [
    new PolicyStatement({ sid: "ReadGroupTags", actions: ["ec2:DescribeSecurityGroups"], resources: ["*"] }),
    // A subnet's exemption tags (efs-mount-target-private); EC2 Describe* has no resource-level permissions.
    new PolicyStatement({ sid: "ReadSubnetTags", actions: ["ec2:DescribeSubnets"], resources: ["*"] }),
    new PolicyStatement({
      sid: "ReadFileSystemTags",
      actions: ["elasticfilesystem:DescribeFileSystems"],
      resources: [`arn:${stack.partition}:elasticfilesystem:*:${stack.account}:file-system/*`],
    }),
    new PolicyStatement({
      sid: "ReadAccessPointTags",
      // An access point's tags come with DescribeAccessPoints (by id: authorized on the access point).
      actions: ["elasticfilesystem:DescribeAccessPoints"],
      resources: [
        `arn:${stack.partition}:elasticfilesystem:*:${stack.account}:access-point/*`,
        `arn:${stack.partition}:elasticfilesystem:*:${stack.account}:file-system/*`,
      ],
    }),
    new PolicyStatement({
      sid: "ReadKeyTags",
      actions: ["kms:ListResourceTags"],
      resources: [`arn:${stack.partition}:kms:*:${stack.account}:key/*`],
    }),
  ];
}

/**
 * The ECS client guard (efs-clients-use-tls) reads task definitions and writes nothing. ListTaskDefinitions and
 * DescribeTaskDefinition support no resource-level permissions (Service Authorization Reference, Amazon ECS:
 * neither lists a resource type), so "*" is the narrowest resource IAM can express.
 */
export function ecsClientsStatements(): PolicyStatement[] {
  return [
    new PolicyStatement({
      sid: "ReadTaskDefinitions",
      actions: ["ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition"],
      resources: ["*"],
    }),
  ];
}

/** Whether the ecs-clients function takes efs-tls-enforced's events (shared/guards/tls-enforcement.ts). */
export function enforcesTlsWithLookup(config: GuardConfig): boolean {
  return config.tlsEnforcement === "unless-clients-break" && config.modes["efs-tls-enforced"] !== "off";
}

/**
 * efs-tls-enforced in the ecs-clients function (tlsEnforcement "unless-clients-break"): the file system (its mount
 * targets, state and tags), its policy, and the deny's write when the control remediates. Nothing otherwise.
 */
export function tlsEnforcementStatements(scope: Construct, config: GuardConfig): PolicyStatement[] {
  if (!enforcesTlsWithLookup(config)) return [];
  const fsArn = `arn:${Stack.of(scope).partition}:elasticfilesystem:*:${Stack.of(scope).account}:file-system/*`;
  return [
    new PolicyStatement({
      sid: "ReadFileSystemsAndPolicies",
      actions: ["elasticfilesystem:DescribeFileSystems", "elasticfilesystem:DescribeFileSystemPolicy"],
      resources: [fsArn],
    }),
    ...(remediates(config, "efs-tls-enforced")
      ? [
          new PolicyStatement({
            sid: "WriteTlsPolicyAfterClientLookup",
            actions: ["elasticfilesystem:PutFileSystemPolicy"],
            resources: [fsArn],
          }),
        ]
      : []),
  ];
}

/**
 * The mount-target guard (efs-mount-target-private) reads and writes nothing else: EFS's record of a file system's
 * mount targets, and EC2's subnets, route tables and mount-target interfaces. EC2 Describe* calls support no
 * resource-level permissions ("*"); DescribeMountTargets is authorized on the file system.
 */
export function mountTargetsStatements(scope: Construct): PolicyStatement[] {
  const stack = Stack.of(scope);
  return [
    new PolicyStatement({
      sid: "ReadSubnetsAndRoutes",
      actions: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeRouteTables", "ec2:DescribeSubnets"],
      resources: ["*"],
    }),
    new PolicyStatement({
      // Not "ReadMountTargets": the NFS guard's statement of that name is in the same unions (sweep, member role).
      sid: "ReadMountTargetPlacement",
      actions: ["elasticfilesystem:DescribeMountTargets"],
      resources: [`arn:${stack.partition}:elasticfilesystem:*:${stack.account}:file-system/*`],
    }),
  ];
}

/**
 * A hub function that acts in the organization's members (organization.organizationId, shared/aws/accounts.ts):
 * it may assume the member role, by its name, in accounts of this organization only. aws:ResourceOrgID is the
 * organization of the account that owns the role ("AWS global condition context keys", IAM User Guide), so a role
 * of the same name in an account outside the organization cannot be assumed even if it trusts the hub. The member
 * role's trust policy names the hub's function roles and aws:PrincipalOrgID (infra/member-stack.ts).
 */
export function memberRoleStatements(
  scope: Construct,
  organization: { organizationId: string; memberRoleName: string },
): PolicyStatement[] {
  return [
    new PolicyStatement({
      sid: "AssumeTheMemberRoleInThisOrganization",
      actions: ["sts:AssumeRole"],
      resources: [`arn:${Stack.of(scope).partition}:iam::*:role/${organization.memberRoleName}`],
      conditions: { StringEquals: { "aws:ResourceOrgID": organization.organizationId } },
    }),
  ];
}

/**
 * The organization sweep's account listing (shared/aws/organization.ts): only when it lists, that is without an
 * explicit organization.accounts. ListAccounts has no resource-level permissions ("Resource": "*" is the only form,
 * Service Authorization Reference, AWS Organizations, Actions); only the management account or a delegated
 * administrator is answered.
 */
export function organizationSweepStatements(organization: { accounts: readonly string[] }): PolicyStatement[] {
  if (organization.accounts.length > 0) return [];
  return [
    new PolicyStatement({
      sid: "ListTheOrganizationsAccounts",
      actions: ["organizations:ListAccounts"],
      resources: ["*"],
    }),
  ];
}

/**
 * The union of every guard's statements: what the sweep (which runs every guard) needs, and, in an organization,
 * what the member role in each member account grants the hub's functions (infra/member-stack.ts). Resource ARNs
 * name `scope`'s stack account, so in the member template they name the member's own account.
 */
export function allGuardStatements(scope: Construct, config: GuardConfig): PolicyStatement[] {
  return [
    ...nfsIngressStatements(scope, config),
    ...fileSystemStatements(scope, config),
    ...kmsKeyStatements(scope, config),
    ...efsAccessStatements(scope),
    ...ecsClientsStatements(),
    ...mountTargetsStatements(scope),
  ];
}
