import type { BackupClient } from "@aws-sdk/client-backup";
import { BackupServiceException } from "@aws-sdk/client-backup";
import { type EFSClient, EFSServiceException } from "@aws-sdk/client-efs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/schema.js";
import { type CaptureDeps, capture } from "../../shared/migration/capture.js";
import { claimedCreator, judgeReplacement } from "../../shared/migration/provenance.js";
import { startSafetyBackup } from "../../shared/migration/safety-backup.js";
import { settingsChecks, throughputUpdate } from "../../shared/migration/settings.js";
import type { MigrationState, SourceSnapshot } from "../../shared/migration/types.js";
import { systemClock } from "../../shared/runtime/clock.js";

/** What the migration believes it created (provenance), what it keeps of the source (settings), how steps fail. */

const SRC = "fs-0123456789abcdef0";
const KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const RUN = `efs-guard-migrate-${SRC}`;
const started = new Date("2026-11-01T10:00:00Z");
const ours = {
  fileSystemId: "fs-0fedcba9876543210",
  tags: { "efs-guard:migration": RUN, "efs-guard:migrated-from": SRC, team: "data" },
  creationToken: RUN,
  creationTime: new Date("2026-11-01T10:05:00Z"),
  kmsKeyId: KEY,
  encrypted: true,
};
const expected = { sourceId: SRC, kmsKeyArn: KEY, executionStart: started };

describe("provenance: a replacement is ours only when AWS's records agree with its tags", () => {
  it("accepts what this migration created, for this run or an earlier attempt", () => {
    expect(judgeReplacement(ours, expected)).toEqual({ own: true, createdBy: RUN });
    const attempt3 = `${RUN}-3`;
    expect(
      judgeReplacement(
        { ...ours, tags: { ...ours.tags, "efs-guard:migration": attempt3 }, creationToken: attempt3 },
        expected,
      ),
    ).toEqual({ own: true, createdBy: attempt3 });
  });

  it.each([
    ["no migration tag", { tags: { team: "data" } }, "does not carry the tags"],
    [
      "another source's run",
      { tags: { ...ours.tags, "efs-guard:migration": "efs-guard-migrate-fs-11111111" } },
      "does not carry",
    ],
    [
      "migrated-from another source",
      { tags: { ...ours.tags, "efs-guard:migrated-from": "fs-11111111" } },
      "does not carry",
    ],
    ["a name that is not an attempt", { tags: { ...ours.tags, "efs-guard:migration": `${RUN}-x` } }, "does not carry"],
    ["another creation token", { creationToken: "console-123" }, "creation token is not that name"],
    ["created before the run started", { creationTime: new Date("2026-11-01T09:59:59Z") }, "before efs-guard-migrate"],
    ["no creation time", { creationTime: undefined }, "at an unknown time"],
    ["another key", { kmsKeyId: KEY.replace("1111", "9999") }, "not encrypted with the migration key"],
    ["unencrypted", { encrypted: false }, "not encrypted with the migration key"],
  ])("refuses %s", (_, change, why) => {
    const verdict = judgeReplacement({ ...ours, ...change } as typeof ours, expected);
    expect(verdict.own).toBe(false);
    expect(verdict.own === false && verdict.why).toContain(why);
  });

  it("refuses a name the state machine never ran", () => {
    const verdict = judgeReplacement(ours, { ...expected, executionStart: undefined });
    expect(verdict).toEqual({
      own: false,
      why: `${ours.fileSystemId} names the execution ${RUN}, which the migration state machine never ran`,
    });
  });

  it("claimedCreator reads only names of this source's migration attempts (1 to 20)", () => {
    expect(claimedCreator(ours.tags, SRC)).toBe(RUN);
    expect(claimedCreator({ ...ours.tags, "efs-guard:migration": `${RUN}-20` }, SRC)).toBe(`${RUN}-20`);
    expect(claimedCreator({ ...ours.tags, "efs-guard:migration": `${RUN}-21` }, SRC)).toBeUndefined();
    expect(claimedCreator(ours.tags, "fs-11111111")).toBeUndefined();
  });
});

const source = (over: Partial<SourceSnapshot> = {}): SourceSnapshot => ({
  fileSystemId: SRC,
  fileSystemArn: `arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/${SRC}`,
  encrypted: false,
  sizeInBytes: 0,
  mountTargets: [],
  accessPoints: [],
  lifecyclePolicies: [],
  tags: {},
  capturedAt: "2026-11-01T10:00:00Z",
  ...over,
});

