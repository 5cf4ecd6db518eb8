import {
  BackupClient,
  DeleteRecoveryPointCommand,
  DescribeRecoveryPointCommand,
  ListTagsCommand,
} from "@aws-sdk/client-backup";
import {
  CreateFileSystemCommand,
  CreateReplicationConfigurationCommand,
  DescribeAccessPointsCommand,
  DescribeBackupPolicyCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  DescribeLifecycleConfigurationCommand,
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  DescribeReplicationConfigurationsCommand,
  EFSClient,
  PutFileSystemPolicyCommand,
  TagResourceCommand,
  UpdateFileSystemProtectionCommand,
} from "@aws-sdk/client-efs";
import {
  CreateStateMachineCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approve } from "../../bin/commands/approve.js";
import { reject } from "../../bin/commands/reject.js";
import { FunctionHost } from "../../emulator/host.js";
import { LambdaHost } from "../../emulator/lambda-host.js";
import { Seeder } from "../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { pendingApproval } from "../../shared/aws/approvals.js";
import { migrationSubject, type StartOptions, startMigration } from "../../shared/aws/migration.js";
import { fileSystemGuard } from "../../shared/guards/file-system.js";
import { policyEnforcesTls } from "../../shared/migration/tls.js";
import { buildSummaryMessage } from "../../shared/notify/summary.js";
import { type SweepReport, summarizeSweep, sweepRegion } from "../../shared/pipeline/sweep.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { testDeps } from "../support/deps.js";
import { configureEmulator, resetEmulator } from "../support/emulator.js";
import { AlertInbox, executionEnded, historyOf, unencryptedFileSystem, waitFor } from "../support/migration.js";

/** The commands' output goes to the console, where `quietly` can silence it. */
const consoleIo = { out: (t: string) => console.log(t), err: (t: string) => console.error(t) };

/**
 * The synthesized migration state machine, executed by the emulator's Step Functions: aws-sdk tasks against the
 * emulator's Backup (patched), lambda:invoke tasks running the real step handlers in the local Lambda host, the
 * approval answered by the real `efs-guard approve` / `reject` command code.
 */

const region = "us-east-1";
const sfn = new SFNClient({ region });
const efs = new EFSClient({ region });
let template: CfnTemplate;
let host: FunctionHost;
let lambdas: LambdaHost;
let inbox: AlertInbox;
let keyArn: string;

beforeAll(async () => {
  template = synthTemplate();
  await resetEmulator();
  await configureEmulator({ stepfunctions: { execute_state_machine: true } });
  host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  lambdas = await LambdaHost.deploy(template, { topicArn: host.alertsTopicArn, region });
  inbox = new AlertInbox(host);
  keyArn = lambdas.ref("MigrationKey", "Arn");
}, 120_000);

afterAll(async () => {
  await lambdas?.stop();
  await configureEmulator({ stepfunctions: { execute_state_machine: false } });
});

const fsOf = async (id: string) =>
  (await efs.send(new DescribeFileSystemsCommand({ FileSystemId: id }))).FileSystems![0]!;
const tagsOf = async (id: string) => Object.fromEntries((await fsOf(id)).Tags!.map((t) => [t.Key, t.Value]));
const allFileSystems = async () => (await efs.send(new DescribeFileSystemsCommand({}))).FileSystems ?? [];

async function start(fileSystemId: string, options: StartOptions = {}) {
  const reason = "efs-encrypted-at-rest: the file system is not encrypted at rest";
  return startMigration(
    sfn,
    lambdas.stateMachineArn,
    {
      fileSystemId,
      region,
      reason,
      requestedBy: "arn:aws:iam::123456789012:role/Admin (CreateFileSystem)",
      subject: migrationSubject({ fileSystemId, reason, strategy: "replication" }),
    },
    options,
  );
}

async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await work();
  } finally {
    console.log = log;
  }
}

const invokedFor = (fileSystemId: string, step: string) =>
  lambdas.invocations.filter(
    (i) => i.entry === `functions/migration/${step}/handler.ts` && JSON.stringify(i.event).includes(fileSystemId),
  );

async function approveAndEnd(executionArn: string) {
  expect(await quietly(() => approve.run([executionArn], consoleIo))).toBe(0);
  return executionEnded(sfn, executionArn);
}

