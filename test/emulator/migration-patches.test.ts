import {
  BackupClient,
  CreateBackupVaultCommand,
  DeleteRecoveryPointCommand,
  DescribeBackupJobCommand,
  DescribeRecoveryPointCommand,
  DescribeRestoreJobCommand,
  GetBackupVaultAccessPolicyCommand,
  ListTagsCommand,
  PutBackupVaultAccessPolicyCommand,
  StartBackupJobCommand,
  StartRestoreJobCommand,
  UpdateRecoveryPointLifecycleCommand,
} from "@aws-sdk/client-backup";
import {
  CreateFileSystemCommand,
  CreateReplicationConfigurationCommand,
  DeleteFileSystemCommand,
  DeleteReplicationConfigurationCommand,
  DescribeBackupPolicyCommand,
  DescribeFileSystemsCommand,
  DescribeLifecycleConfigurationCommand,
  DescribeReplicationConfigurationsCommand,
  EFSClient,
  FileSystemAlreadyExists,
  PutLifecycleConfigurationCommand,
  UpdateFileSystemCommand,
  UpdateFileSystemProtectionCommand,
} from "@aws-sdk/client-efs";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { LambdaHost } from "../../emulator/lambda-host.js";
import { iamCall } from "../../emulator/moto-call.js";
import { assumeRole } from "../../emulator/roles.js";
import { Seeder } from "../../emulator/seed.js";
import { configureEmulator, resetEmulator } from "../support/emulator.js";
import { waitFor } from "../support/migration.js";

const region = "us-east-1";
const backup = new BackupClient({ region });
const efs = new EFSClient({ region });
// A client per test: the SDK resolves AWS_ENDPOINT_URL on first use and keeps it, and a LambdaHost points the
// process at its recorder until it stops (as the approvers' STS endpoint must be the steps'), so a client kept
// across tests would keep a stopped recorder's endpoint.
let sfn: SFNClient;
beforeEach(() => {
  sfn = new SFNClient({ region });
});
const role = "arn:aws:iam::123456789012:role/backup";

beforeEach(resetEmulator);
afterAll(() => configureEmulator({ stepfunctions: { execute_state_machine: false } }));

async function vaultAndFileSystem(tags?: Record<string, string>) {
  await backup.send(new CreateBackupVaultCommand({ BackupVaultName: "v" }));
  const seed = new Seeder();
  const fileSystemId = await seed.fileSystem(tags ? { tags } : {});
  return { fileSystemId, arn: `arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/${fileSystemId}` };
}

