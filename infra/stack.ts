import { Stack, type StackProps } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import { NFS_INGRESS_EVENTS } from "../events/patterns.js";
import type { GuardConfig } from "../shared/config/schema.js";
import { AlertsTopic } from "./constructs/alerts-topic.js";
import { GuardFunction } from "./constructs/guard-function.js";
import { MigrationWorkflow } from "./constructs/migration.js";

export interface EfsGuardStackProps extends StackProps {
  config: GuardConfig;
}

/** EFS Guard in its home region: detection rules, guard functions, the alerts topic. */
export class EfsGuardStack extends Stack {
  readonly alerts: AlertsTopic;
  readonly functions: Record<string, GuardFunction> = {};
  /** The migration workflow (design section 4); `migration.grantStart(fn)` lets a guard function start it. */
  readonly migration: MigrationWorkflow;

  constructor(scope: Construct, id: string, props: EfsGuardStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.alerts = new AlertsTopic(this, "Alerts", { alertEmails: config.alertEmails });
    const common = { config, topic: this.alerts.topic, key: this.alerts.key };
    this.migration = new MigrationWorkflow(this, "Migration", { config, topic: this.alerts.topic });
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
  }
}