describe("migration, replication strategy, executed end to end", () => {
  it("asks first (nothing billable before), then backs up, recreates encrypted with the surroundings, verifies, leaves the source untouched", async () => {
    const src = await unencryptedFileSystem();
    const before = await allFileSystems();
    const started = await start(src.fileSystemId);
    expect(started.status).toBe("done");
    const executionArn = started.executionArn;
    const name = executionArn.split(":").at(-1)!;

    const ask = await inbox.next("approval-requested", src.fileSystemId);
    expect(ask.message.version).toBe("1.0");
    expect(ask.message.source).toBe("custom");
    expect(ask.attributes).toEqual({
      control: "efs-encrypted-at-rest",
      severity: "high",
      outcome: "approval-requested",
    });
    const text = `${ask.message.content.description}\n${ask.message.content.nextSteps.join("\n")}`;
    expect(text).toContain(`efs-guard approve ${executionArn}`);
    expect(text).toContain(`efs-guard reject ${executionArn} --reason`);
    expect(text).toContain("Mount targets (2)");
    expect(text).toContain("0 B");
    expect(text).toContain(keyArn);
    expect(text).toContain("*Nothing has been done yet:* no backup, no new file system");
    expect(text).toContain(
      "first a safety backup of the source (AWS Backup, into the vault `efs-guard-migration` in us-east-1, kept 35 days",
    );
    // Nothing billable before the approval: no backup started, no file system created; and a second trigger does
    // not start a second run.
    expect(invokedFor(src.fileSystemId, "safety-backup")).toEqual([]);
    expect((await allFileSystems()).length).toBe(before.length);
    const again = await start(src.fileSystemId);
    expect(again).toMatchObject({ status: "already-done", executionArn });
    expect(again.detail).toContain("already in progress");
    const runs = await sfn.send(new ListExecutionsCommand({ stateMachineArn: lambdas.stateMachineArn }));
    expect(runs.executions!.filter((e) => e.name!.includes(src.fileSystemId))).toHaveLength(1);

    // The approval, through the real command code, by file system id.
    expect(await quietly(() => approve.run([src.fileSystemId], consoleIo))).toBe(0);
    const ended = await executionEnded(sfn, executionArn);
    expect(ended.status, `${ended.error}: ${ended.cause}`).toBe("SUCCEEDED");
    const output = JSON.parse(ended.output!);

    // The replacement: created by this run (tags and creation token in the creating request), encrypted with the
    // stack's key, with the source's settings, mount targets, TLS policy, access point, lifecycle, tags.
    const dst = output.destination.fileSystemId as string;
    expect(dst).toMatch(/^fs-/);
    expect(dst).not.toBe(src.fileSystemId);
    expect(output.destination).toMatchObject({ createdBy: name, replicationCreated: true });
    const replacement = await fsOf(dst);
    expect(replacement).toMatchObject({
      Encrypted: true,
      KmsKeyId: keyArn,
      CreationToken: name,
      ThroughputMode: "bursting",
      PerformanceMode: "generalPurpose",
      FileSystemProtection: { ReplicationOverwriteProtection: "REPLICATING" },
    });
    const replication = await efs.send(
      new DescribeReplicationConfigurationsCommand({ FileSystemId: src.fileSystemId }),
    );
    expect(replication.Replications![0]!.Destinations![0]!.FileSystemId).toBe(dst);
    const mts = (await efs.send(new DescribeMountTargetsCommand({ FileSystemId: dst }))).MountTargets!;
    expect(mts.map((m) => m.SubnetId).sort()).toEqual(src.subnets.slice(0, 2).sort());
    for (const mt of mts) {
      const groups = (await efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: mt.MountTargetId })))
        .SecurityGroups;
      expect(groups).toEqual(mt.SubnetId === src.subnets[0] ? [src.groupId] : [src.groupId, src.otherGroup]);
    }
    const policy = (await efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: dst }))).Policy!;
    expect(policyEnforcesTls(policy, replacement.FileSystemArn!)).toBe(true);
    const statements = JSON.parse(policy).Statement;
    expect(statements[0]).toMatchObject({ Sid: "AppMount", Resource: replacement.FileSystemArn });
    expect(statements).toHaveLength(2);
    const aps = (await efs.send(new DescribeAccessPointsCommand({ FileSystemId: dst }))).AccessPoints!;
    expect(aps).toHaveLength(1);
    expect(aps[0]).toMatchObject({
      PosixUser: { Uid: 1000, Gid: 1000 },
      RootDirectory: { Path: "/app" },
    });
    expect(Object.fromEntries(aps[0]!.Tags!.map((t) => [t.Key, t.Value]))).toEqual({
      Name: "app",
      "efs-guard:source-access-point": src.accessPointId,
      "efs-guard:migration": name,
    });
    const lifecycle = await efs.send(new DescribeLifecycleConfigurationCommand({ FileSystemId: dst }));
    expect(lifecycle.LifecyclePolicies).toEqual([{ TransitionToIA: "AFTER_30_DAYS" }]);
    expect(await tagsOf(dst)).toEqual({
      Name: "winterday-shared",
      team: "data",
      "efs-guard:migrated-from": src.fileSystemId,
      "efs-guard:migration": name,
    });

    // The source: same id, still unencrypted, still mounted, same policy, tagged with its replacement.
    const source = await fsOf(src.fileSystemId);
    expect(source.Encrypted).toBe(false);
    expect(source.LifeCycleState).toBe("available");
    expect(
      (await efs.send(new DescribeMountTargetsCommand({ FileSystemId: src.fileSystemId }))).MountTargets,
    ).toHaveLength(2);
    expect((await efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: src.fileSystemId }))).Policy).toBe(
      src.policy,
    );
    expect(await tagsOf(src.fileSystemId)).toEqual({
      Name: "winterday-shared",
      team: "data",
      "efs-guard:replacement": dst,
      // The migration's signed record of the pair (shared/migration/record.ts).
      "efs-guard:replacement-record": expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
    });

    // The safety backup, taken after the approval, is in the guard's vault with its lifecycle and tags, and the
    // vault's access policy denies deleting or shortening it to everyone (no admin role configured).
    const backup = new BackupClient({ region });
    const point = await backup.send(
      new DescribeRecoveryPointCommand({
        BackupVaultName: "efs-guard-migration",
        RecoveryPointArn: output.backup.recoveryPointArn,
      }),
    );
    expect(point.Status).toBe("COMPLETED");
    expect(point.ResourceArn).toBe(src.arn);
    expect(point.Lifecycle).toEqual({ DeleteAfterDays: 35 });
    expect((await backup.send(new ListTagsCommand({ ResourceArn: output.backup.recoveryPointArn }))).Tags).toEqual({
      "efs-guard:migration": name,
      "efs-guard:source": src.fileSystemId,
    });
    await expect(
      backup.send(
        new DeleteRecoveryPointCommand({
          BackupVaultName: "efs-guard-migration",
          RecoveryPointArn: output.backup.recoveryPointArn,
        }),
      ),
    ).rejects.toMatchObject({ name: "AccessDeniedException" });

    // Every step ran in the real handlers, in this order; the backup was polled through the Wait loop.
    const entries = lambdas.invocations
      .filter((i) => JSON.stringify(i.event).includes(src.fileSystemId))
      .map((i) => i.entry);
    for (const step of [
      "capture",
      "request-approval",
      "safety-backup",
      "recreate",
      "surroundings",
      "verify",
      "notify",
    ]) {
      expect(entries).toContain(`functions/migration/${step}/handler.ts`);
    }
    const states = (await historyOf(sfn, executionArn))
      .filter((e) => e.type?.endsWith("StateEntered"))
      .map((e) => e.stateEnteredEventDetails?.name);
    expect(states.indexOf("Await approval")).toBeLessThan(states.indexOf("Start safety backup"));
    expect(states.indexOf("Start safety backup")).toBeLessThan(states.indexOf("Recreate encrypted"));
    expect(states.filter((s) => s === "Describe safety backup").length).toBeGreaterThanOrEqual(2);
    expect(states).toContain("Wait for the backup");

    const done = await inbox.next("migrated", src.fileSystemId);
    const doneText = `${done.message.content.description}\n${done.message.content.nextSteps.join("\n")}`;
    expect(done.message.content.title).toContain(dst);
    expect(doneText).toContain(`aws efs delete-replication-configuration --source-file-system-id ${src.fileSystemId}`);
    expect(doneText).toContain(`mount -t efs -o tls ${dst}`);
    expect(doneText).toContain("EFS Guard never deletes it");
    expect(doneText).toContain("✓ policy enforces TLS");
    expect(doneText).toContain("✓ mount targets have the source's security groups");
    expect(doneText).toContain("✓ created by this migration");
    expect(doneText).toContain("✓ throughput as the source's");
    expect(doneText).toContain("✓ the source replicates to the replacement");

    // A later trigger reports the finished migration instead of starting another.
    const later = await start(src.fileSystemId);
    expect(later.status).toBe("already-done");
    expect(later.detail).toContain("already migrated");
  });

  it("keeps Elastic throughput with an Archive lifecycle, and One Zone with provisioned throughput and backups, and verifies them", async () => {
    const elastic = await unencryptedFileSystem(
      {},
      {
        settings: { ThroughputMode: "elastic" },
        lifecycle: [{ TransitionToIA: "AFTER_30_DAYS" }, { TransitionToArchive: "AFTER_90_DAYS" }],
      },
    );
    const oneZone = await unencryptedFileSystem(
      {},
      {
        settings: {
          AvailabilityZoneName: "us-east-1a",
          ThroughputMode: "provisioned",
          ProvisionedThroughputInMibps: 64,
          Backup: true,
        },
      },
    );
    for (const src of [elastic, oneZone]) {
      const started = await start(src.fileSystemId);
      await inbox.next("approval-requested", src.fileSystemId);
      expect((await approveAndEnd(started.executionArn)).status).toBe("SUCCEEDED");
    }
    const dstOf = async (fileSystemId: string) => (await tagsOf(fileSystemId))["efs-guard:replacement"]!;
    const e = await fsOf(await dstOf(elastic.fileSystemId));
    expect(e.ThroughputMode).toBe("elastic");
    expect(
      (await efs.send(new DescribeLifecycleConfigurationCommand({ FileSystemId: e.FileSystemId }))).LifecyclePolicies,
    ).toEqual([{ TransitionToIA: "AFTER_30_DAYS" }, { TransitionToArchive: "AFTER_90_DAYS" }]);
    const z = await fsOf(await dstOf(oneZone.fileSystemId));
    expect(z).toMatchObject({
      AvailabilityZoneName: "us-east-1a",
      ThroughputMode: "provisioned",
      ProvisionedThroughputInMibps: 64,
    });
    expect((await efs.send(new DescribeBackupPolicyCommand({ FileSystemId: z.FileSystemId }))).BackupPolicy).toEqual({
      Status: "ENABLED",
    });
    const done = await inbox.next("migrated", oneZone.fileSystemId);
    const checks = done.message.content.description;
    expect(checks).toContain(
      "✓ storage as the source's (Regional or One Zone): source One Zone in us-east-1a, replacement One Zone in us-east-1a",
    );
    expect(checks).toContain(
      "✓ throughput as the source's: source provisioned 64 MiB/s, replacement provisioned 64 MiB/s",
    );
    expect(checks).toContain("✓ automatic backups as the source's");
    const elasticDone = await inbox.next("migrated", elastic.fileSystemId);
    expect(elasticDone.message.content.description).toContain(
      "✓ lifecycle as the source's: source TransitionToArchive=AFTER_90_DAYS;TransitionToIA=AFTER_30_DAYS, replacement TransitionToArchive=AFTER_90_DAYS;TransitionToIA=AFTER_30_DAYS",
    );
  });

  it("reject ends the run, reported with the reason; nothing is created; a later trigger is declined, an operator's starts attempt 2", async () => {
    const src = await unencryptedFileSystem();
    const before = (await allFileSystems()).length;
    const started = await start(src.fileSystemId);
    await inbox.next("approval-requested", src.fileSystemId);
    const name = started.executionArn.split(":").at(-1)!;
    // --reason is required.
    const errors: string[] = [];
    const error = console.error;
    console.error = (line: string) => errors.push(line);
    try {
      expect(await reject.run([name], consoleIo)).toBe(2);
    } finally {
      console.error = error;
    }
    expect(errors.join("\n")).toContain("--reason");
    expect(await quietly(() => reject.run([name, "--reason", "not during quarter close"], consoleIo))).toBe(0);
    const ended = await executionEnded(sfn, started.executionArn);
    expect(ended.status).toBe("FAILED");
    expect(ended.error).toBe("EfsGuard.Rejected");
    const alert = await inbox.next("migration-rejected", src.fileSystemId);
    expect(alert.message.content.description).toContain("not during quarter close");
    expect(alert.message.content.nextSteps.join(" ")).toContain("efs-guard:exempt=efs-encrypted-at-rest");
    expect(alert.message.content.description).toContain("no backup was taken and nothing was created");
    expect(invokedFor(src.fileSystemId, "safety-backup")).toEqual([]);
    expect((await allFileSystems()).length).toBe(before);
    expect(await tagsOf(src.fileSystemId)).not.toHaveProperty("efs-guard:replacement");
    // Answering again is an error that says why.
    await expect(pendingApproval(sfn, started.executionArn)).rejects.toThrow(/is FAILED: there is nothing to approve/);

    const later = await start(src.fileSystemId);
    expect(later.status).toBe("declined");
    expect(later.detail).toContain(`efs-guard migrate ${src.fileSystemId}`);
    const retry = await start(src.fileSystemId, { askAgain: true });
    expect(retry.status).toBe("done");
    expect(retry.executionArn).toMatch(new RegExp(`efs-guard-migrate-${src.fileSystemId}-2$`));
    await inbox.next("approval-requested", src.fileSystemId);
    expect(await quietly(() => reject.run([retry.executionArn, "--reason", "still no"], consoleIo))).toBe(0);
    expect((await executionEnded(sfn, retry.executionArn)).status).toBe("FAILED");
  });

  it("a failed safety backup (after the approval) ends the run loudly, before anything is created", async () => {
    const src = await unencryptedFileSystem({ "emulator:backup": "fail" });
    const before = (await allFileSystems()).length;
    const started = await start(src.fileSystemId);
    await inbox.next("approval-requested", src.fileSystemId);
    const ended = await approveAndEnd(started.executionArn);
    expect(ended.status).toBe("FAILED");
    expect(ended.error).toBe("EfsGuard.MigrationFailed");
    const alert = await inbox.next("migration-failed", src.fileSystemId);
    expect(alert.attributes.severity).toBe("critical");
    expect(alert.message.content.title).toContain("FAILED at Describe safety backup");
    expect(alert.message.content.description).toContain("EfsGuard.BackupFailed");
    expect(alert.message.content.description).toContain("*Safety backup job:* FAILED — Backup job failed");
    expect(alert.message.content.description).toContain("no new file system was created");
    expect(alert.message.content.nextSteps.join("\n")).not.toContain("delete-file-system");
    expect((await allFileSystems()).length).toBe(before);
  });

  it("a failing step after approval is caught and notified with cleanup for what it created; the next attempt resumes that replacement", async () => {
    const src = await unencryptedFileSystem();
    const before = (await allFileSystems()).length;
    lambdas.override("functions/migration/surroundings/handler.ts", async () => {
      const e = new Error("elasticfilesystem:CreateMountTarget failed: AccessDeniedException: not authorized");
      e.name = "AwsCallError";
      throw e;
    });
    let dst: string;
    try {
      const started = await start(src.fileSystemId);
      await inbox.next("approval-requested", src.fileSystemId);
      expect(await quietly(() => approve.run([started.executionArn, "--comment", "go"], consoleIo))).toBe(0);
      const ended = await executionEnded(sfn, started.executionArn);
      expect(ended.status).toBe("FAILED");
      const alert = await inbox.next("migration-failed", src.fileSystemId);
      const text = `${alert.message.content.description}\n${alert.message.content.nextSteps.join("\n")}`;
      expect(alert.message.content.title).toContain("FAILED at Recreate surroundings");
      expect(text).toContain("AccessDeniedException");
      dst = alert.message.metadata.additionalContext.replacement;
      expect(dst).toMatch(/^fs-/);
      expect(text).toContain(`the new file system \`${dst}\` exists without its mount targets`);
      expect(text).toContain(
        `aws efs delete-replication-configuration --source-file-system-id ${src.fileSystemId} --region us-east-1`,
      );
      expect(text).toContain(`aws efs delete-file-system --file-system-id ${dst} --region us-east-1`);
      expect(text).toContain("starts a new attempt");
      // The source is untouched: no tag, still unencrypted, still mounted.
      expect(await tagsOf(src.fileSystemId)).not.toHaveProperty("efs-guard:replacement");
      expect((await fsOf(src.fileSystemId)).Encrypted).toBe(false);
    } finally {
      lambdas.clearOverrides();
    }
    // Attempt 2 finds the source replicating to the replacement attempt 1 created (proven: tags, creation token,
    // created after attempt 1 started) and continues with it: no second file system, no second replication.
    const retry = await start(src.fileSystemId);
    expect(retry.executionArn).toMatch(new RegExp(`efs-guard-migrate-${src.fileSystemId}-2$`));
    const ask = await inbox.next("approval-requested", src.fileSystemId);
    expect(ask.message.content.description).toContain(
      `*Resumes:* the replacement \`${dst}\` that the earlier attempt \`efs-guard-migrate-${src.fileSystemId}\` created`,
    );
    const ended = await approveAndEnd(retry.executionArn);
    expect(ended.status, `${ended.error}: ${ended.cause}`).toBe("SUCCEEDED");
    expect(JSON.parse(ended.output!).destination).toMatchObject({
      fileSystemId: dst,
      createdBy: `efs-guard-migrate-${src.fileSystemId}`,
      replicationCreated: false,
    });
    expect((await allFileSystems()).length).toBe(before + 1);
    expect((await efs.send(new DescribeMountTargetsCommand({ FileSystemId: dst }))).MountTargets).toHaveLength(2);
  });

  it("approve names what was wrong: unknown file system, no running migration", async () => {
    const errors: string[] = [];
    const error = console.error;
    console.error = (line: string) => errors.push(line);
    try {
      expect(await approve.run(["fs-0123456789abcdef0"], consoleIo)).toBe(2);
      expect(await approve.run([], consoleIo)).toBe(2);
    } finally {
      console.error = error;
    }
    expect(errors[0]).toContain("no migration of fs-0123456789abcdef0 is running");
    expect(errors[1]).toContain("give exactly one execution");
  });
});