describe("backup_jobs", () => {
  it("a backup job moves CREATED -> RUNNING -> COMPLETED, one state per describe, and leaves a recovery point", async () => {
    const { arn } = await vaultAndFileSystem();
    const job = await backup.send(
      new StartBackupJobCommand({ BackupVaultName: "v", ResourceArn: arn, IamRoleArn: role }),
    );
    expect(job.RecoveryPointArn).toMatch(/^arn:aws:backup:us-east-1:123456789012:recovery-point:/);
    const states: string[] = [];
    for (let i = 0; i < 4; i++) {
      states.push((await backup.send(new DescribeBackupJobCommand({ BackupJobId: job.BackupJobId }))).State!);
    }
    expect(states).toEqual(["CREATED", "RUNNING", "COMPLETED", "COMPLETED"]);
    const point = await backup.send(
      new DescribeRecoveryPointCommand({ BackupVaultName: "v", RecoveryPointArn: job.RecoveryPointArn }),
    );
    expect(point).toMatchObject({ Status: "COMPLETED", ResourceArn: arn, ResourceType: "EFS" });
  });

  it("the emulator:backup=fail tag makes the job end FAILED with a message; unknown vaults and resources are refused", async () => {
    const { arn } = await vaultAndFileSystem({ "emulator:backup": "fail" });
    const job = await backup.send(
      new StartBackupJobCommand({ BackupVaultName: "v", ResourceArn: arn, IamRoleArn: role }),
    );
    let described = await backup.send(new DescribeBackupJobCommand({ BackupJobId: job.BackupJobId }));
    while (described.State === "CREATED" || described.State === "RUNNING") {
      described = await backup.send(new DescribeBackupJobCommand({ BackupJobId: job.BackupJobId }));
    }
    expect(described.State).toBe("FAILED");
    expect(described.StatusMessage).toContain("could not be read");
    await expect(
      backup.send(new StartBackupJobCommand({ BackupVaultName: "nope", ResourceArn: arn, IamRoleArn: role })),
    ).rejects.toThrow(/nope/);
    await expect(
      backup.send(
        new StartBackupJobCommand({
          BackupVaultName: "v",
          ResourceArn: arn.replace(/fs-\w+/, "fs-00000000"),
          IamRoleArn: role,
        }),
      ),
    ).rejects.toThrow(/not found/);
  });

  it("a restore to a new file system creates a real one, encrypted with the requested key", async () => {
    const { arn } = await vaultAndFileSystem();
    const key = (await new KMSClient({ region }).send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const job = await backup.send(
      new StartBackupJobCommand({ BackupVaultName: "v", ResourceArn: arn, IamRoleArn: role }),
    );
    for (let i = 0; i < 3; i++) await backup.send(new DescribeBackupJobCommand({ BackupJobId: job.BackupJobId }));
    const restore = await backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: job.RecoveryPointArn,
        IamRoleArn: role,
        ResourceType: "EFS",
        Metadata: { newFileSystem: "true", Encrypted: "true", KmsKeyId: key, CreationToken: "restore-1" },
      }),
    );
    const statuses: string[] = [];
    let created: string | undefined;
    for (let i = 0; i < 3; i++) {
      const d = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restore.RestoreJobId }));
      statuses.push(d.Status!);
      created = d.CreatedResourceArn;
    }
    expect(statuses).toEqual(["PENDING", "RUNNING", "COMPLETED"]);
    const fs = (await efs.send(new DescribeFileSystemsCommand({ FileSystemId: created!.split("/").at(-1) })))
      .FileSystems![0]!;
    expect(fs).toMatchObject({ Encrypted: true, KmsKeyId: key, LifeCycleState: "available" });
    await expect(
      backup.send(
        new StartRestoreJobCommand({ RecoveryPointArn: `${job.RecoveryPointArn}x`, IamRoleArn: role, Metadata: {} }),
      ),
    ).rejects.toThrow(/not found/);
  });
});

