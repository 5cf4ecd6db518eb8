import { describe, expect, it } from "vitest";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";

/** The observe period's one AWS read: the sweep's DescribeStacks on its own stack, only when the config needs it. */

function sweep(template: CfnTemplate) {
  const [, fn] = Object.entries(template.Resources).find(
    ([, r]) => r.Metadata?.EfsGuardEntry === "functions/sweep/handler.ts",
  )!;
  const roleId = fn.Properties.Role["Fn::GetAtt"][0];
  const statements = Object.values(template.Resources)
    .filter((r) => r.Type === "AWS::IAM::Policy" && r.Properties.Roles.some((x: any) => x.Ref === roleId))
    .flatMap((r) => r.Properties.PolicyDocument.Statement);
  const describeStacks = statements.filter((s: any) =>
    [s.Action].flat().some((a: string) => a.startsWith("cloudformation:")),
  );
  return { env: fn.Properties.Environment.Variables, describeStacks };
}

describe("observe period (infra)", () => {
  it("by default the sweep knows its stack id and may describe that stack only", () => {
    const { env, describeStacks } = sweep(synthTemplate());
    expect(env.EFS_GUARD_STACK_ID).toEqual({ Ref: "AWS::StackId" });
    expect(describeStacks).toEqual([
      {
        Sid: "ReadOwnStackCreationTime",
        Effect: "Allow",
        Action: "cloudformation:DescribeStacks",
        Resource: { Ref: "AWS::StackId" },
      },
    ]);
  });

  it.each([[{ observeDays: 0 }], [{ observeUntil: "2027-01-15" }]])("with %j it needs neither", (config) => {
    const { env, describeStacks } = sweep(synthTemplate(config));
    expect(env.EFS_GUARD_STACK_ID).toBeUndefined();
    expect(describeStacks).toEqual([]);
  });
});