describe("a replication the migration did not create is never taken over", () => {
  /** The owner's same-region disaster-recovery replica of the source, with a policy that allows only role/dr. */
  async function ownersReplica(sourceId: string, options: { tags?: Record<string, string>; token?: string } = {}) {
    const created = await efs.send(
      new CreateFileSystemCommand({
        CreationToken: options.token ?? `dr-${sourceId}`,
        Encrypted: true,
        ...(options.token ? { KmsKeyId: keyArn } : {}),
        Tags: Object.entries(options.tags ?? { Name: "dr-replica", purpose: "dr" }).map(([Key, Value]) => ({
          Key,
          Value,
        })),
      }),
    );
    const id = created.FileSystemId!;
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DrOnly",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::123456789012:role/dr" },
          Action: ["elasticfilesystem:ClientMount"],
          Resource: `arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/${id}`,
        },
      ],
    });
    await efs.send(new PutFileSystemPolicyCommand({ FileSystemId: id, Policy: policy }));
    await efs.send(
      new UpdateFileSystemProtectionCommand({ FileSystemId: id, ReplicationOverwriteProtection: "DISABLED" }),
    );
    await efs.send(
      new CreateReplicationConfigurationCommand({
        SourceFileSystemId: sourceId,
        Destinations: [{ Region: region, FileSystemId: id }],
      }),
    );
    return { id, policy, tags: await tagsOf(id) };
  }

  async function expectUntouched(
    replica: { id: string; policy: string; tags: Record<string, string> },
    sourceId: string,
  ) {
    expect((await efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: replica.id }))).Policy).toBe(
      replica.policy,
    );
    expect(await tagsOf(replica.id)).toEqual(replica.tags);
    expect((await efs.send(new DescribeMountTargetsCommand({ FileSystemId: replica.id }))).MountTargets).toEqual([]);
    expect((await efs.send(new DescribeAccessPointsCommand({ FileSystemId: replica.id }))).AccessPoints).toEqual([]);
    const replication = await efs.send(new DescribeReplicationConfigurationsCommand({ FileSystemId: sourceId }));
    expect(replication.Replications![0]!.Destinations![0]!.FileSystemId).toBe(replica.id);
    expect(await tagsOf(sourceId)).not.toHaveProperty("efs-guard:replacement");
  }

  it("the owner's DR replica: refused at capture, before any backup or approval; replica, its policy and tags untouched; no notice says to delete it", async () => {
    const src = await unencryptedFileSystem();
    const replica = await ownersReplica(src.fileSystemId);
    const before = (await allFileSystems()).length;
    const started = await start(src.fileSystemId);
    const ended = await executionEnded(sfn, started.executionArn);
    expect(ended.status).toBe("FAILED");
    const alert = await inbox.next("migration-failed", src.fileSystemId);
    const text = `${alert.message.content.title}\n${alert.message.content.description}\n${alert.message.content.nextSteps.join("\n")}`;
    expect(alert.message.content.title).toContain(`migration of ${src.fileSystemId} REFUSED at Capture source`);
    expect(text).toContain("EfsGuard.MigrationRefused");
    expect(text).toContain(
      `${src.fileSystemId} already replicates to ${replica.id} in us-east-1, which this migration did not create`,
    );
    expect(text).toContain("no safety backup was taken");
    expect(text).toContain("no new file system was created");
    // No command in any notice touches the replica, and none deletes anything.
    for (const a of inbox.of(src.fileSystemId)) {
      const all = JSON.stringify(a.message);
      expect(all).not.toMatch(/delete-file-system|delete-replication-configuration|delete-mount-target/);
      expect(a.message.metadata.additionalContext.replacement).toBeUndefined();
    }
    expect(inbox.of(src.fileSystemId).map((a) => a.attributes.outcome)).toEqual(["migration-failed"]);
    expect(invokedFor(src.fileSystemId, "safety-backup")).toEqual([]);
    expect(invokedFor(src.fileSystemId, "request-approval")).toEqual([]);
    expect((await allFileSystems()).length).toBe(before);
    await expectUntouched(replica, src.fileSystemId);
  });

  it("a decoy tagged as the migration's, with the run's creation token, made before the run: refused as not created by it", async () => {
    const src = await unencryptedFileSystem();
    const name = `efs-guard-migrate-${src.fileSystemId}`;
    const decoy = await ownersReplica(src.fileSystemId, {
      token: name,
      tags: { "efs-guard:migration": name, "efs-guard:migrated-from": src.fileSystemId },
    });
    const started = await start(src.fileSystemId);
    expect((await executionEnded(sfn, started.executionArn)).status).toBe("FAILED");
    const alert = await inbox.next("migration-failed", src.fileSystemId);
    expect(alert.message.content.description).toMatch(
      new RegExp(`${decoy.id} was created \\(.+\\) before ${name} started`),
    );
    expect(JSON.stringify(alert.message)).not.toMatch(/delete-file-system/);
    expect(invokedFor(src.fileSystemId, "safety-backup")).toEqual([]);
    await expectUntouched(decoy, src.fileSystemId);
  });

  it("a file system that is itself a replica is refused: migrate the source of that replication", async () => {
    const other = await new Seeder().fileSystem();
    const replica = (
      await efs.send(
        new CreateReplicationConfigurationCommand({ SourceFileSystemId: other, Destinations: [{ Region: region }] }),
      )
    ).Destinations![0]!.FileSystemId!;
    const started = await startMigration(sfn, lambdas.stateMachineArn, {
      fileSystemId: replica,
      region,
      reason: "test",
      requestedBy: "test",
    });
    expect((await executionEnded(sfn, started.executionArn)).status).toBe("FAILED");
    const alert = await inbox.next("migration-failed", replica);
    expect(alert.message.content.description).toContain(`${replica} is the destination of a replication from ${other}`);
  });
});

