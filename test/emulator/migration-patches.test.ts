import {
  BackupClient,
  CreateBackupVaultCommand,
  DescribeBackupJobCommand,
  DescribeRecoveryPointCommand,
  DescribeRestoreJobCommand,
  StartBackupJobCommand,
  StartRestoreJobCommand,
} from "@aws-sdk/client-backup";
import {
  CreateReplicationConfigurationCommand,
  DescribeFileSystemsCommand,
  DescribeReplicationConfigurationsCommand,
  EFSClient,
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
import { Seeder } from "../../emulator/seed.js";
import { configureEmulator, resetEmulator } from "../support/emulator.js";
import { waitFor } from "../support/migration.js";

const region = "us-east-1";
const backup = new BackupClient({ region });
const efs = new EFSClient({ region });
const sfn = new SFNClient({ region });
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

describe("efs_replication", () => {
  it("replicates to a new encrypted, write-protected file system; ENABLING then ENABLED; one replication per source", async () => {
    const { fileSystemId } = await vaultAndFileSystem();
    const key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
    const out = await efs.send(
      new CreateReplicationConfigurationCommand({
        SourceFileSystemId: fileSystemId,
        Destinations: [{ Region: region, KmsKeyId: key }],
      }),
    );
    const dst = out.Destinations![0]!.FileSystemId!;
    const fs = (await efs.send(new DescribeFileSystemsCommand({ FileSystemId: dst }))).FileSystems![0]!;
    expect(fs).toMatchObject({
      Encrypted: true,
      KmsKeyId: key,
      FileSystemProtection: { ReplicationOverwriteProtection: "REPLICATING" },
    });
    const statuses = [];
    for (let i = 0; i < 2; i++) {
      const d = await efs.send(new DescribeReplicationConfigurationsCommand({ FileSystemId: fileSystemId }));
      statuses.push(d.Replications![0]!.Destinations![0]!.Status);
    }
    expect(statuses).toEqual(["ENABLING", "ENABLED"]);
    await expect(
      efs.send(
        new CreateReplicationConfigurationCommand({
          SourceFileSystemId: fileSystemId,
          Destinations: [{ Region: region }],
        }),
      ),
    ).rejects.toThrow(/already has a replication/);
    const other = await new Seeder().fileSystem();
    await expect(efs.send(new DescribeReplicationConfigurationsCommand({ FileSystemId: other }))).rejects.toMatchObject(
      {
        name: "ReplicationNotFound",
      },
    );
  });
});

/** A state machine whose Lambda tasks name "Echo", the fixture handler, deployed by the real Lambda host. */
async function echoMachine(name: string, definition: object, environment: Record<string, string> = {}) {
  const template = {
    Resources: {
      Role: { Type: "AWS::IAM::Role", Properties: {} },
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
  return LambdaHost.deploy(template as any, { topicArn: "arn:aws:sns:us-east-1:123456789012:t", region });
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
