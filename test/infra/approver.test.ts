import { describe, expect, it } from "vitest";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";

/** The approver role and the verify step in the synthesized template (issue 11 item 6). */

const approverRole = (template: CfnTemplate) =>
  Object.entries(template.Resources).find(
    ([, r]) => r.Type === "AWS::IAM::Role" && r.Properties.RoleName === "efs-guard-approver",
  )!;

function policyOf(template: CfnTemplate, roleId: string) {
  return Object.values(template.Resources)
    .filter((r) => r.Type === "AWS::IAM::Policy" && r.Properties.Roles.some((x: any) => x.Ref === roleId))
    .flatMap((r) => r.Properties.PolicyDocument.Statement);
}

const flat = (v: unknown) => JSON.stringify(v);

describe("approver role", () => {
  it("by default trusts this account (IAM decides who may assume it) for one hour sessions", () => {
    const [, role] = approverRole(synthTemplate());
    expect(role.Properties.MaxSessionDuration).toBe(3600);
    const trust = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0].Action).toBe("sts:AssumeRole");
    expect(flat(trust[0].Principal)).toContain(":root");
    expect(trust[0].Condition).toBeUndefined();
  });

  it("trusts exactly the configured approvers: accounts as such, ARNs (wildcards, paths) on aws:PrincipalArn", () => {
    const sso = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Approvers_*";
    const user = "arn:aws:iam::111111111111:user/secops";
    const [, role] = approverRole(synthTemplate({ approvers: ["222222222222", sso, user] }));
    const trust = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toEqual([
      {
        Action: "sts:AssumeRole",
        Effect: "Allow",
        Principal: { AWS: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":iam::222222222222:root"]] } },
      },
      {
        Action: "sts:AssumeRole",
        Effect: "Allow",
        Principal: { AWS: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":iam::111111111111:root"]] } },
        Condition: { ArnLike: { "aws:PrincipalArn": [sso, user] } },
      },
    ]);
  });

  it("may only read the workflow's executions and answer task tokens (on *: SendTask* has no resource type)", () => {
    const template = synthTemplate();
    const [id] = approverRole(template);
    const allows = policyOf(template, id).filter((s: any) => s.Effect === "Allow");
    const actions = allows.flatMap((s: any) => [s.Action].flat()).sort();
    expect(actions).toEqual([
      "states:DescribeExecution",
      "states:GetExecutionHistory",
      "states:ListExecutions",
      "states:ListStateMachines",
      "states:SendTaskFailure",
      "states:SendTaskSuccess",
    ]);
    const send = allows.find((s: any) => [s.Action].flat().includes("states:SendTaskSuccess"));
    expect(send.Resource).toBe("*");
    const history = allows.find((s: any) => [s.Action].flat().includes("states:GetExecutionHistory"));
    expect(flat(history.Resource)).toContain(":execution:efs-guard-migration:*");
    const fence = policyOf(template, id).find((s: any) => s.Effect === "Deny");
    expect(fence.Condition.StringNotEquals["aws:RequestedRegion"]).toBeDefined();
  });

  it("the verify step knows the approver role, may publish alerts and nothing else; every answer goes through it", () => {
    const template = synthTemplate();
    const [, fn] = Object.entries(template.Resources).find(
      ([, r]) => r.Metadata?.EfsGuardEntry === "functions/migration/verify-approval/handler.ts",
    )!;
    expect(flat(fn.Properties.Environment.Variables.MIGRATION_APPROVER_ROLE_ARN)).toContain(":role/efs-guard-approver");
    const roleId = fn.Properties.Role["Fn::GetAtt"][0];
    const actions = policyOf(template, roleId)
      .filter((s: any) => s.Effect === "Allow")
      .flatMap((s: any) => [s.Action].flat())
      .sort();
    expect(actions).toEqual([
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "sns:Publish",
    ]);
    const sm = Object.values(template.Resources).find((r) => r.Type === "AWS::StepFunctions::StateMachine")!;
    const def = JSON.parse(
      (sm.Properties.DefinitionString["Fn::Join"][1] as unknown[])
        .map((p) => (typeof p === "string" ? p : "X"))
        .join(""),
    );
    const wait = def.States["Await approval"];
    expect(wait.Next).toBe("Verify approval");
    expect(wait.ResultPath).toBe("$.answer");
    expect(wait.Catch[0]).toMatchObject({ ErrorEquals: ["EfsGuard.Rejected"], Next: "Verify rejection" });
    for (const name of ["Verify approval", "Verify rejection"]) expect(def.States[name].Next).toBe("Answer verified?");
    const choices = def.States["Answer verified?"];
    expect(choices.Choices[0].Next).toBe("Start safety backup");
    expect(choices.Choices[1].Next).toBe("Notify rejection");
    expect(choices.Default).toBe("Approval round + 1");
    expect(def.States["Approval round + 1"].Next).toBe("Await approval");
    // Nothing billable but through a verified approval: the backup only from it, the recreate only after the backup.
    const into = (target: string) =>
      Object.entries(def.States as Record<string, any>)
        .filter(([, s]) =>
          [
            s.Next,
            s.Default,
            ...(s.Choices ?? []).map((c: any) => c.Next),
            ...(s.Catch ?? []).map((c: any) => c.Next),
          ].includes(target),
        )
        .map(([name]) => name);
    expect(into("Start safety backup")).toEqual(["Answer verified?"]);
    expect(into("Recreate encrypted")).toEqual(["Backup finished?"]);
  });
});
