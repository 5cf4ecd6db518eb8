import { describe, expect, it } from "vitest";
import { expectedResolution } from "../../emulator/intrinsics.js";
import { checkOperations, describeViolation, type RecordLine } from "../../emulator/permission-check.js";
import { roleOf, rolePolicies } from "../../emulator/roles.js";
import { synthTemplate } from "../../emulator/template.js";
import { ENTRY_METADATA } from "../../infra/constructs/guard-function.js";

/**
 * The dependent-action check on the synthesized roles (emulator/permission-check.ts), for the operations whose
 * second permission AWS checks and the emulator never does. The integration run checks every operation it
 * recorded; these pin the known cases without a run.
 */
const REGION = "us-east-1";
const template = synthTemplate({});
const resolved = expectedResolution(template, REGION);

function recorded(entry: string, operations: string[], edit = (policies: any[]) => policies): RecordLine[] {
  const [id] = Object.entries(template.Resources).find(([, r]) => r.Metadata?.[ENTRY_METADATA] === entry) ?? [];
  if (!id) throw new Error(`no function runs ${entry}`);
  const roleId = roleOf(template, id);
  const policies = edit(rolePolicies(template, roleId, resolved, REGION));
  const roleKey = `${id}-key`;
  return [
    { kind: "role", roleKey, function: id, entry, roleArn: `arn:aws:iam::123456789012:role/${roleId}`, policies },
    ...operations.map((op): RecordLine => {
      const [service, operation] = op.split(":") as [string, string];
      return { kind: "call", roleKey, service, operation, region: REGION };
    }),
  ];
}

const withoutAction = (action: string) => (policies: any[]) =>
  policies.map((p) => ({
    ...p,
    document: {
      ...p.document,
      Statement: p.document.Statement.map((s: any) => ({
        ...s,
        Action: (Array.isArray(s.Action) ? s.Action : [s.Action]).filter((a: string) => a !== action),
      })).filter((s: any) => s.Action.length > 0),
    },
  }));

describe("dependent actions of the guard functions' operations", () => {
  for (const entry of ["functions/nfs-ingress/handler.ts", "functions/sweep/handler.ts"]) {
    it(`${entry}: DescribeMountTargetSecurityGroups with ec2:DescribeNetworkInterfaceAttribute (EFS API reference)`, async () => {
      const { violations } = await checkOperations(
        recorded(entry, ["elasticfilesystem:DescribeMountTargetSecurityGroups"]),
      );
      expect(violations.map(describeViolation)).toEqual([]);
    });
  }

  it("the check names a missing dependent action, with its source", async () => {
    const lines = recorded(
      "functions/nfs-ingress/handler.ts",
      ["elasticfilesystem:DescribeMountTargetSecurityGroups", "ec2:DescribeSecurityGroups"],
      withoutAction("ec2:DescribeNetworkInterfaceAttribute"),
    );
    const { violations } = await checkOperations(lines);
    expect(violations.map((v) => [v.operation, v.action, v.because])).toEqual([
      [
        "elasticfilesystem:DescribeMountTargetSecurityGroups",
        "ec2:DescribeNetworkInterfaceAttribute",
        "the API reference",
      ],
    ]);
  });

  it("an operation outside the role is named too; an unknown action is never taken as allowed", async () => {
    const { violations } = await checkOperations(
      recorded("functions/kms-key/handler.ts", ["ec2:RevokeSecurityGroupIngress", "kms:NoSuchOperation"]),
    );
    expect(violations.map((v) => [v.action, v.result])).toEqual([
      ["ec2:RevokeSecurityGroupIngress", "ImplicitlyDenied"],
      ["kms:NoSuchOperation", "unknown action (not in the Service Authorization Reference)"],
    ]);
  });

  it("the restore strategy's recreate step: StartRestoreJob needs iam:PassRole (Service Authorization Reference)", async () => {
    const restore = synthTemplate({ migrationStrategy: "restore" });
    const [id] = Object.entries(restore.Resources).find(
      ([, r]) => r.Metadata?.[ENTRY_METADATA] === "functions/migration/recreate/handler.ts",
    )!;
    const roleId = roleOf(restore, id);
    const policies = rolePolicies(restore, roleId, expectedResolution(restore, REGION), REGION);
    const line = (p: typeof policies): RecordLine[] => [
      {
        kind: "role",
        roleKey: "r",
        function: id,
        entry: "recreate",
        roleArn: `arn:aws:iam::123456789012:role/${roleId}`,
        policies: p,
      },
      { kind: "call", roleKey: "r", service: "backup", operation: "StartRestoreJob", region: REGION },
    ];
    expect((await checkOperations(line(policies))).violations.map(describeViolation)).toEqual([]);
    const without = await checkOperations(line(withoutAction("iam:PassRole")(policies)));
    expect(without.violations.map((v) => [v.action, v.because])).toEqual([
      ["iam:PassRole", "a dependent action (Service Authorization Reference)"],
    ]);
  });
});
