import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { RECORD_TAG } from "../shared/migration/record.js";
import { MIGRATION_TAG, MIGRATION_VAULT_NAME, REPLACEMENT_TAG } from "../shared/migration/types.js";
import { MIGRATION_KEY_ALIAS } from "./constructs/migration-vault.js";

/**
 * The IAM statements of the migration's step roles and of the role AWS Backup assumes, in one place. Least
 * privilege, checked against the Service Authorization Reference ("Actions, resources, and condition keys for
 * Amazon Elastic File System", "... for AWS Backup", "... for AWS KMS"):
 * - EFS authorizes writes on the file-system and access-point resource types, whose condition key is
 *   aws:ResourceTag; CreateFileSystem has no resource type (Resource "*") but takes aws:RequestTag, aws:TagKeys and
 *   elasticfilesystem:Encrypted; tags in a creating request are authorized as elasticfilesystem:TagResource with
 *   elasticfilesystem:CreateAction naming the creating action.
 * - So every write to a replacement is allowed only on a file system (or access point) that carries the
 *   efs-guard:migration tag, which the migration sets in its creating requests; the one write to a source is the
 *   efs-guard:replacement tag (aws:TagKeys). A replica or any other file system the migration did not create cannot
 *   be written by these roles, whatever the code does.
 * - Nothing here may delete a file system, a mount target, a replication, a recovery point or a key.
 */

export interface MigrationScope {
  partition: string;
  account: string;
  homeRegion: string;
  /** The other guarded regions (`regions`). */
  otherRegions: string[];
  /**
   * The home region's key (the stack's or `kmsKeyArn`). Absent in a member account (infra/member-stack.ts): there
   * every region's key is the one its member stack created, known by its alias only.
   */
  homeKeyArn?: string;
  /** Configured keys of other regions (`regionKmsKeyArns`); the others are the forwarder stacks' keys. */
  regionKeyArns: Record<string, string>;
  backupRoleArn: string;
  stateMachineName: string;
  strategy: "replication" | "restore";
}

/** `efs-guard-migrate-<fs-id>[-N]`: the value the migration puts in MIGRATION_TAG. */
const OWN_VALUE = "efs-guard-migrate-fs-*";
const OWN_RESOURCE = { StringLike: { [`aws:ResourceTag/${MIGRATION_TAG}`]: OWN_VALUE } };

function arns(scope: MigrationScope) {
  const { partition, account } = scope;
  const regions = [scope.homeRegion, ...scope.otherRegions];
  return {
    fileSystems: `arn:${partition}:elasticfilesystem:*:${account}:file-system/*`,
    accessPoints: `arn:${partition}:elasticfilesystem:*:${account}:access-point/*`,
    vaults: regions.map((r) => `arn:${partition}:backup:${r}:${account}:backup-vault:${MIGRATION_VAULT_NAME}`),
    recoveryPoints: regions.map((r) => `arn:${partition}:backup:${r}:${account}:recovery-point:*`),
    executions: `arn:${partition}:states:${scope.homeRegion}:${account}:execution:${scope.stateMachineName}:*`,
  };
}

/**
 * Statements on the migration keys of every guarded region: the known ARNs (home, configured), and in regions whose
 * forwarder stack created the key (its ARN is not known here) only the key behind the stack's alias.
 */
export function migrationKeyStatements(
  scope: MigrationScope,
  sid: string,
  actions: string[],
  conditions: Record<string, Record<string, unknown>> = {},
): PolicyStatement[] {
  const known = [...(scope.homeKeyArn ? [scope.homeKeyArn] : []), ...Object.values(scope.regionKeyArns)];
  const regions = scope.homeKeyArn ? scope.otherRegions : [scope.homeRegion, ...scope.otherRegions];
  const created = regions.filter((r) => !scope.regionKeyArns[r]);
  const out =
    known.length > 0
      ? [
          new PolicyStatement({
            sid,
            actions,
            resources: known,
            ...(Object.keys(conditions).length > 0 ? { conditions } : {}),
          }),
        ]
      : [];
  if (created.length > 0) {
    out.push(
      new PolicyStatement({
        sid: `${sid}CreatedByForwarderStacks`,
        actions,
        resources: created.map((r) => `arn:${scope.partition}:kms:${r}:${scope.account}:key/*`),
        conditions: { ...conditions, "ForAnyValue:StringEquals": { "kms:ResourceAliases": MIGRATION_KEY_ALIAS } },
      }),
    );
  }
  return out;
}

