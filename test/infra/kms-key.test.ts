import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { KMS_KEY_EVENTS, patternsFor } from "../../events/patterns.js";
import { buildApp } from "../../infra/app.js";
import { kmsKeyStatements } from "../../infra/permissions.js";
import { parseConfig } from "../../shared/config/schema.js";
import { PLUMBING } from "./iam.js";

let template: Template;
beforeAll(() => {
  const app = buildApp(new App({ context: { efsGuard: { sweepSchedule: "rate(12 hours)" } } }));
  template = Template.fromStack(app.node.findChild("EfsGuard") as any);
});

function functionLogicalId(entry: string): string {
  const ids = Object.keys(template.findResources("AWS::Lambda::Function", { Metadata: { EfsGuardEntry: entry } }));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

function roleOf(logicalId: string): string {
  return template.toJSON().Resources[logicalId].Properties.Role["Fn::GetAtt"][0];
}

function statementsOfRole(roleId: string): any[] {
  return Object.values(template.findResources("AWS::IAM::Policy"))
    .filter((policy: any) => policy.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

/** What the role allows; its Deny statements are checked by denySidsOfRole. */
function actionsOfRole(roleId: string): string[] {
  const allows = statementsOfRole(roleId).filter((s) => s.Effect === "Allow");
  return [...new Set(allows.flatMap((s) => [s.Action].flat() as string[]))].sort();
}

function denySidsOfRole(roleId: string): string[] {
  return statementsOfRole(roleId)
    .filter((s) => s.Effect === "Deny")
    .map((s) => s.Sid)
    .sort();
}

/** With the default modes: efs-key-rotation-enabled remediates, efs-key-usable only alerts (no restore rights). */
const KMS_GUARD = [
  "elasticfilesystem:DescribeFileSystems",
  "kms:DescribeKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListResourceTags",
];

const FILE_SYSTEM_GUARD = [
  "elasticfilesystem:DescribeBackupPolicy",
  "elasticfilesystem:DescribeFileSystemPolicy",
  "elasticfilesystem:DescribeFileSystems",
  "elasticfilesystem:PutFileSystemPolicy",
  "kms:DescribeKey",
  // The remediation of efs-encrypted-at-rest starts (or checks on) the migration.
  "states:DescribeExecution",
  "states:StartExecution",
  // A source tagged efs-guard:replacement: the migration's record checked with the record key.
  "kms:VerifyMac",
];

/** The access guard (efs-access): reads only, whatever the modes. */
const ACCESS_GUARD = [
  "elasticfilesystem:DescribeAccessPoints",
  "elasticfilesystem:DescribeFileSystemPolicy",
  "elasticfilesystem:DescribeFileSystems",
  "elasticfilesystem:DescribeReplicationConfigurations",
  "kms:DescribeKey",
];

const ECS_CLIENTS_GUARD = ["ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions"];

const MOUNT_TARGETS_GUARD = [
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeRouteTables",
  "ec2:DescribeSubnets",
  "elasticfilesystem:DescribeMountTargets",
];

const NFS_GUARD = [
  // Only to add the narrowed form of a rule it revokes (a rule broader than NFS on a shared group).
  "ec2:AuthorizeSecurityGroupIngress",
  // Dependent action of the authorize: tags on the rules it creates only (ec2:CreateAction).
  "ec2:CreateTags",
  "ec2:DescribeNetworkInterfaceAttribute",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSecurityGroupRules",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeVpcs",
  "ec2:RevokeSecurityGroupIngress",
  "elasticfilesystem:DescribeMountTargetSecurityGroups",
  "elasticfilesystem:DescribeMountTargets",
];

const FORBIDDEN = [
  "kms:ScheduleKeyDeletion",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:PutKeyPolicy",
  "kms:*",
  "ec2:AuthorizeSecurityGroupIngress",
  "*",
];

describe("key guard function", () => {
  it("has exactly the key controls' actions: enable and cancel deletion, never disable, delete or re-policy", () => {
    const roleId = roleOf(functionLogicalId("functions/kms-key/handler.ts"));
    const actions = actionsOfRole(roleId);
    expect(actions).toEqual([...new Set([...KMS_GUARD, ...PLUMBING])].sort());
    expect(denySidsOfRole(roleId)).toEqual(["DenyOutsideGuardedRegions"]);
    for (const a of FORBIDDEN) expect(actions).not.toContain(a);
  });

  it("scopes the KMS actions to keys of the account", () => {
    const roleId = roleOf(functionLogicalId("functions/kms-key/handler.ts"));
    for (const policy of Object.values(template.findResources("AWS::IAM::Policy"))) {
      if (!policy.Properties.Roles.some((r: any) => r.Ref === roleId)) continue;
      for (const s of policy.Properties.PolicyDocument.Statement) {
        if (!["ReadKeys", "RestoreKeys"].includes(s.Sid)) continue;
        expect(JSON.stringify(s.Resource)).toContain(":key/*");
      }
    }
  });

  it("reads keys of another account only for keyAccounts, only with the two operations KMS allows across accounts", () => {
    const roleId = roleOf(functionLogicalId("functions/kms-key/handler.ts"));
    expect(statementsOfRole(roleId).map((s) => s.Sid)).not.toContain("ReadKeysOfKeyAccounts");
    const stack = new Stack(new App(), "KeyAccounts", { env: { account: "123456789012", region: "eu-west-1" } });
    const config = parseConfig({
      keyAccounts: ["333333333333", "222222222222", "333333333333"],
      modes: { "efs-key-usable": "remediate" },
    });
    const statements = kmsKeyStatements(stack, config).map((s) => stack.resolve(s.toStatementJson()));
    const read = statements.find((s) => s.Sid === "ReadKeysOfKeyAccounts");
    expect(read).toMatchObject({ Effect: "Allow", Action: ["kms:DescribeKey", "kms:GetKeyRotationStatus"] });
    // One resource per account (deduplicated, sorted), each the account's keys: arn:PARTITION:kms:*:ACCOUNT:key/*.
    const tails = read.Resource.map((r: any) => r["Fn::Join"][1].at(-1));
    expect(tails).toEqual([":kms:*:222222222222:key/*", ":kms:*:333333333333:key/*"]);
    // Every write stays on the account's own keys.
    const restore = statements.find((s) => s.Sid === "RestoreKeys");
    expect(JSON.stringify(restore.Resource)).toContain(":kms:*:123456789012:key/*");
    expect(JSON.stringify(restore.Resource)).not.toContain("222222222222");
  });

  it("has one rule per event source with exactly the handler's patterns", () => {
    const id = functionLogicalId("functions/kms-key/handler.ts");
    const rules = Object.values(template.findResources("AWS::Events::Rule")).filter((r: any) =>
      r.Properties.Targets.some((t: any) => t.Arn["Fn::GetAtt"]?.[0] === id),
    );
    expect(rules.map((r: any) => r.Properties.EventPattern)).toEqual(patternsFor(KMS_KEY_EVENTS));
    expect(rules.map((r: any) => r.Properties.EventPattern.source[0]).sort()).toEqual([
      "aws.elasticfilesystem",
      "aws.kms",
    ]);
  });
});

describe("scheduled sweep", () => {
  it("runs on an EventBridge Scheduler schedule from sweepSchedule, with retries and a dead-letter queue", () => {
    const id = functionLogicalId("functions/sweep/handler.ts");
    const schedules = Object.values(template.findResources("AWS::Scheduler::Schedule")) as any[];
    expect(schedules).toHaveLength(1);
    const schedule = schedules[0].Properties;
    expect(schedule.ScheduleExpression).toBe("rate(12 hours)");
    expect(schedule.State).toBe("ENABLED");
    expect(schedule.Target.Arn).toEqual({ "Fn::GetAtt": [id, "Arn"] });
    expect(schedule.Target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 2 });
    expect(schedule.Target.DeadLetterConfig.Arn).toBeDefined();
    // The scheduler's role may invoke the sweep and write to its encrypted dead-letter queue, nothing else.
    const roleId = schedule.Target.RoleArn["Fn::GetAtt"][0];
    expect(actionsOfRole(roleId)).toEqual([
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "lambda:InvokeFunction",
      "sqs:SendMessage",
    ]);
    const kms = statementsOfRole(roleId).find((s) => [s.Action].flat().includes("kms:GenerateDataKey"));
    // Through SQS only: the scheduler writes to the queue and nothing else under that key.
    const via = JSON.stringify(kms.Condition.StringEquals["kms:ViaService"]);
    expect(via).toMatch(/"sqs\./);
    expect(via).not.toMatch(/sns/);
  });

  it("has the union of the guards' actions and still no disable or schedule deletion; authorize only on groups", () => {
    const id = functionLogicalId("functions/sweep/handler.ts");
    const fn = template.toJSON().Resources[id].Properties;
    expect(fn.Timeout).toBe(900);
    const actions = actionsOfRole(roleOf(id));
    // And the stack's creation time, for the observe period (test/infra/observe.test.ts).
    expect(actions).toEqual(
      [
        ...new Set([
          ...NFS_GUARD,
          ...FILE_SYSTEM_GUARD,
          ...KMS_GUARD,
          ...ACCESS_GUARD,
          ...ECS_CLIENTS_GUARD,
          ...MOUNT_TARGETS_GUARD,
          ...PLUMBING,
          "cloudformation:DescribeStacks",
        ]),
      ].sort(),
    );
    expect(denySidsOfRole(roleOf(id))).toEqual(["DenyOutsideGuardedRegions"]);
    // The NFS guard's narrowing (authorize the rule minus TCP 2049, then revoke it) runs in the sweep too.
    for (const a of FORBIDDEN.filter((f) => f !== "ec2:AuthorizeSecurityGroupIngress"))
      expect(actions).not.toContain(a);
    const authorize = statementsOfRole(roleOf(id)).filter((s) =>
      [s.Action].flat().includes("ec2:AuthorizeSecurityGroupIngress"),
    );
    expect(authorize.map((s) => [s.Action, JSON.stringify(s.Resource)])).toEqual([
      [
        "ec2:AuthorizeSecurityGroupIngress",
        JSON.stringify({
          "Fn::Join": [
            "",
            ["arn:", { Ref: "AWS::Partition" }, ":ec2:*:", { Ref: "AWS::AccountId" }, ":security-group/*"],
          ],
        }),
      ],
    ]);
  });

  it("is triggered by no EventBridge rule (only by the schedule)", () => {
    const id = functionLogicalId("functions/sweep/handler.ts");
    const rules = Object.values(template.findResources("AWS::Events::Rule")).filter((r: any) =>
      r.Properties.Targets.some((t: any) => t.Arn["Fn::GetAtt"]?.[0] === id),
    );
    expect(rules).toEqual([]);
  });
});
