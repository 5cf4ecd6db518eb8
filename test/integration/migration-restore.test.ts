import {
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  DescribeLifecycleConfigurationCommand,
  DescribeMountTargetsCommand,
  EFSClient,
} from "@aws-sdk/client-efs";
import { SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, expect, it } from "vitest";
import { approve } from "../../bin/commands/approve.js";
import { FunctionHost } from "../../emulator/host.js";
import { LambdaHost } from "../../emulator/lambda-host.js";
import { synthTemplate } from "../../emulator/template.js";
import { startMigration } from "../../shared/aws/migration.js";
import { policyEnforcesTls } from "../../shared/migration/tls.js";
import { configureEmulator, resetEmulator } from "../support/emulator.js";
import { AlertInbox, executionEnded, historyOf, unencryptedFileSystem } from "../support/migration.js";

/** The commands' output goes to the console, where `quietly` can silence it. */
const consoleIo = { out: (t: string) => console.log(t), err: (t: string) => console.error(t) };

/** The restore strategy: the new file system is an AWS Backup restore of the safety backup, polled until done. */

const region = "us-east-1";
const sfn = new SFNClient({ region });
const efs = new EFSClient({ region });
let host: FunctionHost;
let lambdas: LambdaHost;

beforeAll(async () => {
  const template = synthTemplate({ migrationStrategy: "restore" });
  await resetEmulator();
  await configureEmulator({ stepfunctions: { execute_state_machine: true } });
  host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  lambdas = await LambdaHost.deploy(template, { topicArn: host.alertsTopicArn, region });
}, 120_000);

afterAll(async () => {
  await lambdas?.stop();
  await configureEmulator({ stepfunctions: { execute_state_machine: false } });
});

it("restores the safety backup into a new encrypted file system, tags it as the migration's, gives it the source's throughput before its Archive lifecycle, and reports the aws-backup-restore_ directory", async () => {
  // Elastic with an Archive rule: AWS Backup restores with EFS's default throughput (Bursting), on which EFS refuses
  // TransitionToArchive; the surroundings step must switch to Elastic first.
  const src = await unencryptedFileSystem(
    {},
    {
      settings: { ThroughputMode: "elastic" },
      lifecycle: [{ TransitionToIA: "AFTER_30_DAYS" }, { TransitionToArchive: "AFTER_90_DAYS" }],
    },
  );
  const inbox = new AlertInbox(host);
  const started = await startMigration(sfn, lambdas.stateMachineArn, {
    fileSystemId: src.fileSystemId,
    region,
    reason: "efs-encrypted-at-rest",
    requestedBy: "test",
  });
  const ask = await inbox.next("approval-requested", src.fileSystemId);
  expect(ask.message.content.description).toContain("AWS Backup restore of the safety backup");
  const log = console.log;
  console.log = () => {};
  try {
    expect(await approve.run([started.executionArn], consoleIo)).toBe(0);
  } finally {
    console.log = log;
  }
  const ended = await executionEnded(sfn, started.executionArn);
  expect(ended.status).toBe("SUCCEEDED");
  const output = JSON.parse(ended.output!);
  expect(output.destination.strategy).toBe("restore");
  expect(output.destination.restoreDirectory).toMatch(/^aws-backup-restore_\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}/);
  const dst = output.destination.fileSystemId as string;
  const fs = (await efs.send(new DescribeFileSystemsCommand({ FileSystemId: dst }))).FileSystems![0]!;
  const name = started.executionArn.split(":").at(-1)!;
  expect(fs).toMatchObject({ Encrypted: true, KmsKeyId: lambdas.ref("MigrationKey", "Arn"), CreationToken: name });
  expect(fs.ThroughputMode).toBe("elastic");
  expect(Object.fromEntries(fs.Tags!.map((t) => [t.Key, t.Value]))).toMatchObject({
    "efs-guard:migration": name,
    "efs-guard:migrated-from": src.fileSystemId,
    team: "data",
  });
  expect(output.surroundings.throughputUpdated).toEqual({ throughputMode: "elastic" });
  expect((await efs.send(new DescribeLifecycleConfigurationCommand({ FileSystemId: dst }))).LifecyclePolicies).toEqual([
    { TransitionToIA: "AFTER_30_DAYS" },
    { TransitionToArchive: "AFTER_90_DAYS" },
  ]);
  expect((await efs.send(new DescribeMountTargetsCommand({ FileSystemId: dst }))).MountTargets).toHaveLength(2);
  expect(
    policyEnforcesTls(
      (await efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: dst }))).Policy,
      fs.FileSystemArn!,
    ),
  ).toBe(true);
  const states = (await historyOf(sfn, started.executionArn)).map((e) => e.stateEnteredEventDetails?.name);
  expect(states.filter((s) => s === "Describe restore").length).toBeGreaterThanOrEqual(2);
  expect(states).toContain("Wait for the restore");
  const done = await inbox.next("migrated", src.fileSystemId);
  const text = done.message.content.nextSteps.join("\n");
  expect(text).toContain(`/${output.destination.restoreDirectory}`);
  expect(text).not.toContain("delete-replication-configuration");
  expect(
    (await efs.send(new DescribeFileSystemsCommand({ FileSystemId: src.fileSystemId }))).FileSystems![0]!.Encrypted,
  ).toBe(false);
});