/** EFS uses the key through a grant it creates for the file system (kms:GrantIsForAWSResource). */
function keyUseByEfs(scope: MigrationScope, sid: string): PolicyStatement[] {
  return [
    ...migrationKeyStatements(scope, `${sid}DescribeKey`, ["kms:DescribeKey"]),
    ...migrationKeyStatements(scope, `${sid}GrantToEfs`, ["kms:CreateGrant"], {
      Bool: { "kms:GrantIsForAWSResource": "true" },
    }),
  ];
}

export function passBackupRole(scope: MigrationScope): PolicyStatement {
  return new PolicyStatement({
    sid: "PassTheBackupRoleToAwsBackupOnly",
    actions: ["iam:PassRole"],
    resources: [scope.backupRoleArn],
    conditions: { StringEquals: { "iam:PassedToService": "backup.amazonaws.com" } },
  });
}

const describeEfs = (scope: MigrationScope, actions: string[]) => {
  const a = arns(scope);
  return new PolicyStatement({
    sid: "ReadFileSystems",
    actions: actions.map((x) => `elasticfilesystem:${x}`),
    resources: [a.fileSystems, a.accessPoints],
  });
};

/** DescribeMountTargetSecurityGroups reads the mount target's interface; EC2 Describe* has no resource scope. */
const describeInterface = () =>
  new PolicyStatement({
    sid: "ReadMountTargetInterfaces",
    actions: ["ec2:DescribeNetworkInterfaceAttribute"],
    resources: ["*"],
  });

/** The provenance of a replacement: when the execution its tag names started (shared/migration/provenance.ts). */
const readExecutions = (scope: MigrationScope) =>
  new PolicyStatement({
    sid: "ReadMigrationExecutions",
    actions: ["states:DescribeExecution"],
    resources: [arns(scope).executions],
  });

export function captureStatements(scope: MigrationScope): PolicyStatement[] {
  const a = arns(scope);
  return [
    describeEfs(scope, [
      "DescribeFileSystems",
      "DescribeMountTargets",
      "DescribeMountTargetSecurityGroups",
      "DescribeFileSystemPolicy",
      "DescribeAccessPoints",
      "DescribeLifecycleConfiguration",
      "DescribeBackupPolicy",
      "DescribeReplicationConfigurations",
    ]),
    describeInterface(),
    // The region's vault names the region's key (shared/migration/capture.ts, migrationTarget).
    new PolicyStatement({
      sid: "ReadTheMigrationVaults",
      actions: ["backup:DescribeBackupVault"],
      resources: a.vaults,
    }),
    readExecutions(scope),
  ];
}

export function safetyBackupStatements(scope: MigrationScope): PolicyStatement[] {
  const a = arns(scope);
  return [
    new PolicyStatement({
      sid: "BackUpIntoTheMigrationVaults",
      actions: ["backup:StartBackupJob"],
      resources: a.vaults,
    }),
    // AWS Backup's job descriptions have no resource types.
    new PolicyStatement({ sid: "WatchTheBackupJob", actions: ["backup:DescribeBackupJob"], resources: ["*"] }),
    passBackupRole(scope),
  ];
}

