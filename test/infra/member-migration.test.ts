import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flatten, roleStatements, type Statement, type Template } from "./iam.js";
import { synthApp } from "./synth.js";

/**
 * The migration's per-account resources in the member template (issue 13): the key and vault in every region, the
 * backup and migration roles in the hub region's instance, and the migration role trusted by the hub's migration
 * steps only, granting what those steps do in a member and nothing of what they do in the hub.
 */
const ORG = "o-abcdefghij";
const HUB = "111111111111";
const organization = { organizationId: ORG, organizationalUnitIds: ["ou-ab12-11112222"] };
const MEMBER_STEPS = ["capture", "safety-backup", "recreate", "surroundings", "verify"].map(
  (s) => `functions/migration/${s}/handler.ts`,
);

let outdir: string;
let hub: Template;
let member: Template & { Parameters?: Record<string, unknown> };
let stackSet: { Properties: any };
beforeAll(() => {
  const synth = synthApp({ organization, regions: ["us-east-1"] }, { region: "eu-west-1", account: HUB });
  outdir = synth.outdir;
  hub = synth.templates.EfsGuard!;
  stackSet = Object.values(hub.Resources).find((r) => r.Type === "AWS::CloudFormation::StackSet") as any;
  member = JSON.parse(stackSet.Properties.TemplateBody);
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const roleNamed = (name: string) => {
  const found = ofType(member, "AWS::IAM::Role").filter(([, r]) => r.Properties.RoleName === name);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const grantsOf = (statements: Statement[]) =>
  statements
    .filter((s) => s.effect === "Allow")
    .flatMap((s) => s.actions.flatMap((a) => s.resources.map((r) => `${a} ${r} ${JSON.stringify(s.condition ?? {})}`)));

describe("the member template's migration resources", () => {
  it("a key (rotated, aliased) and a vault encrypted with it in every region; the two roles in the hub region only", () => {
    const [keyId, key] = ofType(member, "AWS::KMS::Key")[0]!;
    expect(ofType(member, "AWS::KMS::Key")).toHaveLength(1);
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect((key as any).Condition).toBeUndefined();
    const [, alias] = ofType(member, "AWS::KMS::Alias")[0]!;
    expect(alias.Properties.AliasName).toBe("alias/efs-guard-migration");
    const [, vault] = ofType(member, "AWS::Backup::BackupVault")[0]!;
    expect(vault.Properties.BackupVaultName).toBe("efs-guard-migration");
    expect(flatten(vault.Properties.EncryptionKeyArn)).toBe(`<${keyId}.Arn>`);
    // Nobody but the safety backup administrator deletes or shortens a safety backup, not even the account's admins.
    expect(vault.Properties.AccessPolicy.Statement).toEqual([
      expect.objectContaining({
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle", "backup:DeleteBackupVault"],
      }),
    ]);
    for (const name of ["efs-guard-member-migration", "efs-guard-member-backup"]) {
      expect((roleNamed(name)[1] as any).Condition).toBe("InHubRegion");
    }
    const policies = ofType(member, "AWS::IAM::Policy").filter(([, p]) =>
      ["MigrationRole", "BackupRole"].some((id) => JSON.stringify(p.Properties.Roles).includes(id)),
    );
    expect(policies).toHaveLength(2);
    for (const [, policy] of policies) expect((policy as any).Condition).toBe("InHubRegion");
  });

  it("the migration role: only the hub's five member-side migration step roles of this organization may assume it", () => {
    const [, role] = roleNamed("efs-guard-member-migration");
    expect(role.Properties.MaxSessionDuration).toBe(3600);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Sid: "HubMigrationStepsOfThisOrganization",
        Effect: "Allow",
        Principal: { AWS: { Ref: "HubMigrationPrincipalArns" } },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:PrincipalOrgID": ORG } },
      },
    ]);
    const parameter = stackSet.Properties.Parameters.find((p: any) => p.ParameterKey === "HubMigrationPrincipalArns");
    const fnRole = (entry: string) => {
      const fn = Object.values(hub.Resources).find((r) => r.Metadata?.EfsGuardEntry === entry)!;
      return `<${fn.Properties.Role["Fn::GetAtt"][0]}.Arn>`;
    };
    expect(flatten(parameter.ParameterValue).split(",")).toEqual(MEMBER_STEPS.map(fnRole));
    // And the hub side: each of those step roles, and no other role, may assume it, in this organization only.
    const assumers = Object.entries(hub.Resources)
      .filter(([, r]) => r.Type === "AWS::IAM::Role")
      .filter(([id]) =>
        roleStatements(hub, id).some(
          (s) =>
            s.actions.includes("sts:AssumeRole") &&
            s.resources.some((x) => x.endsWith(":role/efs-guard-member-migration")),
        ),
      )
      .map(([id]) => `<${id}.Arn>`)
      .sort();
    expect(assumers).toEqual(MEMBER_STEPS.map(fnRole).sort());
  });

  it("the migration role grants the member-side steps' permissions in the member: nothing in the hub, nothing that deletes", () => {
    const [roleId] = roleNamed("efs-guard-member-migration");
    const statements = roleStatements(member, roleId);
    const grants = grantsOf(statements);
    // What the hub's step roles grant on resources of their own account, outside the migration keys and the backup
    // role (each account has its own), and outside what stays in the hub (logs, X-Ray, the executions).
    const hubGrants = new Set<string>();
    for (const entry of MEMBER_STEPS) {
      const fn = Object.values(hub.Resources).find((r) => r.Metadata?.EfsGuardEntry === entry)!;
      for (const g of grantsOf(roleStatements(hub, fn.Properties.Role["Fn::GetAtt"][0]))) {
        if (/^(logs|xray|states|sts|kms|iam):/.test(g)) continue;
        hubGrants.add(g.replaceAll(`:${HUB}:`, ":<AWS::AccountId>:").replace(/eu-west-1|us-east-1/g, "<region>"));
      }
    }
    const memberGrants = new Set(
      grants.filter((g) => !/^(kms|iam):/.test(g)).map((g) => g.replace(/eu-west-1|us-east-1/g, "<region>")),
    );
    expect(hubGrants.size).toBeGreaterThan(20);
    expect([...memberGrants].sort()).toEqual([...hubGrants].sort());
    // The member's keys, by their alias, in the StackSet's regions; the member's backup role, to AWS Backup only.
    for (const g of grants.filter((x) => x.startsWith("kms:"))) {
      expect(g).toMatch(
        /^kms:(DescribeKey|CreateGrant) arn:<AWS::Partition>:kms:(eu-west-1|us-east-1):<AWS::AccountId>:key\/\* /,
      );
      expect(g).toContain('"kms:ResourceAliases":"alias/efs-guard-migration"');
    }
    expect(grants.filter((x) => x.startsWith("iam:"))).toEqual([
      'iam:PassRole arn:<AWS::Partition>:iam::<AWS::AccountId>:role/efs-guard-member-backup {"StringEquals":{"iam:PassedToService":"backup.amazonaws.com"}}',
    ]);
    const actions = statements.filter((s) => s.effect === "Allow").flatMap((s) => s.actions);
    expect(actions.filter((a) => /:Delete|^states:|^sns:|^sts:/.test(a))).toEqual([]);
    expect(statements.filter((s) => s.effect === "Deny")).toEqual([
      expect.objectContaining({
        actions: ["*"],
        condition: { StringNotEquals: { "aws:RequestedRegion": ["eu-west-1", "us-east-1"] } },
      }),
    ]);
  });

  it("the backup role: AWS Backup only, on the member's file systems, vaults and keys", () => {
    const [roleId, role] = roleNamed("efs-guard-member-backup");
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole" }),
    ]);
    const grants = grantsOf(roleStatements(member, roleId));
    expect(
      grants.some((g) =>
        g.startsWith(
          "elasticfilesystem:Backup arn:<AWS::Partition>:elasticfilesystem:*:<AWS::AccountId>:file-system/*",
        ),
      ),
    ).toBe(true);
    expect(grants.filter((g) => /:Delete/.test(g))).toEqual([]);
    for (const g of grants) expect(g).not.toContain(HUB);
  });

  it("the guards' member role holds none of the migration's permissions", () => {
    const [roleId] = roleNamed("efs-guard-member");
    const actions = roleStatements(member, roleId).flatMap((s) => s.actions);
    for (const a of [
      "elasticfilesystem:CreateFileSystem",
      "elasticfilesystem:CreateReplicationConfiguration",
      "backup:StartBackupJob",
      "backup:StartRestoreJob",
      "iam:PassRole",
    ]) {
      expect(actions).not.toContain(a);
    }
  });
});