describe("approval timeout", () => {
  it("is in the definition that runs: TimeoutSeconds from approvalTimeout and a Catch on States.Timeout", async () => {
    // moto does not let a test wait out the minimum approvalTimeout (5m); the route is asserted on the definition
    // the emulator runs, and the notification it leads to is the same notify step the other paths exercise.
    const sm = Object.values(template.Resources).find((r) => r.Type === "AWS::StepFunctions::StateMachine")!;
    const json = JSON.parse(
      (sm.Properties.DefinitionString["Fn::Join"][1] as unknown[])
        .map((p) => (typeof p === "string" ? p : "X"))
        .join(""),
    );
    const approval = json.States["Await approval"];
    expect(approval.TimeoutSeconds).toBe(7 * 86400);
    expect(approval.Resource).toMatch(/lambda:invoke\.waitForTaskToken$/);
    const timeoutCatch = approval.Catch.find((c: any) => c.ErrorEquals.includes("States.Timeout"));
    expect(timeoutCatch.Next).toBe("Notify approval timeout");
    expect(json.States["Notify approval timeout"].Parameters.Payload.kind).toBe("timed-out");
    expect(json.States["Notify approval timeout"].Next).toBe("Approval timed out");
    expect(json.States["Approval timed out"].Type).toBe("Fail");
  });
});

