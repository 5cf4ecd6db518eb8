import { BackupClient, DescribeRecoveryPointCommand } from "@aws-sdk/client-backup";
import { DescribeFileSystemsCommand, DescribeMountTargetsCommand, EFSClient } from "@aws-sdk/client-efs";
import { ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, expect, it } from "vitest";
import { approve } from "../../bin/commands/approve.js";
import { FunctionHost } from "../../emulator/host.js";
import { LambdaHost } from "../../emulator/lambda-host.js";
import { deployRegionalMigration } from "../../emulator/regional.js";
import { synthTemplates } from "../../emulator/template.js";
import { createFileSystemEvent } from "../../events/build.js";
import { parseConfig } from "../../shared/config/schema.js";
import { fileSystemGuard } from "../../shared/guards/file-system.js";
import { snsNotifier } from "../../shared/notify/sns.js";
import { processEvent } from "../../shared/pipeline/run.js";
import { systemClock } from "../../shared/runtime/clock.js";
import { configureEmulator, resetEmulator } from "../support/emulator.js";
import { AlertInbox, executionEnded, unencryptedFileSystem } from "../support/migration.js";

/**
 * A file system in a forwarded region (issue 12, defect 1): the guard in the home region hears of it, starts the
 * home region's workflow, and every step acts in the file system's region with that region's key and vault (the
 * forwarder stack's), never the home region's.
 */

const home = "us-east-1";
const other = "eu-west-1";
const config = { regions: [other] };
let host: FunctionHost;
let lambdas: LambdaHost;
let regionalKeyArn: string;

beforeAll(async () => {
  const { home: template, forwarders } = synthTemplates(config);
  await resetEmulator();
  await configureEmulator({ stepfunctions: { execute_state_machine: true } });
  host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  lambdas = await LambdaHost.deploy(template, { topicArn: host.alertsTopicArn, region: home });
  const regional = await deployRegionalMigration(forwarders[other]!, other);
  regionalKeyArn = regional.keyArn!;
}, 180_000);

afterAll(async () => {
  await lambdas?.stop();
  await configureEmulator({ stepfunctions: { execute_state_machine: false } });
});

it("migrates a file system of a forwarded region from the home workflow, with that region's key and vault", async () => {
  const src = await unencryptedFileSystem({}, { region: other });
  const efsHome = new EFSClient({ region: home });
  const efsOther = new EFSClient({ region: other });
  const homeFileSystems = (await efsHome.send(new DescribeFileSystemsCommand({}))).FileSystems!.length;
  const inbox = new AlertInbox(host);

  // The forwarded CreateFileSystem event (its region is eu-west-1), through the file-system guard's real pipeline.
  const guard = fileSystemGuard({ migrationStateMachineArn: lambdas.stateMachineArn });
  await processEvent(createFileSystemEvent({ fileSystemId: src.fileSystemId, region: other }), guard, {
    config: parseConfig(config),
    clock: systemClock,
    notifier: snsNotifier(host.alertsTopicArn),
  });
  const runs = await new SFNClient({ region: home }).send(
    new ListExecutionsCommand({ stateMachineArn: lambdas.stateMachineArn }),
  );
  const run = runs.executions!.find((e) => e.name === `efs-guard-migrate-${src.fileSystemId}`);
  expect(run?.executionArn).toMatch(/^arn:aws:states:us-east-1:/);

  const ask = await inbox.next("approval-requested", src.fileSystemId);
  expect(ask.message.content.description).toContain(`in ${other}`);
  expect(ask.message.content.description).toContain(regionalKeyArn);
  expect(ask.message.content.description).toContain(`into the vault \`efs-guard-migration\` in ${other}`);
  const log = console.log;
  console.log = () => {};
  try {
    expect(await approve.run([run!.executionArn!], { out: () => {}, err: (t) => console.error(t) })).toBe(0);
  } finally {
    console.log = log;
  }
  const ended = await executionEnded(new SFNClient({ region: home }), run!.executionArn!);
  expect(ended.status).toBe("SUCCEEDED");
  const output = JSON.parse(ended.output!);
  expect(output.target).toMatchObject({ region: other, kmsKeyArn: regionalKeyArn, vaultName: "efs-guard-migration" });

  // The replacement is in eu-west-1, encrypted with eu-west-1's migration key, mounted in the source's subnets.
  const dst = output.destination.fileSystemId as string;
  const replacement = (await efsOther.send(new DescribeFileSystemsCommand({ FileSystemId: dst }))).FileSystems![0]!;
  expect(replacement).toMatchObject({ Encrypted: true, KmsKeyId: regionalKeyArn });
  expect(replacement.FileSystemArn).toMatch(/^arn:aws:elasticfilesystem:eu-west-1:/);
  const mts = (await efsOther.send(new DescribeMountTargetsCommand({ FileSystemId: dst }))).MountTargets!;
  expect(mts.map((m) => m.SubnetId).sort()).toEqual(src.subnets.slice(0, 2).sort());
  // The safety backup is in eu-west-1's vault, with the configured lifecycle.
  const point = await new BackupClient({ region: other }).send(
    new DescribeRecoveryPointCommand({
      BackupVaultName: "efs-guard-migration",
      RecoveryPointArn: output.backup.recoveryPointArn,
    }),
  );
  expect(point).toMatchObject({ ResourceArn: src.arn, Status: "COMPLETED", Lifecycle: { DeleteAfterDays: 35 } });
  expect(output.backup.recoveryPointArn).toMatch(/^arn:aws:backup:eu-west-1:/);
  // Nothing was created in the home region.
  expect((await efsHome.send(new DescribeFileSystemsCommand({}))).FileSystems!.length).toBe(homeFileSystems);
  const done = await inbox.next("migrated", src.fileSystemId);
  expect(done.message.content.nextSteps.join("\n")).toContain(`--region ${other}`);
});