export function recreateStatements(scope: MigrationScope): PolicyStatement[] {
  const a = arns(scope);
  const read = describeEfs(scope, ["DescribeFileSystems", "DescribeReplicationConfigurations"]);
  if (scope.strategy === "restore") {
    return [
      read,
      new PolicyStatement({
        sid: "RestoreTheSafetyBackup",
        actions: ["backup:StartRestoreJob"],
        resources: a.recoveryPoints,
      }),
      new PolicyStatement({ sid: "WatchTheRestoreJob", actions: ["backup:DescribeRestoreJob"], resources: ["*"] }),
      passBackupRole(scope),
      // AWS Backup creates the restored file system untagged; the step tags it (its creation token and the restore
      // job prove it is this run's) before anything else is written to it. Only with the migration's tag in the request.
      new PolicyStatement({
        sid: "TagTheRestoredFileSystem",
        actions: ["elasticfilesystem:TagResource"],
        resources: [a.fileSystems],
        conditions: { StringLike: { [`aws:RequestTag/${MIGRATION_TAG}`]: OWN_VALUE } },
      }),
    ];
  }
  return [
    read,
    new PolicyStatement({
      sid: "CreateEncryptedReplacementsTaggedAsTheMigrations",
      // No resource type (Service Authorization Reference), so "*": the conditions are the scope.
      actions: ["elasticfilesystem:CreateFileSystem"],
      resources: ["*"],
      conditions: {
        Bool: { "elasticfilesystem:Encrypted": "true" },
        StringLike: { [`aws:RequestTag/${MIGRATION_TAG}`]: OWN_VALUE },
      },
    }),
    new PolicyStatement({
      sid: "TagOnlyInTheCreatingRequest",
      actions: ["elasticfilesystem:TagResource"],
      resources: [a.fileSystems],
      conditions: { StringEquals: { "elasticfilesystem:CreateAction": "CreateFileSystem" } },
    }),
    new PolicyStatement({
      sid: "MakeOwnReplacementsReplicationDestinations",
      actions: ["elasticfilesystem:UpdateFileSystemProtection"],
      resources: [a.fileSystems],
      conditions: OWN_RESOURCE,
    }),
    // Authorized on the source, which the migration did not create (no tag to require): the step replicates only
    // to its own replacement, and EFS allows one replication per file system.
    new PolicyStatement({
      sid: "ReplicateTheSource",
      actions: ["elasticfilesystem:CreateReplicationConfiguration"],
      resources: [a.fileSystems],
    }),
    ...keyUseByEfs(scope, "EncryptReplacements"),
    readExecutions(scope),
  ];
}

export function surroundingsStatements(scope: MigrationScope): PolicyStatement[] {
  const a = arns(scope);
  const { partition, account } = scope;
  return [
    describeEfs(scope, ["DescribeFileSystems", "DescribeMountTargets", "DescribeAccessPoints", "DescribeBackupPolicy"]),
    new PolicyStatement({
      sid: "WriteOnlyToOwnReplacements",
      actions: [
        "elasticfilesystem:CreateMountTarget",
        "elasticfilesystem:PutFileSystemPolicy",
        "elasticfilesystem:CreateAccessPoint",
        "elasticfilesystem:PutLifecycleConfiguration",
        "elasticfilesystem:PutBackupPolicy",
        "elasticfilesystem:UpdateFileSystem",
      ],
      resources: [a.fileSystems],
      conditions: OWN_RESOURCE,
    }),
    new PolicyStatement({
      sid: "TagAccessPointsInTheCreatingRequest",
      actions: ["elasticfilesystem:TagResource"],
      resources: [a.accessPoints],
      conditions: { StringEquals: { "elasticfilesystem:CreateAction": "CreateAccessPoint" } },
    }),
    new PolicyStatement({
      sid: "TagTheSourceWithItsReplacementOnly",
      actions: ["elasticfilesystem:TagResource"],
      resources: [a.fileSystems],
      conditions: {
        "ForAllValues:StringEquals": { "aws:TagKeys": [REPLACEMENT_TAG, RECORD_TAG] },
        Null: { "aws:TagKeys": "false" },
      },
    }),
    // A lifecycle configuration on an encrypted file system needs the key permissions of its creation
    // (API_PutLifecycleConfiguration).
    ...keyUseByEfs(scope, "ConfigureEncryptedReplacements"),
    // CreateMountTarget creates the mount target's interface with the caller's EC2 permissions. EC2 Describe* calls
    // support no resource-level permissions; CreateNetworkInterface is authorized on the interface, its subnet
    // and its security groups.
    new PolicyStatement({
      sid: "ReadSubnetsAndInterfaces",
      actions: ["ec2:DescribeSubnets", "ec2:DescribeNetworkInterfaces"],
      resources: ["*"],
    }),
    new PolicyStatement({
      sid: "CreateMountTargetInterfaces",
      actions: ["ec2:CreateNetworkInterface"],
      resources: ["network-interface", "subnet", "security-group"].map(
        (type) => `arn:${partition}:ec2:*:${account}:${type}/*`,
      ),
    }),
  ];
}