describe("backup_jobs: lifecycle, tags, idempotency, vault access policy", () => {
  async function completedPoint(extra: Partial<ConstructorParameters<typeof StartBackupJobCommand>[0]> = {}) {
    const { arn } = await vaultAndFileSystem();
    const job = await backup.send(
      new StartBackupJobCommand({ BackupVaultName: "v", ResourceArn: arn, IamRoleArn: role, ...extra }),
    );
    for (let i = 0; i < 3; i++) await backup.send(new DescribeBackupJobCommand({ BackupJobId: job.BackupJobId }));
    return { arn, job };
  }

  it("keeps the lifecycle and tags on the recovery point; the same idempotency token returns the same job", async () => {
    const { arn, job } = await completedPoint({
      IdempotencyToken: "run-1",
      Lifecycle: { DeleteAfterDays: 35 },
      RecoveryPointTags: { "efs-guard:migration": "run-1" },
    });
    const again = await backup.send(
      new StartBackupJobCommand({
        BackupVaultName: "v",
        ResourceArn: arn,
        IamRoleArn: role,
        IdempotencyToken: "run-1",
      }),
    );
    expect(again.BackupJobId).toBe(job.BackupJobId);
    const point = await backup.send(
      new DescribeRecoveryPointCommand({ BackupVaultName: "v", RecoveryPointArn: job.RecoveryPointArn }),
    );
    expect(point.Lifecycle).toEqual({ DeleteAfterDays: 35 });
    expect(point.CalculatedLifecycle!.DeleteAt!.getTime() - point.CreationDate!.getTime()).toBe(35 * 86400 * 1000);
    expect((await backup.send(new ListTagsCommand({ ResourceArn: job.RecoveryPointArn }))).Tags).toEqual({
      "efs-guard:migration": "run-1",
    });
    await expect(
      backup.send(
        new StartBackupJobCommand({
          BackupVaultName: "v",
          ResourceArn: arn,
          IamRoleArn: role,
          Lifecycle: { MoveToColdStorageAfterDays: 10, DeleteAfterDays: 35 },
        }),
      ),
    ).rejects.toThrow(/at least 90 days/);
  });

  it("a vault access policy denying deletion to all but one role is enforced on DeleteRecoveryPoint and UpdateRecoveryPointLifecycle", async () => {
    const { job } = await completedPoint({ Lifecycle: { DeleteAfterDays: 35 } });
    const keeper = "arn:aws:iam::123456789012:role/backup-admin";
    await backup.send(
      new PutBackupVaultAccessPolicyCommand({
        BackupVaultName: "v",
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Deny",
              Principal: "*",
              Action: ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
              Resource: "*",
              Condition: { ArnNotEquals: { "aws:PrincipalArn": keeper } },
            },
          ],
        }),
      }),
    );
    const point = { BackupVaultName: "v", RecoveryPointArn: job.RecoveryPointArn };
    // The default identity (the account) is denied, whatever its own permissions.
    await expect(backup.send(new DeleteRecoveryPointCommand(point))).rejects.toMatchObject({
      name: "AccessDeniedException",
    });
    await expect(
      backup.send(new UpdateRecoveryPointLifecycleCommand({ ...point, Lifecycle: { DeleteAfterDays: 1 } })),
    ).rejects.toMatchObject({ name: "AccessDeniedException" });
    // The named role may: a real role with an identity policy allowing the deletion (IAM is enforced), whose
    // session the patch recognizes by its access key.
    await iamCall(process.env.AWS_ENDPOINT_URL as string, {
      Action: "CreateRole",
      RoleName: "backup-admin",
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole" },
        ],
      }),
    });
    await iamCall(process.env.AWS_ENDPOINT_URL as string, {
      Action: "PutRolePolicy",
      RoleName: "backup-admin",
      PolicyName: "delete-points",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "backup:DeleteRecoveryPoint", Resource: "*" }],
      }),
    });
    const creds = await assumeRole(process.env.AWS_ENDPOINT_URL as string, keeper, "t");
    const asKeeper = new BackupClient({
      region,
      credentials: {
        accessKeyId: creds.accessKeyId,
        secretAccessKey: creds.secretAccessKey,
        sessionToken: creds.sessionToken,
      },
    });
    await asKeeper.send(new DeleteRecoveryPointCommand(point));
    await expect(backup.send(new DescribeRecoveryPointCommand(point))).rejects.toThrow(/not found/);
    expect(
      JSON.parse((await backup.send(new GetBackupVaultAccessPolicyCommand({ BackupVaultName: "v" }))).Policy!)
        .Statement[0].Effect,
    ).toBe("Deny");
  });
});

