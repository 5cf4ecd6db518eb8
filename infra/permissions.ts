import { Stack } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";

/**
 * The IAM statements each guard needs, in one place: a guard's own function gets its guard's statements, the sweep
 * (which runs every guard) gets their union. Least privilege: read what the controls evaluate, and only the writes
 * that remediate (revoke, and authorize only the narrowed form of a rule being revoked; enable and cancel deletion,
 * never disable, schedule deletion or rewrite a key policy).
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
      sid: "NarrowNfsIngress",
      // A rule broader than NFS on a group that also serves other interfaces is replaced by itself minus TCP 2049:
      // the narrowed rules are authorized before the original is revoked. The Service Authorization Reference gives
      // AuthorizeSecurityGroupIngress no condition key on ports, protocols or sources (only the group's tags, id
      // and VPC, and request tags that IAM checks only when the call carries TagSpecifications), so IAM can pin it
      // to this account's security groups and the guarded regions (the fence), no further; the code adds nothing
      // but the narrowed form of a rule it revokes in the same remediation (shared/guards/nfs-ingress.ts checkPlan).
      actions: ["ec2:AuthorizeSecurityGroupIngress"],
      resources: [sgArn],
    }),
    new PolicyStatement({
      sid: "ReadMountTargets",
      // DescribeMountTargets: EFS's own record of a mount target's network interface, which tells a real mount
      // target from an interface that only carries its description.
      actions: ["elasticfilesystem:DescribeMountTargetSecurityGroups", "elasticfilesystem:DescribeMountTargets"],
      resources: [fsArn],
    }),
  ];
}

export function kmsKeyStatements(scope: Construct): PolicyStatement[] {
  const stack = Stack.of(scope);
  const keyArn = `arn:${stack.partition}:kms:*:${stack.account}:key/*`;
  return [
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
