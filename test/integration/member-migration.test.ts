import { BackupClient, CreateBackupVaultCommand, DescribeRecoveryPointCommand } from "@aws-sdk/client-backup";
import { DescribeFileSystemsCommand, DescribeMountTargetsCommand, EFSClient } from "@aws-sdk/client-efs";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approve } from "../../bin/commands/approve.js";
import { FunctionHost } from "../../emulator/host.js";
import { LambdaHost } from "../../emulator/lambda-host.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import type { CfnTemplate } from "../../emulator/template.js";
import { pendingApproval } from "../../shared/aws/approvals.js";
import { migrationSubject, startMigration } from "../../shared/aws/migration.js";
import { configureEmulator, resetEmulator } from "../support/emulator.js";
import { hubTemplate, memberMigrationPolicyOf, memberTemplatePolicyOf, roleArnOf } from "../support/hub.js";
import { executionEnded, waitFor } from "../support/migration.js";
import { inAccount, memberRoleIn, organization } from "../support/organization.js";

/**
 * Issue 13: the hub's migration state machine, executed by the emulator's Step Functions, migrating a member's
 * unencrypted file system in that member. The member has what the member template creates there: the migration
 * role (trusting the hub's five member-side step roles in the organization, the template's MigrationPermissions),
 * the backup role (the template's BackupPermissions) and the vault `efs-guard-migration` encrypted with the key
 * alias/efs-guard-migration. The step handlers run in the local Lambda host under their synthesized roles, IAM
 * enforced; the approval is the real `efs-guard approve` command.
 */
const STEPS = ["capture", "safety-backup", "recreate", "surroundings", "verify"] as const;
const VAULT = "efs-guard-migration";

const consoleIo = { out: (t: string) => console.log(t), err: (t: string) => console.error(t) };
const sfn = new SFNClient({ region: REGION });
let template: CfnTemplate;
let host: FunctionHost;
let lambdas: LambdaHost;
let member: string;
let organizationId: string;

beforeAll(async () => {
  await resetEmulator();
  await configureEmulator({ stepfunctions: { execute_state_machine: true } });
  const org = await organization(["data"]);
  organizationId = org.id;
  member = org.members[0]!;
  template = hubTemplate(organizationId);
  host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  lambdas = await LambdaHost.deploy(template, { topicArn: host.alertsTopicArn, region: REGION });
}, 180_000);

afterAll(async () => {
  await lambdas?.stop();
  await host?.stop();
  await configureEmulator({ stepfunctions: { execute_state_machine: false } });
});

/** What the member template creates in the member for the migration: its two roles, its key and vault. */
async function memberMigrationSetup(account: string) {
  await memberRoleIn(account, {
    roleName: "efs-guard-member-migration",
    principals: STEPS.map((step) => roleArnOf(template, `functions/migration/${step}/handler.ts`)),
    organizationId,
    policy: JSON.stringify(memberMigrationPolicyOf(template)(account)),
  });
  const iam = inAccount(new IAMClient({ region: REGION }), account);
  const trust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole" }],
  };
  await iam.send(
    new CreateRoleCommand({ RoleName: "efs-guard-member-backup", AssumeRolePolicyDocument: JSON.stringify(trust) }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: "efs-guard-member-backup",
      PolicyName: "BackupPermissions",
      PolicyDocument: JSON.stringify(memberTemplatePolicyOf(template, "BackupPermissions")(account)),
    }),
  );
  const kms = inAccount(new KMSClient({ region: REGION }), account);
  const keyArn = (await kms.send(new CreateKeyCommand({ Description: "efs-guard migration" }))).KeyMetadata!.Arn!;
  await kms.send(new CreateAliasCommand({ AliasName: "alias/efs-guard-migration", TargetKeyId: keyArn }));
  const backup = inAccount(new BackupClient({ region: REGION }), account);
  await backup.send(new CreateBackupVaultCommand({ BackupVaultName: VAULT, EncryptionKeyArn: keyArn }));
  return { keyArn, backup };
}

