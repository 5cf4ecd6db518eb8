import { Stack } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";

/**
 * The IAM statements each guard needs, in one place: a guard's own function gets its guard's statements, the sweep
 * (which runs every guard) gets their union. Least privilege: read what the controls evaluate, and only the writes
 * that remediate (revoke, never authorize; enable and cancel deletion, never disable, schedule deletion or rewrite a
 * key policy).
 */
export function nfsIngressStatements(scope: Construct): PolicyStatement[] {
  const stack = Stack.of(scope);
  const sgArn = `arn:${stack.partition}:ec2:*:${stack.account}:security-group/*`;
  const fsArn = `arn:${stack.partition}:elasticfilesystem:*:${stack.account}:file-system/*`;
  return [
    new PolicyStatement({
      sid: "ReadSecurityGroups",
      // EC2 Describe* calls support no resource-level permissions.
      actions: [
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroupRules",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcs",
      ],
      resources: ["*"],
    }),
    new PolicyStatement({
      sid: "RevokeNfsIngress",
      actions: ["ec2:RevokeSecurityGroupIngress"],
      resources: [sgArn],
    }),
    new PolicyStatement({
      sid: "ReadMountTargetSecurityGroups",
      actions: ["elasticfilesystem:DescribeMountTargetSecurityGroups"],
      resources: [fsArn],
    }),
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

export function kmsKeyStatements(scope: Construct, keyAccounts: readonly string[] = []): PolicyStatement[] {
  const stack = Stack.of(scope);
  const keyArn = `arn:${stack.partition}:kms:*:${stack.account}:key/*`;
  return [
    ...otherAccountKeyStatements(scope, keyAccounts),
    new PolicyStatement({
      sid: "ReadKeys",
      // DescribeKey resolves aliases too; IAM evaluates it against the key the alias points to.
      actions: ["kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
      resources: [keyArn],
    }),
    new PolicyStatement({
      sid: "RestoreKeys",
      actions: ["kms:EnableKeyRotation", "kms:CancelKeyDeletion", "kms:EnableKey"],
      resources: [keyArn],
    }),
    new PolicyStatement({
      sid: "ListFileSystems",
      // Listing every file system (no FileSystemId) is authorized against the file-system resource type.
      actions: ["elasticfilesystem:DescribeFileSystems"],
      resources: [`arn:${stack.partition}:elasticfilesystem:*:${stack.account}:file-system/*`],
    }),
  ];
}

export function fileSystemStatements(scope: Construct): PolicyStatement[] {
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
      sid: "FileSystemPolicyAndBackups",
      actions: [
        "elasticfilesystem:DescribeBackupPolicy",
        "elasticfilesystem:DescribeFileSystemPolicy",
        "elasticfilesystem:PutBackupPolicy",
        "elasticfilesystem:PutFileSystemPolicy",
      ],
      resources: [fsArn],
    }),
    new PolicyStatement({
      sid: "ReadFileSystemKeys",
      actions: ["kms:DescribeKey"],
      resources: [`arn:${stack.partition}:kms:*:${stack.account}:key/*`],
    }),
  ];
}
