import { describe, expect, it } from "vitest";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import type { ConfigInput } from "../../shared/config/schema.js";

/** The migration workflow in the synthesized template: least privilege, encryption, the definition's limits. */

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: any };

function statementsByRole(template: CfnTemplate): Map<string, Statement[]> {
  const out = new Map<string, Statement[]>();
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== "AWS::IAM::Policy") continue;
    for (const role of r.Properties.Roles as { Ref: string }[]) {
      const list = out.get(role.Ref) ?? [];
      list.push(...(r.Properties.PolicyDocument.Statement as Statement[]));
      out.set(role.Ref, list);
    }
  }
  return out;
}

function rolesGranting(template: CfnTemplate, action: string): string[] {
  const roles: string[] = [];
  for (const [role, statements] of statementsByRole(template)) {
    if (statements.some((s) => s.Effect === "Allow" && [s.Action].flat().includes(action))) roles.push(role);
  }
  return roles.sort();
}

function roleOfFunction(template: CfnTemplate, entry: string): string {
  const fn = Object.values(template.Resources).find((r) => r.Metadata?.EfsGuardEntry === entry)!;
  return fn.Properties.Role["Fn::GetAtt"][0];
}

function stateMachine(template: CfnTemplate) {
  return Object.entries(template.Resources).find(([, r]) => r.Type === "AWS::StepFunctions::StateMachine")!;
}

function definition(template: CfnTemplate): any {
  const [, sm] = stateMachine(template);
  const parts = sm.Properties.DefinitionString["Fn::Join"][1] as unknown[];
  return JSON.parse(parts.map((p) => (typeof p === "string" ? p : "TOKEN")).join(""));
}

const synth = (config: ConfigInput = {}) => synthTemplate(config);