describe("the hub migrates a member's file system in the member", () => {
  it("replacement in the member, with the member's key; the safety backup in the member's vault; nothing in the hub", async () => {
    const { keyArn, backup } = await memberMigrationSetup(member);
    const seed = new Seeder();
    inAccount(seed.ec2, member);
    inAccount(seed.efs, member);
    const { vpcId, subnets } = await seed.vpc();
    const groupId = await seed.securityGroup(vpcId);
    const fileSystemId = await seed.fileSystem({ tags: { Name: "member-shared" } });
    await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
    const memberEfs = seed.efs;
    const hubEfs = new EFSClient({ region: REGION });
    const fsIn = async (efs: EFSClient, id?: string) =>
      (await efs.send(new DescribeFileSystemsCommand(id ? { FileSystemId: id } : {}))).FileSystems ?? [];
    const hubBefore = (await fsIn(hubEfs)).map((f) => f.FileSystemId);
    const [sourceBefore] = await fsIn(memberEfs, fileSystemId);

    const mark = lambdas.recorder.calls.length;
    // As the member guard starts it: the account in the input (and in the execution name).
    const reason = "efs-encrypted-at-rest: the file system is not encrypted at rest";
    const started = await startMigration(sfn, lambdas.stateMachineArn, {
      fileSystemId,
      region: REGION,
      account: member,
      reason,
      requestedBy: `arn:aws:iam::${member}:role/Admin (CreateFileSystem)`,
      subject: migrationSubject({ fileSystemId, reason, strategy: "replication" }),
    });
    expect(started.status).toBe("done");
    const executionArn = started.executionArn;
    expect(executionArn).toContain(`${fileSystemId}-${member}`);

    // The approval once the execution waits for it (or the execution's end, if a step before it failed).
    const asked = await waitFor("the approval or the end", async () => {
      if ((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status !== "RUNNING") return "ended";
      return pendingApproval(sfn, executionArn).then(
        () => "asked",
        () => undefined,
      );
    });
    if (asked === "ended") {
      const early = await executionEnded(sfn, executionArn);
      expect.fail(`the execution ended before the approval, ${early.status}: ${early.error}: ${early.cause}`);
    }
    expect(await approve.run([executionArn], consoleIo)).toBe(0);
    const ended = await executionEnded(sfn, executionArn, 120_000);
    expect(ended.status, `${ended.error}: ${ended.cause}`).toBe("SUCCEEDED");
    const output = JSON.parse(ended.output!);

    // The replacement: in the member, encrypted with the member's key, tagged as this migration's.
    const dst = output.destination.fileSystemId as string;
    expect(dst).toMatch(/^fs-/);
    const [replacement] = await fsIn(memberEfs, dst);
    expect(replacement).toMatchObject({ Encrypted: true, KmsKeyId: keyArn, OwnerId: member });
    const name = executionArn.split(":").at(-1)!;
    expect(replacement!.Tags).toContainEqual({ Key: "efs-guard:migration", Value: name });
    expect((await memberEfs.send(new DescribeMountTargetsCommand({ FileSystemId: dst }))).MountTargets).toHaveLength(1);

    // Nothing in the hub: no file system created there.
    expect((await fsIn(hubEfs)).map((f) => f.FileSystemId)).toEqual(hubBefore);

    // The step roles made no EFS or Backup call of their own: each was the member migration role's session (the
    // recorder names a call by the key that signed it; a member session's key is no function's).
    const run = lambdas.recorder.calls.slice(mark);
    const calls = run.filter((call) => ["elasticfilesystem", "backup"].includes(call.service));
    expect(calls.filter((call) => call.function !== undefined).map((c) => `${c.function} ${c.operation}`)).toEqual([]);
    const memberCalls = calls.map((call) => `${call.service}:${call.operation}`);
    // One file system created and one backup started, both by the member session: none in the hub.
    for (const write of ["elasticfilesystem:CreateFileSystem", "backup:StartBackupJob"]) {
      expect(memberCalls.filter((call) => call === write)).toHaveLength(1);
    }
    // The source: untouched but for its replacement tag.
    const [sourceAfter] = await fsIn(memberEfs, fileSystemId);
    const added = sourceAfter!.Tags!.filter((t) => !sourceBefore!.Tags!.some((b) => b.Key === t.Key));
    expect(sourceAfter!.Tags).toEqual(expect.arrayContaining(sourceBefore!.Tags!));
    expect(added.map((t) => t.Key).filter((k) => k !== "efs-guard:replacement-record")).toEqual([
      "efs-guard:replacement",
    ]);
    expect(added.find((t) => t.Key === "efs-guard:replacement")?.Value).toBe(dst);
    const settings = (f: typeof sourceBefore) => ({ ...f, Tags: undefined, SizeInBytes: undefined });
    expect(settings(sourceAfter)).toEqual(settings(sourceBefore));

    // The safety backup's recovery point: in the member's vault.
    const recoveryPointArn = output.backup.recoveryPointArn as string;
    expect(recoveryPointArn.split(":")[4]).toBe(member);
    const point = await backup.send(
      new DescribeRecoveryPointCommand({ BackupVaultName: VAULT, RecoveryPointArn: recoveryPointArn }),
    );
    expect(point.BackupVaultArn).toBe(`arn:aws:backup:${REGION}:${member}:backup-vault:${VAULT}`);
    expect(point.IamRoleArn).toBe(`arn:aws:iam::${member}:role/efs-guard-member-backup`);
  }, 600_000);
});