describe("settings the replacement keeps", () => {
  it("UpdateFileSystem only when the throughput differs (a restore comes back Bursting)", () => {
    expect(throughputUpdate(source({ throughputMode: "elastic" }), { throughputMode: "bursting" })).toEqual({
      throughputMode: "elastic",
    });
    expect(
      throughputUpdate(source({ throughputMode: "provisioned", provisionedThroughputInMibps: 64 }), {
        throughputMode: "provisioned",
        provisionedThroughputInMibps: 32,
      }),
    ).toEqual({ throughputMode: "provisioned", provisionedThroughputInMibps: 64 });
    expect(throughputUpdate(source(), { throughputMode: "bursting" })).toBeUndefined();
    expect(throughputUpdate(source({ throughputMode: "elastic" }), { throughputMode: "elastic" })).toBeUndefined();
  });

  it("verify names each difference", () => {
    const checks = settingsChecks(
      source({
        throughputMode: "elastic",
        availabilityZoneName: "us-east-1a",
        lifecyclePolicies: [{ TransitionToIA: "AFTER_30_DAYS" }, { TransitionToArchive: "AFTER_90_DAYS" }],
        backupPolicy: "ENABLED",
      }),
      {
        throughputMode: "bursting",
        lifecyclePolicies: [{ TransitionToIA: "AFTER_30_DAYS" }],
        backupPolicy: "DISABLED",
      },
    );
    expect(checks.filter((c) => !c.ok).map((c) => c.detail)).toEqual([
      "source elastic, replacement bursting",
      "source One Zone in us-east-1a, replacement Regional",
      "source TransitionToArchive=AFTER_90_DAYS;TransitionToIA=AFTER_30_DAYS, replacement TransitionToIA=AFTER_30_DAYS",
      "source on, replacement off",
    ]);
    expect(
      settingsChecks(source({ lifecyclePolicies: [{ TransitionToIA: "AFTER_7_DAYS" }] }), {
        lifecyclePolicies: [{ TransitionToIA: "AFTER_7_DAYS" }],
      }).every((c) => c.ok),
    ).toBe(true);
  });
});

function deps(backup: Partial<BackupClient>): CaptureDeps {
  const unused = () => {
    throw new Error("not used in this test");
  };
  return {
    config: parseConfig({ regions: ["eu-west-1"] }),
    clock: systemClock,
    efs: unused,
    backup: () => backup as BackupClient,
    sfn: unused,
    topicArn: "arn:aws:sns:us-east-1:123456789012:alerts",
    homeRegion: "us-east-1",
    kmsKeyArn: KEY,
    backupRoleArn: "arn:aws:iam::123456789012:role/backup",
  };
}

const state: MigrationState = {
  fileSystemId: SRC,
  region: "us-east-1",
  reason: "r",
  requestedBy: "b",
  source: source(),
  target: {
    region: "us-east-1",
    kmsKeyArn: KEY,
    vaultName: "efs-guard-migration",
    vaultArn: "arn:aws:backup:us-east-1:123456789012:backup-vault:efs-guard-migration",
  },
};
const event = { state, executionArn: `arn:aws:states:us-east-1:123456789012:execution:efs-guard-migration:${RUN}` };