describe("efs_replication", () => {
  const key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
  const fsOf = async (client: EFSClient, id: string) =>
    (await client.send(new DescribeFileSystemsCommand({ FileSystemId: id }))).FileSystems![0]!;

  it("a new destination gets AWS's defaults (encrypted, Bursting, no backups unless One Zone), is REPLICATING, and is ENABLING until the sync time passed", async () => {
    const seed = new Seeder();
    const fileSystemId = await seed.fileSystem();
    // The source is Elastic: a new destination does not inherit it (AWS: Bursting by default).
    await efs.send(new UpdateFileSystemCommand({ FileSystemId: fileSystemId, ThroughputMode: "elastic" }));
    const out = await efs.send(
      new CreateReplicationConfigurationCommand({
        SourceFileSystemId: fileSystemId,
        Destinations: [{ Region: region, KmsKeyId: key }],
      }),
    );
    const dst = out.Destinations![0]!.FileSystemId!;
    expect(out.Destinations![0]).toMatchObject({ Status: "ENABLING", Region: region });
    const fs = await fsOf(efs, dst);
    expect(fs).toMatchObject({
      Encrypted: true,
      KmsKeyId: key,
      ThroughputMode: "bursting",
      PerformanceMode: "generalPurpose",
      FileSystemProtection: { ReplicationOverwriteProtection: "REPLICATING" },
    });
    await expect(efs.send(new DescribeBackupPolicyCommand({ FileSystemId: dst }))).rejects.toMatchObject({
      name: "PolicyNotFound",
    });
    const first = await efs.send(new DescribeReplicationConfigurationsCommand({ FileSystemId: fileSystemId }));
    expect(first.Replications![0]!.Destinations![0]).toMatchObject({ Status: "ENABLING" });
    expect(first.Replications![0]!.Destinations![0]!.LastReplicatedTimestamp).toBeUndefined();
    // Asked from the destination's side, the same configuration.
    const fromDst = await efs.send(new DescribeReplicationConfigurationsCommand({ FileSystemId: dst }));
    expect(fromDst.Replications![0]!.SourceFileSystemId).toBe(fileSystemId);
    const enabled = await waitFor(
      "the initial sync",
      async () => {
        const d = await efs.send(new DescribeReplicationConfigurationsCommand({ FileSystemId: fileSystemId }));
        const dest = d.Replications![0]!.Destinations![0]!;
        return dest.Status === "ENABLED" ? dest : undefined;
      },
      15_000,
    );
    expect(enabled.LastReplicatedTimestamp).toBeInstanceOf(Date);
  });

  it("creates the destination in the requested Region, and One Zone destinations in the Availability Zone's Region with backups on", async () => {
    const fileSystemId = await new Seeder().fileSystem();
    const out = await efs.send(
      new CreateReplicationConfigurationCommand({
        SourceFileSystemId: fileSystemId,
        Destinations: [{ AvailabilityZoneName: "eu-west-1b" }],
      }),
    );
    const dst = out.Destinations![0]!;
    expect(dst.Region).toBe("eu-west-1");
    const eu = new EFSClient({ region: "eu-west-1" });
    const fs = await fsOf(eu, dst.FileSystemId!);
    expect(fs).toMatchObject({ Encrypted: true, AvailabilityZoneName: "eu-west-1b" });
    expect(fs.KmsKeyId).toMatch(/^arn:aws:kms:eu-west-1:/);
    expect((await eu.send(new DescribeBackupPolicyCommand({ FileSystemId: dst.FileSystemId }))).BackupPolicy).toEqual({
      Status: "ENABLED",
    });
    // Not in the source's Region.
    await expect(efs.send(new DescribeFileSystemsCommand({ FileSystemId: dst.FileSystemId }))).rejects.toMatchObject({
      name: "FileSystemNotFound",
    });
  });

  it("a file system is in one replication only; a destination is read-only: its protection cannot change, neither side can be deleted", async () => {
    const seed = new Seeder();
    const fileSystemId = await seed.fileSystem();
    const other = await seed.fileSystem();
    const out = await efs.send(
      new CreateReplicationConfigurationCommand({
        SourceFileSystemId: fileSystemId,
        Destinations: [{ Region: region }],
      }),
    );
    const dst = out.Destinations![0]!.FileSystemId!;
    await expect(
      efs.send(
        new CreateReplicationConfigurationCommand({
          SourceFileSystemId: fileSystemId,
          Destinations: [{ Region: region }],
        }),
      ),
    ).rejects.toThrow(/already part of a replication/);
    // A destination cannot be a source, nor the destination of another source.
    await expect(
      efs.send(
        new CreateReplicationConfigurationCommand({ SourceFileSystemId: dst, Destinations: [{ Region: region }] }),
      ),
    ).rejects.toThrow(/already part of a replication/);
    await expect(
      efs.send(new UpdateFileSystemProtectionCommand({ FileSystemId: dst, ReplicationOverwriteProtection: "ENABLED" })),
    ).rejects.toMatchObject({ name: "ReplicationAlreadyExists" });
    for (const id of [fileSystemId, dst]) {
      await expect(efs.send(new DeleteFileSystemCommand({ FileSystemId: id }))).rejects.toMatchObject({
        name: "FileSystemInUse",
      });
    }
    await expect(efs.send(new DescribeReplicationConfigurationsCommand({ FileSystemId: other }))).rejects.toMatchObject(
      {
        name: "ReplicationNotFound",
      },
    );
    // Ending the replication makes the destination writeable again.
    await efs.send(new DeleteReplicationConfigurationCommand({ SourceFileSystemId: fileSystemId }));
    expect((await fsOf(efs, dst)).FileSystemProtection).toEqual({ ReplicationOverwriteProtection: "ENABLED" });
    await expect(efs.send(new DescribeReplicationConfigurationsCommand({ FileSystemId: dst }))).rejects.toMatchObject({
      name: "ReplicationNotFound",
    });
  });

  it("replicates to an existing file system only when its overwrite protection is disabled, keeping its own settings", async () => {
    const seed = new Seeder();
    const fileSystemId = await seed.fileSystem();
    const created = await efs.send(
      new CreateFileSystemCommand({
        CreationToken: "existing-destination",
        Encrypted: true,
        KmsKeyId: key,
        ThroughputMode: "provisioned",
        ProvisionedThroughputInMibps: 64,
      }),
    );
    const dst = created.FileSystemId!;
    expect((await fsOf(efs, dst)).FileSystemProtection).toEqual({ ReplicationOverwriteProtection: "ENABLED" });
    await expect(
      efs.send(
        new CreateReplicationConfigurationCommand({
          SourceFileSystemId: fileSystemId,
          Destinations: [{ Region: region, FileSystemId: dst }],
        }),
      ),
    ).rejects.toThrow(/overwrite protection enabled/);
    await efs.send(
      new UpdateFileSystemProtectionCommand({ FileSystemId: dst, ReplicationOverwriteProtection: "DISABLED" }),
    );
    const out = await efs.send(
      new CreateReplicationConfigurationCommand({
        SourceFileSystemId: fileSystemId,
        Destinations: [{ Region: region, FileSystemId: dst }],
      }),
    );
    expect(out.Destinations![0]!.FileSystemId).toBe(dst);
    expect(await fsOf(efs, dst)).toMatchObject({
      KmsKeyId: key,
      ThroughputMode: "provisioned",
      ProvisionedThroughputInMibps: 64,
      FileSystemProtection: { ReplicationOverwriteProtection: "REPLICATING" },
    });
  });

  it("an encrypted source cannot replicate to an unencrypted destination", async () => {
    const source = await efs.send(
      new CreateFileSystemCommand({ CreationToken: "enc-src", Encrypted: true, KmsKeyId: key }),
    );
    const plain = await efs.send(new CreateFileSystemCommand({ CreationToken: "plain-dst" }));
    await efs.send(
      new UpdateFileSystemProtectionCommand({
        FileSystemId: plain.FileSystemId,
        ReplicationOverwriteProtection: "DISABLED",
      }),
    );
    await expect(
      efs.send(
        new CreateReplicationConfigurationCommand({
          SourceFileSystemId: source.FileSystemId,
          Destinations: [{ Region: region, FileSystemId: plain.FileSystemId }],
        }),
      ),
    ).rejects.toMatchObject({ name: "ConflictException" });
  });
});