it("the pending approval is read from the execution history while the run waits", async () => {
  const src = await unencryptedFileSystem();
  const started = await start(src.fileSystemId);
  await inbox.next("approval-requested", src.fileSystemId);
  const pending = await waitFor("pending approval", async () =>
    pendingApproval(sfn, started.executionArn).catch(() => undefined),
  );
  expect(pending.fileSystemId).toBe(src.fileSystemId);
  expect(pending.taskToken.length).toBeGreaterThan(10);
  expect(await quietly(() => reject.run([src.fileSystemId, "--reason", "cleanup"], consoleIo))).toBe(0);
  await executionEnded(sfn, started.executionArn);
});

it("a retried approval step (Lambda service error, then success) is answered with the token of the attempt that waits", async () => {
  // Issue 12 defect 8: a Lambda service error on the approval task adds TaskFailed, then Retry schedules a new
  // attempt with a new token. The answer must go to that attempt, not stop at the first TaskFailed.
  const src = await unencryptedFileSystem();
  lambdas.failNext("functions/migration/request-approval/handler.ts", "Lambda.ServiceException");
  try {
    const started = await start(src.fileSystemId);
    await inbox.next("approval-requested", src.fileSystemId);
    const events = await historyOf(sfn, started.executionArn);
    const types = events.map((e) => e.type);
    const entered = types.lastIndexOf("TaskStateEntered");
    const tail = types.slice(entered);
    // The real history shape: one attempt scheduled and failed, a second one scheduled and waiting.
    expect(tail.filter((t) => t === "TaskScheduled")).toHaveLength(2);
    expect(tail.filter((t) => t === "TaskFailed")).toHaveLength(1);
    const tokens = events
      .filter((e) => e.type === "TaskScheduled" && e.taskScheduledEventDetails?.resource === "invoke.waitForTaskToken")
      .map((e) => JSON.parse(e.taskScheduledEventDetails!.parameters!).Payload.taskToken as string);
    expect(new Set(tokens).size).toBe(2);
    const pending = await pendingApproval(sfn, started.executionArn);
    expect(pending.taskToken).toBe(tokens.at(-1));
    expect(await quietly(() => approve.run([src.fileSystemId], consoleIo))).toBe(0);
    const ended = await executionEnded(sfn, started.executionArn);
    expect(ended.status).toBe("SUCCEEDED");
  } finally {
    lambdas.clearOverrides();
  }
});

