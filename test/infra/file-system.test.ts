import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { FILE_SYSTEM_EVENTS, patternsFor } from "../../events/patterns.js";
import { buildApp } from "../../infra/app.js";

const ENTRY = "functions/file-system/handler.ts";
let template: Template;
beforeAll(() => {
  // Bundled for real: the synth must work offline with the local esbuild.
  const app = buildApp(new App({ context: { efsGuard: {} } }));
  template = Template.fromStack(app.node.findChild("EfsGuard") as any);
});

function functionLogicalId(): string {
  const ids = Object.keys(template.findResources("AWS::Lambda::Function", { Metadata: { EfsGuardEntry: ENTRY } }));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

/** Every statement granted to the function's role, across all its policies. */
function statementsOf(logicalId: string): any[] {
  const fn = template.toJSON().Resources[logicalId];
  const roleId = fn.Properties.Role["Fn::GetAtt"][0];
  return Object.values(template.findResources("AWS::IAM::Policy"))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe("file-system guard function", () => {
  it("has exactly the actions its controls need: no delete, no KMS use beyond DescribeKey and the alerts key", () => {
    const statements = statementsOf(functionLogicalId());
    const allows = statements.filter((s) => s.Effect === "Allow");
    const actions = [...new Set(allows.flatMap((s) => [s.Action].flat()))].sort();
    expect(actions).toEqual([
      "elasticfilesystem:DescribeBackupPolicy",
      "elasticfilesystem:DescribeFileSystemPolicy",
      "elasticfilesystem:DescribeFileSystems",
      // efs-backup-enabled is in alert mode by default: no PutBackupPolicy (test/infra/least-privilege.test.ts).
      // No PutFileSystemPolicy: with tlsEnforcement "unless-clients-break" (the default) the ecs-clients function
      // writes the TLS deny after its client lookup (test/infra/least-privilege.test.ts).
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:GenerateDataKey",
      // The migration's record on a source tagged efs-guard:replacement (test/infra/migration-record.test.ts).
      "kms:VerifyMac",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "sns:Publish",
      "sqs:SendMessage",
      "states:DescribeExecution",
      "states:StartExecution",
    ]);
    // The only Deny is the region fence.
    expect(statements.filter((s) => s.Effect !== "Allow").map((s) => s.Sid)).toEqual(["DenyOutsideGuardedRegions"]);
  });

  it("scopes the policy reads to file system ARNs and DescribeKey to key ARNs", () => {
    const statements = statementsOf(functionLogicalId());
    const reads = statements.find((s) => [s.Action].flat().includes("elasticfilesystem:DescribeFileSystemPolicy"));
    expect(JSON.stringify(reads.Resource)).toContain(":file-system/*");
    const describeKey = statements.find((s) => [s.Action].flat().includes("kms:DescribeKey"));
    expect(JSON.stringify(describeKey.Resource)).toContain(":key/*");
    const list = statements.find((s) => [s.Action].flat().includes("elasticfilesystem:DescribeFileSystems"));
    expect([list.Action].flat()).toEqual(["elasticfilesystem:DescribeFileSystems"]);
  });

  it("is triggered by one rule with exactly the handler's pattern, with retries and a dead-letter queue", () => {
    const id = functionLogicalId();
    const rules = Object.values(template.findResources("AWS::Events::Rule")).filter((r: any) =>
      r.Properties.Targets.some((t: any) => t.Arn["Fn::GetAtt"]?.[0] === id),
    ) as any[];
    expect(rules.map((r) => r.Properties.EventPattern)).toEqual(patternsFor(FILE_SYSTEM_EVENTS));
    for (const rule of rules) {
      expect(rule.Properties.Targets[0].DeadLetterConfig.Arn).toBeDefined();
      expect(rule.Properties.Targets[0].RetryPolicy).toEqual({
        MaximumEventAgeInSeconds: 86400,
        MaximumRetryAttempts: 8,
      });
    }
  });

  it("runs on nodejs24.x with the validated configuration and knows the migration workflow", () => {
    const fn = template.toJSON().Resources[functionLogicalId()];
    expect(fn.Properties.Runtime).toBe("nodejs24.x");
    const env = fn.Properties.Environment.Variables;
    expect(JSON.parse(env.EFS_GUARD_CONFIG).modes["efs-tls-enforced"]).toBe("remediate");
    expect(env.MIGRATION_STATE_MACHINE_ARN).toEqual({ Ref: expect.stringMatching(/^Migration/) });
  });
});
