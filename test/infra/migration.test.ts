import { describe, expect, it } from "vitest";
import { type CfnTemplate, synthTemplate, synthTemplates } from "../../emulator/template.js";
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

const synth = (config: ConfigInput = {}, region?: string) => synthTemplate(config, region ? { region } : {});

function backupRoleOf(template: CfnTemplate): string {
  return Object.entries(template.Resources).find(
    ([id, r]) => r.Type === "AWS::IAM::Role" && id.startsWith("MigrationBackupRole"),
  )![0];
}

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
    const backupStep = roleOfFunction(template, "functions/migration/safety-backup/handler.ts");
    expect(rolesGranting(template, "elasticfilesystem:CreateFileSystem")).toEqual([recreateRole]);
    expect(rolesGranting(template, "elasticfilesystem:CreateReplicationConfiguration")).toEqual([recreateRole]);
    expect(rolesGranting(template, "backup:StartBackupJob")).toEqual([backupStep]);
    // The state machine only invokes the steps (the Backup calls are steps: they act in the file system's region).
    expect(rolesGranting(template, "backup:StartBackupJob")).not.toContain(smRole);
    // With the replication strategy nobody may restore; with restore, only the recreate step.
    expect(rolesGranting(template, "backup:StartRestoreJob")).toEqual([]);
    const restore = synth({ migrationStrategy: "restore" });
    expect(rolesGranting(restore, "backup:StartRestoreJob")).toEqual([
      roleOfFunction(restore, "functions/migration/recreate/handler.ts"),
    ]);
    expect(rolesGranting(restore, "elasticfilesystem:CreateFileSystem")).toEqual([backupRoleOf(restore)]);
    // Nothing in the stack may delete a file system, a mount target, a replication or a recovery point: the backup
    // role has scoped policies instead of AWS's managed restore policy (which allows DeleteFileSystem).
    for (const t of [template, restore]) {
      for (const action of [
        "elasticfilesystem:DeleteFileSystem",
        "elasticfilesystem:DeleteMountTarget",
        "elasticfilesystem:DeleteReplicationConfiguration",
        "elasticfilesystem:DeleteFileSystemPolicy",
        "elasticfilesystem:DeleteAccessPoint",
        "backup:DeleteRecoveryPoint",
        "backup:UpdateRecoveryPointLifecycle",
      ]) {
        expect(rolesGranting(t, action), action).toEqual([]);
      }
      expect(t.Resources[backupRoleOf(t)]!.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it("writes to a replacement only where it carries the migration's tag; tags only in creating requests; the source only its replacement tag", () => {
    const write = (entry: string) =>
      (statementsByRole(template).get(roleOfFunction(template, entry)) ?? []).filter((s) => s.Effect === "Allow");
    const OWN = { StringLike: { "aws:ResourceTag/efs-guard:migration": "efs-guard-migrate-fs-*" } };
    const surroundings = write("functions/migration/surroundings/handler.ts");
    const efsWrites = surroundings.filter((s) =>
      [s.Action].flat().some((a) => /^elasticfilesystem:(Create|Put|Update)/.test(a)),
    );
    expect(efsWrites).toHaveLength(1);
    expect([efsWrites[0]!.Action].flat().sort()).toEqual([
      "elasticfilesystem:CreateAccessPoint",
      "elasticfilesystem:CreateMountTarget",
      "elasticfilesystem:PutBackupPolicy",
      "elasticfilesystem:PutFileSystemPolicy",
      "elasticfilesystem:PutLifecycleConfiguration",
      "elasticfilesystem:UpdateFileSystem",
    ]);
    expect(efsWrites[0]!.Condition).toEqual(OWN);
    const tagging = surroundings.filter((s) => [s.Action].flat().includes("elasticfilesystem:TagResource"));
    expect(tagging.map((s) => s.Condition)).toEqual([
      { StringEquals: { "elasticfilesystem:CreateAction": "CreateAccessPoint" } },
      {
        "ForAllValues:StringEquals": { "aws:TagKeys": ["efs-guard:replacement", "efs-guard:replacement-record"] },
        Null: { "aws:TagKeys": "false" },
      },
    ]);
    const recreate = write("functions/migration/recreate/handler.ts");
    const byAction = (action: string) => recreate.filter((s) => [s.Action].flat().includes(action));
    expect(byAction("elasticfilesystem:CreateFileSystem").map((s) => s.Condition)).toEqual([
      {
        Bool: { "elasticfilesystem:Encrypted": "true" },
        StringLike: { "aws:RequestTag/efs-guard:migration": "efs-guard-migrate-fs-*" },
      },
    ]);
    expect(byAction("elasticfilesystem:TagResource").map((s) => s.Condition)).toEqual([
      { StringEquals: { "elasticfilesystem:CreateAction": "CreateFileSystem" } },
    ]);
    expect(byAction("elasticfilesystem:UpdateFileSystemProtection").map((s) => s.Condition)).toEqual([OWN]);
    expect(byAction("kms:CreateGrant").map((s) => s.Condition)).toEqual([
      { Bool: { "kms:GrantIsForAWSResource": "true" } },
    ]);
  });

  it("passes only the backup role, and only to AWS Backup", () => {
    for (const t of [template, synth({ migrationStrategy: "restore" })]) {
      for (const [, statements] of statementsByRole(t)) {
        for (const s of statements.filter((x) => [x.Action].flat().includes("iam:PassRole"))) {
          expect(s.Resource).toEqual({ "Fn::GetAtt": [backupRoleOf(t), "Arn"] });
          expect(s.Condition).toEqual({ StringEquals: { "iam:PassedToService": "backup.amazonaws.com" } });
        }
      }
    }
    expect(rolesGranting(template, "iam:PassRole")).toEqual([
      roleOfFunction(template, "functions/migration/safety-backup/handler.ts"),
    ]);
    const backupRole = template.Resources[backupRoleOf(template)]!;
    expect(backupRole.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: "backup.amazonaws.com" } },
    ]);
  });

  it("the backup role has what AWS Backup needs for EFS backup (and restore), on the migration's vaults and keys", () => {
    const actionsOf = (t: CfnTemplate) =>
      [...new Set((statementsByRole(t).get(backupRoleOf(t)) ?? []).flatMap((s) => [s.Action].flat()))].sort();
    expect(actionsOf(template)).toEqual([
      "backup:CopyIntoBackupVault",
      "backup:DescribeBackupVault",
      "elasticfilesystem:Backup",
      "elasticfilesystem:DescribeTags",
      "kms:CreateGrant",
      "kms:DescribeKey",
      "tag:GetResources",
    ]);
    const restore = synth({ migrationStrategy: "restore" });
    expect(actionsOf(restore)).toEqual([
      "backup:CopyIntoBackupVault",
      "backup:DescribeBackupVault",
      "elasticfilesystem:Backup",
      "elasticfilesystem:CreateFileSystem",
      "elasticfilesystem:DescribeFileSystems",
      "elasticfilesystem:DescribeTags",
      "elasticfilesystem:Restore",
      "elasticfilesystem:TagResource",
      "kms:CreateGrant",
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
      "tag:GetResources",
    ]);
    const vaults = (statementsByRole(template).get(backupRoleOf(template)) ?? []).find((s) =>
      [s.Action].flat().includes("backup:CopyIntoBackupVault"),
    )!;
    expect(JSON.stringify(vaults.Resource)).toContain(":backup-vault:efs-guard-migration");
    const keys = (statementsByRole(template).get(backupRoleOf(template)) ?? []).filter((s) =>
      [s.Action].flat().some((a) => a.startsWith("kms:")),
    );
    for (const k of keys) expect(JSON.stringify(k.Resource)).not.toBe('"*"');
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
    for (const step of [
      "capture",
      "request-approval",
      "safety-backup",
      "recreate",
      "surroundings",
      "verify",
      "notify",
    ]) {
      const entry = `functions/migration/${step}/handler.ts`;
      expect(actions(entry)).toEqual(expect.arrayContaining(LOGS));
      expect(statements(entry).filter((s) => s.Effect === "Deny")).toEqual([
        expect.objectContaining({ Sid: "DenyOutsideGuardedRegions", Action: "*", Resource: "*" }),
      ]);
    }
    expect(
      actions("functions/migration/capture/handler.ts").filter((a) => !a.startsWith("elasticfilesystem:Describe")),
    ).toEqual([
      "backup:DescribeBackupVault",
      "ec2:DescribeNetworkInterfaceAttribute",
      ...LOGS,
      "states:DescribeExecution",
    ]);
    expect(actions("functions/migration/safety-backup/handler.ts")).toEqual([
      "backup:DescribeBackupJob",
      "backup:StartBackupJob",
      "iam:PassRole",
      ...LOGS,
    ]);
    expect(actions("functions/migration/recreate/handler.ts")).toEqual([
      "elasticfilesystem:CreateFileSystem",
      "elasticfilesystem:CreateReplicationConfiguration",
      "elasticfilesystem:DescribeFileSystems",
      "elasticfilesystem:DescribeReplicationConfigurations",
      "elasticfilesystem:TagResource",
      "elasticfilesystem:UpdateFileSystemProtection",
      "kms:CreateGrant",
      "kms:DescribeKey",
      ...LOGS,
      "states:DescribeExecution",
    ]);
    expect(actions("functions/migration/verify/handler.ts")).toEqual([
      "ec2:DescribeNetworkInterfaceAttribute",
      "elasticfilesystem:DescribeBackupPolicy",
      "elasticfilesystem:DescribeFileSystemPolicy",
      "elasticfilesystem:DescribeFileSystems",
      "elasticfilesystem:DescribeLifecycleConfiguration",
      "elasticfilesystem:DescribeMountTargetSecurityGroups",
      "elasticfilesystem:DescribeMountTargets",
      "elasticfilesystem:DescribeReplicationConfigurations",
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

  it("keys of forwarded regions: configured ARNs exactly, the forwarder stacks' only through their alias", () => {
    const arn = "arn:aws:kms:ap-south-1:123456789012:key/11111111-2222-3333-4444-555555555555";
    const t = synth({ regions: ["eu-west-1", "ap-south-1"], regionKmsKeyArns: { "ap-south-1": arn } }, "us-east-1");
    const grants = (statementsByRole(t).get(roleOfFunction(t, "functions/migration/recreate/handler.ts")) ?? []).filter(
      (s) => [s.Action].flat().includes("kms:CreateGrant"),
    );
    expect(grants).toHaveLength(2);
    expect(JSON.stringify(grants[0]!.Resource)).toContain(arn);
    expect(grants[1]).toMatchObject({
      Resource: {
        "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":kms:eu-west-1:", { Ref: "AWS::AccountId" }, ":key/*"]],
      },
      Condition: {
        Bool: { "kms:GrantIsForAWSResource": "true" },
        "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/efs-guard-migration" },
      },
    });
  });

  it("the vault denies deleting or shortening the safety backups to all but the configured admin role", () => {
    const policyOf = (t: CfnTemplate) =>
      Object.values(t.Resources).find((r) => r.Type === "AWS::Backup::BackupVault")!.Properties.AccessPolicy;
    const deny = {
      Sid: "OnlyTheSafetyBackupAdminMayDeleteOrShortenBackups",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle", "backup:DeleteBackupVault"],
      Resource: "*",
    };
    expect(policyOf(template).Statement).toEqual([deny]);
    const admin = "arn:aws:iam::123456789012:role/backup-admin";
    expect(policyOf(synth({ safetyBackupAdminRoleArn: admin })).Statement).toEqual([
      { ...deny, Condition: { ArnNotEquals: { "aws:PrincipalArn": admin } } },
    ]);
  });

  it("forwarder stacks hold the migration's key and vault for their region, only when the migration can run", () => {
    const { forwarders } = synthTemplates({ regions: ["eu-west-1"] }, { region: "us-east-1" });
    const f = forwarders["eu-west-1"]!;
    const types = Object.values(f.Resources).map((r) => r.Type);
    expect(types.filter((x) => x === "AWS::Backup::BackupVault")).toHaveLength(1);
    const vault = Object.values(f.Resources).find((r) => r.Type === "AWS::Backup::BackupVault")!;
    expect(vault.Properties.BackupVaultName).toBe("efs-guard-migration");
    expect(vault.Properties.AccessPolicy.Statement[0].Effect).toBe("Deny");
    const alias = Object.values(f.Resources).find((r) => r.Type === "AWS::KMS::Alias")!;
    expect(alias.Properties.AliasName).toBe("alias/efs-guard-migration");
    const key = Object.values(f.Resources).find(
      (r) => r.Type === "AWS::KMS::Key" && r.Properties.Description?.includes("replace unencrypted"),
    )!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const via = key.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === "AllowEfsAndBackupThroughTheirServices");
    expect(via.Condition.StringEquals["kms:ViaService"]).toEqual([
      "elasticfilesystem.eu-west-1.amazonaws.com",
      "backup.eu-west-1.amazonaws.com",
    ]);
    const alertOnly = synthTemplates(
      { regions: ["eu-west-1"], modes: { "efs-encrypted-at-rest": "alert" } },
      { region: "us-east-1" },
    ).forwarders["eu-west-1"]!;
    expect(Object.values(alertOnly.Resources).some((r) => r.Type === "AWS::Backup::BackupVault")).toBe(false);
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
    // The alerts key only, besides the migration record's HMAC key (which encrypts nothing).
    const encryptionKeys = Object.values(given.Resources).filter(
      (r) => r.Type === "AWS::KMS::Key" && r.Properties.KeyUsage !== "GENERATE_VERIFY_MAC",
    );
    expect(encryptionKeys).toHaveLength(1);
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
    for (const name of ["Recreate encrypted", "Recreate surroundings", "Verify"]) {
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

  it("approval comes before anything billable: capture, approval, then the safety backup, then recreate", () => {
    const states = definition(template).States as Record<string, any>;
    expect(definition(template).StartAt).toBe("Capture source");
    expect(states["Capture source"].Next).toBe("Approval round 1");
    expect(states["Approval round 1"].Next).toBe("Await approval");
    expect(states["Await approval"].Next).toBe("Verify approval");
    // Only an answer AWS STS verified as an approver's goes on to the backup (infra/constructs/approval-gate.ts).
    expect(states["Answer verified?"].Choices[0].Next).toBe("Start safety backup");
    expect(states["Start safety backup"].Parameters.Payload.kind).toBe("start");
    expect(states["Backup finished?"].Choices[0]).toMatchObject({
      Variable: "$.backupJob.State",
      StringEquals: "COMPLETED",
      Next: "Recreate encrypted",
    });
  });

  it("every task retries what AWS answers transiently, with capped, jittered backoff (issue 12 defect 3)", () => {
    for (const t of [template, synth({ migrationStrategy: "restore" })]) {
      const tasks = Object.entries(definition(t).States as Record<string, any>).filter(([, s]) => s.Type === "Task");
      expect(tasks.length).toBeGreaterThanOrEqual(11);
      for (const [name, state] of tasks) {
        const retried = (state.Retry ?? []).flatMap((r: any) => r.ErrorEquals as string[]);
        const resource = String(state.Resource);
        const sdk = /:aws-sdk:([a-z0-9]+):/.exec(resource)?.[1];
        if (sdk) {
          // An SDK integration names the service's errors `<Service>.<Error>`.
          const service = sdk.charAt(0).toUpperCase() + sdk.slice(1);
          for (const e of ["ThrottlingException", "ServiceUnavailableException"]) {
            expect(retried, `${name} retries ${service}.${e}`).toContain(`${service}.${e}`);
          }
        } else {
          expect(resource, name).toMatch(/:lambda:invoke(\.waitForTaskToken)?$/);
          for (const e of [
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException",
            "EfsGuard.Retryable",
          ]) {
            expect(retried, `${name} retries ${e}`).toContain(e);
          }
        }
        const transient = state.Retry.find((r: any) => r.ErrorEquals.includes("EfsGuard.Retryable") || sdk);
        expect(transient, name).toMatchObject({ JitterStrategy: "FULL", MaxDelaySeconds: 300, BackoffRate: 2 });
        expect(transient.MaxAttempts, name).toBeGreaterThanOrEqual(5);
      }
      // The Backup calls are Lambda steps, not aws-sdk tasks: SDK integrations call only the state machine's own
      // region, and the steps act in the file system's region (with that region's vault).
      expect(tasks.filter(([, s]) => String(s.Resource).includes(":aws-sdk:"))).toEqual([]);
    }
  });

  it("never runs a step that deletes, and the source is only tagged", () => {
    const def = JSON.stringify(definition(template));
    expect(def).not.toMatch(/delete/i);
  });
});
