import { Stack, type StackProps } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import { FILE_SYSTEM_EVENTS, NFS_INGRESS_EVENTS } from "../events/patterns.js";
import type { GuardConfig } from "../shared/config/schema.js";
import { AlertsTopic } from "./constructs/alerts-topic.js";
import { GuardFunction } from "./constructs/guard-function.js";

export interface EfsGuardStackProps extends StackProps {
  config: GuardConfig;
}

/** EFS Guard in its home region: detection rules, guard functions, the alerts topic. */
export class EfsGuardStack extends Stack {
  readonly alerts: AlertsTopic;
  readonly functions: Record<string, GuardFunction> = {};

  constructor(scope: Construct, id: string, props: EfsGuardStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.alerts = new AlertsTopic(this, "Alerts", { alertEmails: config.alertEmails });
    const common = { config, topic: this.alerts.topic, key: this.alerts.key };
    const sgArn = `arn:${this.partition}:ec2:*:${this.account}:security-group/*`;
    const fsArn = `arn:${this.partition}:elasticfilesystem:*:${this.account}:file-system/*`;

    this.functions.nfsIngress = new GuardFunction(this, "NfsIngress", {
      ...common,
      entry: "functions/nfs-ingress/handler.ts",
      description:
        "EFS Guard efs-nfs-ingress-restricted: revokes over-broad NFS ingress on mount-target security groups",
      events: NFS_INGRESS_EVENTS,
      statements: [
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
      ],
    });

    this.functions.fileSystem = new GuardFunction(this, "FileSystem", {
      ...common,
      entry: "functions/file-system/handler.ts",
      description:
        "EFS Guard efs-encrypted-at-rest, efs-tls-enforced, efs-backup-enabled, efs-policy-not-public: file system settings",
      events: FILE_SYSTEM_EVENTS,
      // MIGRATION_STATE_MACHINE_ARN and states:StartExecution come with the migration workflow
      // (fn.addEnvironment + grantStartExecution); until then the function reports that it is not deployed.
      statements: [
        new PolicyStatement({
          sid: "ListFileSystems",
          // DescribeFileSystems without a file system id (the sweep) needs "*".
          actions: ["elasticfilesystem:DescribeFileSystems"],
          resources: ["*"],
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
          resources: [`arn:${this.partition}:kms:*:${this.account}:key/*`],
        }),
      ],
    });
  }
}