describe("step errors: what the state machine retries, what ends the run", () => {
  it("AWS Backup's ServiceUnavailableException and ThrottlingException become EfsGuard.Retryable", async () => {
    for (const name of ["ServiceUnavailableException", "ThrottlingException"]) {
      const failing = {
        send: async () => {
          throw new BackupServiceException({
            name,
            $fault: "server",
            message: "try later",
            $metadata: { httpStatusCode: 503 },
          });
        },
      };
      await expect(startSafetyBackup(event, deps(failing))).rejects.toMatchObject({
        name: "EfsGuard.Retryable",
        message: expect.stringContaining(`backup:StartBackupJob failed: ${name}`),
      });
    }
  });

  it("an AccessDeniedException is not retried: it fails the step with the call named", async () => {
    const denied = {
      send: async () => {
        throw new BackupServiceException({
          name: "AccessDeniedException",
          $fault: "client",
          message: "not authorized",
          $metadata: { httpStatusCode: 403 },
        });
      },
    };
    await expect(startSafetyBackup(event, deps(denied))).rejects.toMatchObject({
      name: "AwsCallError",
      message: expect.stringContaining("backup:StartBackupJob failed: AccessDeniedException"),
    });
  });

  it("the safety backup carries the configured lifecycle and names its run and source", async () => {
    const sent: any[] = [];
    const backup = {
      send: async (command: any) => {
        sent.push(command.input);
        return { BackupJobId: "job-1", RecoveryPointArn: "arn:aws:backup:us-east-1:123456789012:recovery-point:1" };
      },
    };
    const d = deps(backup);
    d.config = parseConfig({ safetyBackupRetentionDays: 90 });
    const out = await startSafetyBackup(event, d);
    expect(sent[0]).toMatchObject({
      BackupVaultName: "efs-guard-migration",
      IdempotencyToken: RUN,
      Lifecycle: { DeleteAfterDays: 90 },
      RecoveryPointTags: { "efs-guard:migration": RUN, "efs-guard:source": SRC },
    });
    expect(out.backup).toEqual({
      jobId: "job-1",
      recoveryPointArn: "arn:aws:backup:us-east-1:123456789012:recovery-point:1",
      vaultName: "efs-guard-migration",
      deleteAfterDays: 90,
    });
  });

  it("capture takes only the request from the execution input, and only for a guarded region", async () => {
    const forged = { ...state, region: "ap-south-1" };
    await expect(capture({ ...event, state: forged }, deps({}))).rejects.toMatchObject({
      name: "EfsGuard.MigrationRefused",
      message: expect.stringContaining('the region "ap-south-1" is not one EFS Guard guards (us-east-1, eu-west-1)'),
    });
    await expect(
      capture({ ...event, state: { ...state, fileSystemId: "fs-; rm -rf /" } }, deps({})),
    ).rejects.toMatchObject({
      name: "EfsGuard.MigrationRefused",
    });
  });
});

describe("capture refuses, before any approval, what it cannot migrate faithfully", () => {
  /** EFS answers one file system and no replication; the vault is the home region's, encrypted with the key. */
  function captureDeps(fs: Record<string, unknown>, config: Parameters<typeof parseConfig>[0] = {}): CaptureDeps {
    const efs = {
      send: async (command: any) => {
        if (command.constructor.name === "DescribeFileSystemsCommand") return { FileSystems: [fs] };
        if (command.constructor.name === "DescribeReplicationConfigurationsCommand") {
          throw new EFSServiceException({
            name: "ReplicationNotFound",
            $fault: "client",
            message: "none",
            $metadata: { httpStatusCode: 404 },
          });
        }
        throw new Error(`unexpected ${command.constructor.name}`);
      },
    } as unknown as EFSClient;
    const backup = {
      send: async () => ({
        BackupVaultName: "efs-guard-migration",
        BackupVaultArn: "arn:aws:backup:us-east-1:123456789012:backup-vault:efs-guard-migration",
        EncryptionKeyArn: KEY,
      }),
    };
    return { ...deps(backup), config: parseConfig(config), efs: () => efs };
  }
  const plain = { FileSystemId: SRC, Encrypted: false, Tags: [{ Key: "Name", Value: "shared" }] };

  it("a source whose tags and the migration's two would pass EFS's 50", async () => {
    const tags = Array.from({ length: 49 }, (_, i) => ({ Key: `t${i}`, Value: "v" }));
    await expect(capture(event, captureDeps({ ...plain, Tags: tags }))).rejects.toMatchObject({
      name: "EfsGuard.MigrationRefused",
      message: `${SRC} has 49 tags; its replacement would need 51 with efs-guard:migration and efs-guard:migrated-from, more than EFS's 50`,
    });
  });

  it("a One Zone source with the restore strategy (the restore metadata has no Availability Zone)", async () => {
    await expect(
      capture(event, captureDeps({ ...plain, AvailabilityZoneName: "us-east-1a" }, { migrationStrategy: "restore" })),
    ).rejects.toMatchObject({ name: "EfsGuard.MigrationRefused", message: expect.stringContaining("is One Zone") });
  });

  it("a vault encrypted with another key than the configured one", async () => {
    const d = captureDeps(plain);
    d.kmsKeyArn = KEY.replace("1111", "9999");
    await expect(capture(event, d)).rejects.toMatchObject({
      name: "EfsGuard.MigrationRefused",
      message: expect.stringContaining("it is not the vault the EfsGuard stack created"),
    });
  });
});