describe("efs_file_system_settings", () => {
  it("a reused creation token answers FileSystemAlreadyExists with the existing file system's id", async () => {
    const first = await efs.send(new CreateFileSystemCommand({ CreationToken: "same-token" }));
    const again = await efs.send(new CreateFileSystemCommand({ CreationToken: "same-token" })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(again).toBeInstanceOf(FileSystemAlreadyExists);
    expect((again as FileSystemAlreadyExists).FileSystemId).toBe(first.FileSystemId);
  });

  it("UpdateFileSystem changes the throughput mode; provisioned needs its MiB/s", async () => {
    const { FileSystemId } = await efs.send(new CreateFileSystemCommand({ CreationToken: "tp" }));
    await expect(
      efs.send(new UpdateFileSystemCommand({ FileSystemId, ThroughputMode: "provisioned" })),
    ).rejects.toThrow(/ProvisionedThroughputInMibps is required/);
    const out = await efs.send(
      new UpdateFileSystemCommand({ FileSystemId, ThroughputMode: "provisioned", ProvisionedThroughputInMibps: 128 }),
    );
    expect(out).toMatchObject({ ThroughputMode: "provisioned", ProvisionedThroughputInMibps: 128 });
    await efs.send(new UpdateFileSystemCommand({ FileSystemId, ThroughputMode: "elastic" }));
    const fs = (await efs.send(new DescribeFileSystemsCommand({ FileSystemId }))).FileSystems![0]!;
    expect(fs.ThroughputMode).toBe("elastic");
    expect(fs.ProvisionedThroughputInMibps).toBeUndefined();
  });

  it("TransitionToArchive needs Elastic throughput and must come after TransitionToIA; one transition per policy", async () => {
    const { FileSystemId } = await efs.send(new CreateFileSystemCommand({ CreationToken: "lc" }));
    const archive = [{ TransitionToIA: "AFTER_30_DAYS" as const }, { TransitionToArchive: "AFTER_90_DAYS" as const }];
    await expect(
      efs.send(new PutLifecycleConfigurationCommand({ FileSystemId, LifecyclePolicies: archive })),
    ).rejects.toThrow(/Elastic throughput/);
    await efs.send(new UpdateFileSystemCommand({ FileSystemId, ThroughputMode: "elastic" }));
    await efs.send(new PutLifecycleConfigurationCommand({ FileSystemId, LifecyclePolicies: archive }));
    expect((await efs.send(new DescribeLifecycleConfigurationCommand({ FileSystemId }))).LifecyclePolicies).toEqual(
      archive,
    );
    await expect(
      efs.send(
        new PutLifecycleConfigurationCommand({
          FileSystemId,
          LifecyclePolicies: [{ TransitionToIA: "AFTER_90_DAYS" }, { TransitionToArchive: "AFTER_30_DAYS" }],
        }),
      ),
    ).rejects.toThrow(/later than TransitionToIA/);
    await expect(
      efs.send(
        new PutLifecycleConfigurationCommand({
          FileSystemId,
          LifecyclePolicies: [{ TransitionToIA: "AFTER_30_DAYS", TransitionToPrimaryStorageClass: "AFTER_1_ACCESS" }],
        }),
      ),
    ).rejects.toThrow(/exactly one transition/);
  });
});

/** A state machine whose Lambda tasks name "Echo", the fixture handler, deployed by the real Lambda host. */
async function echoMachine(name: string, definition: object, environment: Record<string, string> = {}) {
  const template = {
    Resources: {
      Role: {
        Type: "AWS::IAM::Role",
        Properties: {
          AssumeRolePolicyDocument: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
          },
        },
      },
      Echo: {
        Type: "AWS::Lambda::Function",
        Metadata: { EfsGuardEntry: "test/emulator/fixtures/echo-handler.ts" },
        Properties: { Role: { "Fn::GetAtt": ["Role", "Arn"] }, Environment: { Variables: environment } },
      },
      Machine: {
        Type: "AWS::StepFunctions::StateMachine",
        Properties: {
          StateMachineName: name,
          RoleArn: { "Fn::GetAtt": ["Role", "Arn"] },
          DefinitionString: { "Fn::Join": ["", [JSON.stringify(definition)]] },
        },
      },
    },
  };
  return LambdaHost.deploy(template as any, {
    topicArn: "arn:aws:sns:us-east-1:123456789012:t",
    region,
    stateMachines: ["Machine"],
  });
}

