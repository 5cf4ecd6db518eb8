import { Lazy } from "aws-cdk-lib";
import { AnyPrincipal, Effect, type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Topic } from "aws-cdk-lib/aws-sns";

/**
 * Actions that may be granted on `Resource: "*"`, because IAM cannot scope them: the Service Authorization
 * Reference lists no resource types for them (https://docs.aws.amazon.com/service-authorization/latest/reference/).
 * Every other action must name its resources (ARNs, at least pinned to partition and account). The infra tests
 * fail on any `*` resource outside this list, and the cdk-nag acknowledgement of `Resource::*` is only given when
 * every such statement stays inside it. Add an action here only after checking its row in the reference.
 */
export const NO_RESOURCE_LEVEL_ACTIONS: ReadonlySet<string> = new Set([
  // EC2 Describe* calls support no resource-level permissions at all.
  "ec2:DescribeAvailabilityZones",
  "ec2:DescribeManagedPrefixLists",
  "ec2:DescribeRouteTables",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSecurityGroupRules",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeSubnets",
  "ec2:DescribeTags",
  "ec2:DescribeVpcs",
  "ec2:DescribeNetworkInterfaceAttribute",
  // CreateFileSystem has no resource type: the migration's recreate role scopes it with conditions instead
  // (elasticfilesystem:Encrypted, aws:RequestTag/efs-guard:migration; infra/migration-permissions.ts).
  "elasticfilesystem:CreateFileSystem",
  // ECS task definitions: the Service Authorization Reference lists no resource type for either call.
  "ecs:ListTaskDefinitions",
  "ecs:DescribeTaskDefinition",
  // AWS Backup's job descriptions have no resource types (the migration polls its backup and restore jobs).
  "backup:DescribeBackupJob",
  "backup:DescribeRestoreJob",
  // What a state machine needs to deliver its execution logs; the Step Functions guide ("IAM policies for logging
  // to CloudWatch Logs") requires "*" because these log-delivery calls support no resource-level permissions.
  "logs:CreateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:DescribeLogGroups",
  "logs:DescribeResourcePolicies",
  "logs:GetLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:UpdateLogDelivery",
  // Listing calls: the set of keys and aliases is what is being asked for.
  "kms:ListAliases",
  "kms:ListKeys",
  // Step Functions: listing state machines, and answering a task token (SendTaskSuccess / SendTaskFailure have no
  // resource type: IAM cannot limit them to one state machine; the migration verifies who answered instead).
  "states:ListStateMachines",
  "states:SendTaskFailure",
  "states:SendTaskSuccess",
  // Organizations' account listing has no resource types (the organization sweep, shared/aws/organization.ts).
  "organizations:ListAccounts",
  // The Resource Groups Tagging API has no resource types.
  "tag:GetResources",
  // Telemetry writes have no resource types.
  "cloudwatch:PutMetricData",
  "xray:GetSamplingRules",
  "xray:GetSamplingTargets",
  "xray:PutTelemetryRecords",
  "xray:PutTraceSegments",
]);

/**
 * The region fence: whatever a guard role allows, it is denied in every region the deployment does not guard. The
 * functions act in the region an event names, so their Allow statements name resources in any region of the
 * account; this one Deny keeps that to the home region and the configured `regions`.
 */
export function regionFence(regions: string[], global: readonly string[] = []): PolicyStatement {
  return new PolicyStatement({
    sid: "DenyOutsideGuardedRegions",
    effect: Effect.DENY,
    // A global service's calls name its one endpoint's region (Organizations: us-east-1 in the aws partition, IAM
    // User Guide, aws:RequestedRegion), whatever the caller's: those actions, and only those, are left out.
    ...(global.length > 0 ? { notActions: [...global] } : { actions: ["*"] }),
    resources: ["*"],
    conditions: { StringNotEquals: { "aws:RequestedRegion": regions } },
  });
}

/**
 * Denies sns:Publish on `topic` to every principal but `publishers` (resolved at synth time, after every role has
 * been added), so that nobody else in the account can put messages into an internal topic.
 */
export function onlyThesePublish(topic: Topic, sid: string, publishers: () => IRole[]): void {
  topic.addToResourcePolicy(
    new PolicyStatement({
      sid,
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ["sns:Publish"],
      resources: [topic.topicArn],
      conditions: {
        ArnNotEquals: { "aws:PrincipalArn": Lazy.list({ produce: () => publishers().map((r) => r.roleArn) }) },
      },
    }),
  );
}