describe("the source's tags are the record of a migration (issue 12 defect 9, issue 11 item 4)", () => {
  it("90 days later: a migrated source is cut-over pending, listed once in the summary, never migrated again; forged tags are alerted", async () => {
    // A real migration: the source ends tagged with its replacement and the migration's record.
    const migrated = await unencryptedFileSystem();
    const started = await start(migrated.fileSystemId);
    await inbox.next("approval-requested", migrated.fileSystemId);
    expect(await quietly(() => approve.run([migrated.fileSystemId], consoleIo))).toBe(0);
    const replacement = JSON.parse((await executionEnded(sfn, started.executionArn)).output!).destination
      .fileSystemId as string;
    const tags = await tagsOf(migrated.fileSystemId);
    expect(tags["efs-guard:replacement"]).toBe(replacement);
    expect(tags["efs-guard:replacement-record"]).toMatch(/^[A-Za-z0-9+/]{43}=$/);

    // An attacker's off-switches: the tag set by hand (with a decoy "replacement" made to look the part), and a
    // valid record copied from the migrated source onto another one.
    const seed = new Seeder();
    const byHand = await unencryptedFileSystem();
    const decoy = await seed.fileSystem({ encrypted: true, tags: { "efs-guard:migrated-from": byHand.fileSystemId } });
    await efs.send(
      new TagResourceCommand({
        ResourceId: byHand.fileSystemId,
        Tags: [{ Key: "efs-guard:replacement", Value: decoy }],
      }),
    );
    const copied = await unencryptedFileSystem();
    await efs.send(
      new TagResourceCommand({
        ResourceId: copied.fileSystemId,
        Tags: [
          { Key: "efs-guard:replacement", Value: replacement },
          { Key: "efs-guard:replacement-record", Value: tags["efs-guard:replacement-record"]! },
        ],
      }),
    );

    // 90 days on, Step Functions no longer knows the execution: a state machine without it stands for that.
    const machine = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: lambdas.stateMachineArn }));
    const later = await sfn.send(
      new CreateStateMachineCommand({
        name: "efs-guard-migration-90-days-later",
        definition: machine.definition!,
        roleArn: machine.roleArn!,
      }),
    );
    const guard = fileSystemGuard({
      migrationStateMachineArn: later.stateMachineArn!,
      recordKeyArn: lambdas.ref("MigrationRecordKey", "Arn"),
    });
    const ids = [migrated, byHand, copied].map((f) => f.fileSystemId);
    const only: Guard = {
      ...guard,
      inventory: async () => ids.map((fileSystemId) => ({ type: "file-system" as const, fileSystemId })),
    };
    const deps = testDeps({ observeDays: 0 });
    const sweep = async () => {
      const report = await sweepRegion([only], region, deps);
      return { report, summary: summarizeSweep([report]) };
    };
    const encryption = (report: SweepReport, id: string) =>
      report.results.find((r) => r.finding.control === "efs-encrypted-at-rest" && r.finding.resource.id === id)!;

    for (let day = 0; day < 2; day += 1) {
      const { report, summary } = await sweep();
      const pending = encryption(report, migrated.fileSystemId);
      expect(pending.outcome).toBe("cut-over-pending");
      expect(pending.finding.summary).toContain(
        `is migrated: its encrypted replacement ${replacement} awaits cut-over`,
      );
      expect(summary.cutOverPending).toEqual([{ fileSystemId: migrated.fileSystemId, replacement, region }]);
      const message = buildSummaryMessage(summary, new Date());
      expect(message.content.description).toContain(
        `*Migrated, cut-over pending (1):* \`${migrated.fileSystemId}\` → \`${replacement}\` (${region})`,
      );
      for (const [forged, why] of [
        [byHand.fileSystemId, "carries no efs-guard:replacement-record"],
        [copied.fileSystemId, "has a efs-guard:replacement-record that does not verify for this pair"],
      ] as const) {
        const alert = encryption(report, forged);
        expect(alert.outcome).toBe("alerted");
        expect(alert.finding.severity).toBe("high");
        expect(alert.finding.summary).toContain(`but the tag ${why}: it was not written by the EFS Guard migration`);
        expect(alert.finding.summary).toContain(`aws efs untag-resource --resource-id ${forged}`);
      }
    }
    // Nothing started, nothing failed, no notice: the record answered, not the Step Functions history; the migrated
    // source has no encryption alert of its own (only its line in the summary), the forged ones one per sweep.
    expect((await sfn.send(new ListExecutionsCommand({ stateMachineArn: later.stateMachineArn! }))).executions).toEqual(
      [],
    );
    const alerted = deps.notifier.published.filter((p) => p.result.finding.control === "efs-encrypted-at-rest");
    expect(alerted.map((p) => p.result.finding.resource.id).sort()).toEqual(
      [byHand.fileSystemId, copied.fileSystemId, byHand.fileSystemId, copied.fileSystemId].sort(),
    );
    // And the attacker's tags are left for the operator: EFS Guard changes only what the migration created.
    expect((await tagsOf(byHand.fileSystemId))["efs-guard:replacement"]).toBe(decoy);
  });
});