describe("lambda_function_host, stepfunctions_wait_cap, stepfunctions_task_failure_cause", () => {
  it("a state machine's lambda:invoke runs the hosted handler; Wait is capped; SendTaskFailure keeps its cause", async () => {
    await configureEmulator({ stepfunctions: { execute_state_machine: true } });
    const definition = {
      StartAt: "Invoke",
      States: {
        Invoke: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke",
          Parameters: { FunctionName: "Echo", "Payload.$": "$" },
          OutputPath: "$.Payload",
          Next: "Wait",
        },
        Wait: { Type: "Wait", Seconds: 600, Next: "Ask" },
        Ask: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
          Parameters: { FunctionName: "Echo", Payload: { "token.$": "$$.Task.Token" } },
          Catch: [{ ErrorEquals: ["No"], ResultPath: "$.error", Next: "Caught" }],
          End: true,
        },
        Caught: { Type: "Pass", End: true },
      },
    };
    const host = await echoMachine("echo", definition, { GREETING: "hello" });
    try {
      const started = Date.now();
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: host.stateMachineArn, input: JSON.stringify({ n: 41 }) }),
      );
      const token = await waitFor("the task token", async () => {
        const asked = host.invocations.find((i) => i.event.token);
        return asked?.event.token as string | undefined;
      });
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(host.invocations[0]!.result).toEqual({ n: 42, greeting: "hello" });
      await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: "No", cause: "because" }));
      const ended = await waitFor("the end", async () => {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return d.status === "RUNNING" ? undefined : d;
      });
      expect(ended.status).toBe("SUCCEEDED");
      expect(JSON.parse(ended.output!).error).toEqual({ Error: "No", Cause: "because" });
      const history = (await sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events!;
      expect(history.some((e) => e.type === "WaitStateExited")).toBe(true);
    } finally {
      await host.stop();
    }
  });
});

