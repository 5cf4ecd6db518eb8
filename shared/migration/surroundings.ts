import { createHash } from "node:crypto";
import type { EFSClient, FileSystemDescription, LifecyclePolicy } from "@aws-sdk/client-efs";
import type { KMSClient } from "@aws-sdk/client-kms";
import {
  accessPoints,
  backupPolicyStatus,
  createAccessPoint,
  createMountTarget,
  describeFileSystem,
  mountTargets,
  putBackupPolicy,
  putFileSystemPolicy,
  putLifecyclePolicies,
  tagFileSystem,
  tagsToRecord,
  updateThroughput,
} from "../aws/efs-migration.js";
import { signRecord } from "../aws/record-mac.js";
import {
  executionName,
  type MigrationBase,
  type PerRegion,
  refuse,
  replacementContext,
  type StepEvent,
  step,
  withoutAwsTags,
} from "./deps.js";
import { claimedCreator } from "./provenance.js";
import { RECORD_TAG, recordKeyRegion } from "./record.js";
import { backupsOn, throughputUpdate } from "./settings.js";
import { policyForReplacement } from "./tls.js";
import {
  type Destination,
  ERRORS,
  MIGRATION_TAG,
  type MigrationState,
  MigrationStepError,
  REPLACEMENT_TAG,
  SOURCE_ACCESS_POINT_TAG,
  type SourceSnapshot,
  type SurroundingsReport,
} from "./types.js";

export interface EfsStepDeps extends MigrationBase {
  efs: PerRegion<EFSClient>;
}

/** The surroundings step also signs the migration's record on the source (shared/migration/record.ts). */
export interface SurroundingsDeps extends EfsStepDeps {
  /** The stack's HMAC record key (MIGRATION_RECORD_KEY_ARN); unset: the source gets the replacement tag alone. */
  recordKeyArn?: string | undefined;
  kms?: PerRegion<KMSClient>;
}

function accessPointToken(executionArn: string, sourceAccessPointId: string): string {
  return createHash("sha256")
    .update(`${executionName(executionArn)}:${sourceAccessPointId}`)
    .digest("hex")
    .slice(0, 64);
}

/**
 * Every write below goes to the replacement only after this: it carries this migration's tags (IAM checks it too)
 * and, when the migration created it itself (replication), its creation token.
 */
function assertOurs(
  fs: FileSystemDescription,
  source: SourceSnapshot,
  destination: Destination,
  account: string | undefined,
): void {
  const claimed = claimedCreator(tagsToRecord(fs.Tags), source.fileSystemId, account);
  const token = destination.strategy === "restore" || fs.CreationToken === claimed;
  if (!claimed || claimed !== destination.createdBy || !token) {
    refuse(
      `${fs.FileSystemId} does not carry this migration's tags and creation token any more; nothing was written to it`,
    );
  }
}

/**
 * Step 5: throughput (before the lifecycle: Archive needs Elastic), mount targets, policy with TLS, access points,
 * lifecycle and backup policies; then tags the source. Writes go to the replacement only (its own mount targets and
 * access points are reused); the source gets two tags (its replacement and the migration's record of it).
 */
export async function recreateSurroundings(event: StepEvent, deps: SurroundingsDeps): Promise<MigrationState> {
  return step(async () => {
    const { state, source, destination, dst, efs } = replacementContext(event, deps.efs);
    const fs = await describeFileSystem(efs, dst);
    if (!fs) throw new Error(`the new file system ${dst} does not exist`);
    if (fs.LifeCycleState !== "available") {
      throw new MigrationStepError(
        ERRORS.notReady,
        `the new file system ${dst} is ${fs.LifeCycleState}, not yet available`,
      );
    }
    assertOurs(fs, source, destination, state.account);
    const report: SurroundingsReport = {
      mountTargets: [],
      policy: { written: false, tlsStatementAdded: false },
      accessPoints: [],
      lifecyclePolicies: 0,
      tags: Object.keys(tagsToRecord(fs.Tags)).sort(),
      sourceTagged: false,
    };
    const update = throughputUpdate(source, {
      ...(fs.ThroughputMode ? { throughputMode: fs.ThroughputMode } : {}),
      ...(fs.ProvisionedThroughputInMibps !== undefined
        ? { provisionedThroughputInMibps: fs.ProvisionedThroughputInMibps }
        : {}),
    });
    if (update) {
      await updateThroughput(efs, dst, update.throughputMode, update.provisionedThroughputInMibps);
      report.throughputUpdated = update;
    }
    const existing = await mountTargets(efs, dst);
    for (const mt of source.mountTargets) {
      const already = existing.find((e) => e.SubnetId === mt.subnetId);
      const mountTargetId =
        already?.MountTargetId ?? (await createMountTarget(efs, dst, mt.subnetId, mt.securityGroups));
      report.mountTargets.push({
        subnetId: mt.subnetId,
        mountTargetId,
        securityGroups: mt.securityGroups,
        created: !already,
      });
    }
    const dstArn = fs.FileSystemArn ?? source.fileSystemArn.replace(source.fileSystemId, dst);
    const { policy, tlsStatementAdded } = policyForReplacement(source.policy, source.fileSystemArn, dstArn);
    await putFileSystemPolicy(efs, dst, policy);
    report.policy = { written: true, tlsStatementAdded };

    const existingAps = await accessPoints(efs, dst);
    for (const ap of source.accessPoints) {
      const already = existingAps.find((e) => e.tags[SOURCE_ACCESS_POINT_TAG] === ap.accessPointId);
      const tags = {
        ...withoutAwsTags(ap.tags),
        [SOURCE_ACCESS_POINT_TAG]: ap.accessPointId,
        [MIGRATION_TAG]: destination.createdBy!,
      };
      const id =
        already?.accessPointId ??
        (await createAccessPoint(efs, dst, ap, accessPointToken(event.executionArn, ap.accessPointId), tags));
      report.accessPoints.push({ sourceAccessPointId: ap.accessPointId, accessPointId: id, created: !already });
    }
    if (source.lifecyclePolicies.length > 0) {
      await putLifecyclePolicies(efs, dst, source.lifecyclePolicies as LifecyclePolicy[]);
      report.lifecyclePolicies = source.lifecyclePolicies.length;
    }
    const backups = await backupPolicyStatus(efs, dst);
    if (backupsOn(source.backupPolicy) !== backupsOn(backups)) {
      await putBackupPolicy(efs, dst, backupsOn(source.backupPolicy) ? "ENABLED" : "DISABLED");
    }
    report.backupPolicy = backupsOn(source.backupPolicy) ? "ENABLED" : "DISABLED";
    // The replacement tag is the lasting record; the record tag proves the migration wrote it (migration/record.ts).
    const record: Record<string, string> =
      deps.recordKeyArn && deps.kms
        ? {
            [RECORD_TAG]: await signRecord(
              deps.kms(recordKeyRegion(deps.recordKeyArn, deps.homeRegion)),
              deps.recordKeyArn,
              source.fileSystemArn,
              dst,
            ),
          }
        : {};
    await tagFileSystem(efs, source.fileSystemId, { [REPLACEMENT_TAG]: dst, ...record });
    report.sourceTagged = true;
    return { ...state, destination, surroundings: report };
  });
}