describe("migration workflow (infra)", () => {
  const template = synth();
  const smRole = stateMachine(template)[1].Properties.RoleArn["Fn::GetAtt"][0] as string;
  const recreateRole = roleOfFunction(template, "functions/migration/recreate/handler.ts");

  it("is a JSONPath state machine with a fixed name, logs and an overall timeout", () => {
    const [, sm] = stateMachine(template);
    expect(sm.Properties.StateMachineName).toBe("efs-guard-migration");
    const def = definition(template);
    expect(def.QueryLanguage).toBeUndefined();
    expect(JSON.stringify(def)).not.toContain("JSONata");
    expect(def.TimeoutSeconds).toBe(7 * 86400 + 3 * 86400);
    expect(sm.Properties.LoggingConfiguration.Level).toBe("ALL");
  });

  it("only the migration's roles may create file systems, start backups and restores", () => {
    expect(rolesGranting(template, "elasticfilesystem:CreateFileSystem")).toEqual([recreateRole]);
    expect(rolesGranting(template, "elasticfilesystem:CreateReplicationConfiguration")).toEqual([recreateRole]);
    expect(rolesGranting(template, "backup:StartBackupJob")).toEqual([smRole]);
    // With the replication strategy nobody may restore; with restore, only the recreate step.
    expect(rolesGranting(template, "backup:StartRestoreJob")).toEqual([]);
    const restore = synth({ migrationStrategy: "restore" });
    expect(rolesGranting(restore, "backup:StartRestoreJob")).toEqual([
      roleOfFunction(restore, "functions/migration/recreate/handler.ts"),
    ]);
    // Nothing in the stack may delete a file system, a mount target, or a replication.
    for (const action of [
      "elasticfilesystem:DeleteFileSystem",
      "elasticfilesystem:DeleteMountTarget",
      "elasticfilesystem:DeleteReplicationConfiguration",
      "elasticfilesystem:DeleteFileSystemPolicy",
    ]) {
      expect(rolesGranting(template, action)).toEqual([]);
    }
  });

  it("passes only the backup role, and only to AWS Backup", () => {
    const backupRoleId = Object.entries(template.Resources).find(
      ([id, r]) => r.Type === "AWS::IAM::Role" && id.startsWith("MigrationBackupRole"),
    )![0];
    for (const t of [template, synth({ migrationStrategy: "restore" })]) {
      for (const [, statements] of statementsByRole(t)) {
        for (const s of statements.filter((x) => [x.Action].flat().includes("iam:PassRole"))) {
          expect(s.Resource).toEqual({ "Fn::GetAtt": [backupRoleId, "Arn"] });
          expect(s.Condition).toEqual({ StringEquals: { "iam:PassedToService": "backup.amazonaws.com" } });
        }
      }
    }
    expect(rolesGranting(template, "iam:PassRole")).toEqual([smRole]);
    const backupRole = template.Resources[backupRoleId]!;
    expect(backupRole.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: "backup.amazonaws.com" } },
    ]);
  });

  it("each step function has only its own actions", () => {
    const statements = (entry: string) => statementsByRole(template).get(roleOfFunction(template, entry)) ?? [];
    const actions = (entry: string) =>
      [
        ...new Set(
          statements(entry)
            .filter((s) => s.Effect === "Allow")
            .flatMap((s) => [s.Action].flat()),
        ),
      ].sort();
    // Every step writes its own log group (no AWSLambdaBasicExecutionRole) and is fenced to the guarded regions.
    const LOGS = ["logs:CreateLogStream", "logs:PutLogEvents"];
    for (const step of ["capture", "request-approval", "recreate", "surroundings", "verify", "notify"]) {
      const entry = `functions/migration/${step}/handler.ts`;
      expect(actions(entry)).toEqual(expect.arrayContaining(LOGS));
      expect(statements(entry).filter((s) => s.Effect === "Deny")).toEqual([
        expect.objectContaining({ Sid: "DenyOutsideGuardedRegions", Action: "*", Resource: "*" }),
      ]);
    }
    expect(
      actions("functions/migration/capture/handler.ts").filter((a) => !a.startsWith("elasticfilesystem:Describe")),
    ).toEqual(["ec2:DescribeNetworkInterfaceAttribute", ...LOGS]);
    expect(actions("functions/migration/verify/handler.ts")).toEqual([
      "ec2:DescribeNetworkInterfaceAttribute",
      "elasticfilesystem:DescribeFileSystemPolicy",
      "elasticfilesystem:DescribeFileSystems",
      "elasticfilesystem:DescribeMountTargetSecurityGroups",
      "elasticfilesystem:DescribeMountTargets",
      ...LOGS,
    ]);
    // Publishing to the encrypted alerts topic: the key only through SNS and SQS, no GenerateDataKey* wildcard.
    for (const step of ["notify", "request-approval"]) {
      expect(actions(`functions/migration/${step}/handler.ts`)).toEqual([
        "kms:Decrypt",
        "kms:GenerateDataKey",
        ...LOGS,
        "sns:Publish",
      ]);
    }
    const surroundings = actions("functions/migration/surroundings/handler.ts");
    expect(surroundings).toContain("elasticfilesystem:CreateMountTarget");
    expect(surroundings).not.toContain("elasticfilesystem:CreateFileSystem");
    expect(surroundings.filter((a) => a.startsWith("ec2:") && !a.startsWith("ec2:Describe"))).toEqual([
      "ec2:CreateNetworkInterface",
    ]);
  });

  it("encrypts the vault and the replacements with a rotating key that EFS and AWS Backup may use, or the configured key", () => {
    const vault = Object.values(template.Resources).find((r) => r.Type === "AWS::Backup::BackupVault")!;
    expect(vault.Properties.BackupVaultName).toBe("efs-guard-migration");
    const keyId = vault.Properties.EncryptionKeyArn["Fn::GetAtt"][0];
    const key = template.Resources[keyId]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.RotationPeriodInDays).toBe(365);
    const via = key.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === "AllowEfsAndBackupThroughTheirServices");
    expect(via.Condition.StringEquals["kms:ViaService"]).toHaveLength(2);
    expect(JSON.stringify(via.Condition.StringEquals["kms:ViaService"])).toMatch(/elasticfilesystem\..*backup\./);

    const arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
    const given = synth({ kmsKeyArn: arn });
    const givenVault = Object.values(given.Resources).find((r) => r.Type === "AWS::Backup::BackupVault")!;
    expect(givenVault.Properties.EncryptionKeyArn).toBe(arn);
    const recreate = Object.values(given.Resources).find(
      (r) => r.Metadata?.EfsGuardEntry === "functions/migration/recreate/handler.ts",
    )!;
    expect(recreate.Properties.Environment.Variables.MIGRATION_KMS_KEY_ARN).toBe(arn);
    expect(Object.values(given.Resources).filter((r) => r.Type === "AWS::KMS::Key")).toHaveLength(1); // the alerts key only
  });

  it("every wait is bounded, every task is caught, approval waits approvalTimeout for a task token", () => {
    const def = definition(synth({ approvalTimeout: "36h" }));
    const states = def.States as Record<string, any>;
    expect(states["Await approval"].TimeoutSeconds).toBe(36 * 3600);
    expect(states["Await approval"].Catch.map((c: any) => c.ErrorEquals)).toEqual([
      ["EfsGuard.Rejected"],
      ["States.Timeout", "States.HeartbeatTimeout"],
      ["States.ALL"],
    ]);
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === "Task" && !name.startsWith("Notify")) {
        expect(
          state.Catch?.some((c: any) => c.ErrorEquals.includes("States.ALL")),
          name,
        ).toBe(true);
      }
      if (state.Type === "Task" && name.startsWith("Notify")) expect(state.Catch, name).toBeDefined();
    }
    expect(states["Wait for the backup"].Seconds).toBe(120);
    expect(states["Backup finished?"].Choices.at(-1)).toMatchObject({
      Variable: "$.backupPolls.count",
      NumericGreaterThanEquals: 720,
    });
    expect(states["Restore finished?"].Choices.at(-1)).toMatchObject({ NumericGreaterThanEquals: 720 });
    for (const name of ["Recreate surroundings", "Verify"]) {
      expect(states[name].Retry).toContainEqual({
        ErrorEquals: ["EfsGuard.NotReady"],
        IntervalSeconds: 15,
        MaxAttempts: 40,
        BackoffRate: 1,
      });
    }
    const fails = Object.entries(states)
      .filter(([, s]) => s.Type === "Fail")
      .map(([n]) => n)
      .sort();
    expect(fails).toEqual([
      "Approval timed out",
      "Migration failed",
      "Migration failed, notification failed too",
      "Rejected",
    ]);
    // Every way into a Fail state passes a notification, except when the notification itself failed.
    for (const [name, state] of Object.entries(states)) {
      if (state.Next && fails.includes(state.Next)) expect(name, `${name} -> ${state.Next}`).toMatch(/^Notify/);
    }
  });

  it("never runs a step that deletes, and the source is only tagged", () => {
    const def = JSON.stringify(definition(template));
    expect(def).not.toMatch(/delete/i);
  });
});