describe("stepfunctions_task_token_per_attempt", () => {
  it("a callback task retried after a Lambda service error waits on a new token; the failed attempt's token is refused", async () => {
    await configureEmulator({ stepfunctions: { execute_state_machine: true } });
    const definition = {
      StartAt: "Ask",
      States: {
        Ask: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
          Parameters: { FunctionName: "Echo", Payload: { "token.$": "$$.Task.Token" } },
          Retry: [{ ErrorEquals: ["Lambda.ServiceException"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 }],
          End: true,
        },
      },
    };
    const host = await echoMachine("ask", definition);
    host.failNext("test/emulator/fixtures/echo-handler.ts", "Lambda.ServiceException");
    try {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: host.stateMachineArn, input: "{}" }),
      );
      await waitFor("the second attempt", async () => (host.invocations.length >= 2 ? true : undefined));
      const history = await waitFor("two scheduled attempts", async () => {
        const events = (await sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events!;
        return events.filter((e) => e.type === "TaskScheduled").length === 2 ? events : undefined;
      });
      expect(history.map((e) => e.type).filter((t) => t?.startsWith("Task") && t !== "TaskStateEntered")).toEqual([
        "TaskScheduled",
        "TaskStarted",
        "TaskFailed",
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
      ]);
      const [first, second] = history
        .filter((e) => e.type === "TaskScheduled")
        .map((e) => JSON.parse(e.taskScheduledEventDetails!.parameters!).Payload.token as string);
      expect(first).not.toBe(second);
      await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: first, output: "{}" }))).rejects.toThrow();
      await sfn.send(new SendTaskSuccessCommand({ taskToken: second, output: '{"answer":42}' }));
      const ended = await waitFor("the end", async () => {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return d.status === "RUNNING" ? undefined : d;
      });
      expect(ended.status).toBe("SUCCEEDED");
      expect(JSON.parse(ended.output!)).toEqual({ answer: 42 });
    } finally {
      await host.stop();
    }
  });
});