export function verifyStatements(scope: MigrationScope): PolicyStatement[] {
  return [
    describeEfs(scope, [
      "DescribeFileSystems",
      "DescribeMountTargets",
      "DescribeMountTargetSecurityGroups",
      "DescribeFileSystemPolicy",
      "DescribeLifecycleConfiguration",
      "DescribeBackupPolicy",
      "DescribeReplicationConfigurations",
    ]),
    describeInterface(),
  ];
}

/**
 * What AWS Backup needs, as the role it assumes, to back up an EFS file system into the migration vaults and (with
 * the restore strategy) to restore one to a new encrypted file system: the EFS and KMS parts of the AWS managed
 * AWSBackupServiceRolePolicyForBackup and AWSBackupServiceRolePolicyForRestores, narrowed to this account, the
 * migration vaults and keys, and without elasticfilesystem:DeleteFileSystem (which the managed restore policy
 * grants so that AWS Backup can remove what a failed restore left: that file system is then left, and reported).
 */
export function backupRoleStatements(scope: MigrationScope): PolicyStatement[] {
  const a = arns(scope);
  const statements = [
    new PolicyStatement({
      sid: "BackUpFileSystems",
      actions: ["elasticfilesystem:Backup", "elasticfilesystem:DescribeTags"],
      resources: [a.fileSystems],
    }),
    new PolicyStatement({
      sid: "WriteIntoTheMigrationVaults",
      actions: ["backup:DescribeBackupVault", "backup:CopyIntoBackupVault"],
      resources: a.vaults,
    }),
    // Resource selection by tags (the managed policy grants it; the Resource Groups Tagging API has no resource types).
    new PolicyStatement({ sid: "ReadResourceTags", actions: ["tag:GetResources"], resources: ["*"] }),
    ...migrationKeyStatements(scope, "DescribeTheMigrationKeys", ["kms:DescribeKey"]),
    ...migrationKeyStatements(scope, "GrantTheMigrationKeysToAwsResources", ["kms:CreateGrant"], {
      Bool: { "kms:GrantIsForAWSResource": "true" },
    }),
  ];
  if (scope.strategy === "restore") {
    statements.push(
      new PolicyStatement({
        sid: "RestoreToNewFileSystems",
        actions: [
          "elasticfilesystem:Restore",
          "elasticfilesystem:CreateFileSystem",
          "elasticfilesystem:DescribeFileSystems",
          "elasticfilesystem:TagResource",
        ],
        resources: [a.fileSystems],
      }),
      ...migrationKeyStatements(
        scope,
        "UseTheMigrationKeysThroughEfs",
        [
          "kms:Decrypt",
          "kms:Encrypt",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
        ],
        { StringLike: { "kms:ViaService": "elasticfilesystem.*.amazonaws.com" } },
      ),
    );
  }
  return statements;
}
