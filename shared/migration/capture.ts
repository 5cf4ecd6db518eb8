import type { BackupClient } from "@aws-sdk/client-backup";
import type { EFSClient } from "@aws-sdk/client-efs";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { describeVault } from "../aws/backup.js";
import {
  accessPoints,
  backupPolicyStatus,
  capturedMountTargets,
  describeFileSystem,
  fileSystemPolicy,
  lifecyclePolicies,
  replicationOf,
  tagsToRecord,
} from "../aws/efs-migration.js";
import { requireCoveredAccount } from "./account.js";
import type { Creator } from "./approval.js";
import { keyId, type MigrationBase, type PerRegion, refuse, type StepEvent, step, withoutAwsTags } from "./deps.js";
import { CONTROL } from "./messages.js";
import { verdictOn } from "./ownership.js";
import {
  ERRORS,
  MAX_TAGS,
  MIGRATED_FROM_TAG,
  MIGRATION_TAG,
  MIGRATION_VAULT_NAME,
  type MigrationRequest,
  type MigrationState,
  MigrationStepError,
  type MigrationTarget,
  REPLACEMENT_TAG,
  type Resume,
  type SourceSnapshot,
} from "./types.js";

/** Migration step 1: the source, the region's target, and the refusals that must come before any approval. */

export interface CaptureDeps extends MigrationBase {
  efs: PerRegion<EFSClient>;
  backup: PerRegion<BackupClient>;
  sfn: PerRegion<SFNClient>;
}

const FILE_SYSTEM_ID = /^fs-[0-9a-f]{8,40}$/;

const SEVERITIES: readonly string[] = ["critical", "high", "medium", "low", "info"];

/**
 * Only the fields of a migration request (and who created the file system) are taken from the execution input
 * (which whoever may start the state machine writes), checked, and nothing else: every later field of the state is
 * written by the steps. The severity is a label for the approval request (the finding's, so both say the same); only
 * a known level is kept.
 */
function requestOf(state: MigrationState, deps: MigrationBase): MigrationRequest {
  const { fileSystemId, region, reason, requestedBy, severity } = state;
  const regions = [deps.homeRegion, ...deps.config.regions];
  if (typeof fileSystemId !== "string" || !FILE_SYSTEM_ID.test(fileSystemId)) {
    refuse(`the execution input names no file system id (got ${JSON.stringify(fileSystemId)})`);
  }
  if (typeof region !== "string" || !regions.includes(region)) {
    refuse(`the region ${JSON.stringify(region)} is not one EFS Guard guards (${regions.join(", ")})`);
  }
  const createdBy = creatorOf(state.createdBy);
  const account = state.account;
  if (account !== undefined) requireCoveredAccount(account, deps.config);
  return {
    ...(account !== undefined ? { account } : {}),
    fileSystemId,
    region,
    reason: typeof reason === "string" ? reason.slice(0, 500) : "",
    requestedBy: typeof requestedBy === "string" ? requestedBy.slice(0, 500) : "",
    ...(typeof severity === "string" && SEVERITIES.includes(severity) ? { severity } : {}),
    ...(createdBy ? { createdBy } : {}),
  };
}

/**
 * Who created the file system, as the guard read it from the CloudTrail CreateFileSystem record that started the
 * run (for requireSeparateApprover): only its string fields, bounded; anything else is dropped. Whoever may start
 * the state machine could name someone else, which only makes the approval stricter for that person: the
 * approval still needs an approver's verified signature.
 */
function creatorOf(value: unknown): Creator | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.arn !== "string" || !v.arn.startsWith("arn:") || v.arn.length > 2048) return undefined;
  const text = (x: unknown) => (typeof x === "string" && x.length <= 2048 ? x : undefined);
  const type = text(v.type);
  const sessionIssuerArn = text(v.sessionIssuerArn);
  const eventId = text(v.eventId);
  return {
    arn: v.arn,
    ...(type ? { type } : {}),
    ...(sessionIssuerArn ? { sessionIssuerArn } : {}),
    ...(eventId ? { eventId } : {}),
  };
}

/**
 * The region's migration key and vault. The vault (fixed name, created by the home or forwarder stack) is encrypted
 * with the key, and a vault's key cannot change after creation, so the vault names the key: a configured key must
 * be the vault's, and in a region whose stack created the key, the vault's key is it.
 */
export async function migrationTarget(deps: CaptureDeps, region: string, account?: string): Promise<MigrationTarget> {
  const stack = region === deps.homeRegion ? "the EfsGuard stack" : `the stack EfsGuardForwarder-${region}`;
  const vault = await describeVault(deps.backup(region), MIGRATION_VAULT_NAME);
  if (!vault) {
    refuse(`there is no backup vault ${MIGRATION_VAULT_NAME} in ${region}: deploy ${stack} (it creates it)`);
  }
  // A member's vault (the member template's, in its account) has the member's key: no configured key names it.
  const expected = account
    ? undefined
    : region === deps.homeRegion
      ? deps.kmsKeyArn
      : deps.config.regionKmsKeyArns[region];
  if (expected && keyId(vault.encryptionKeyArn) !== keyId(expected)) {
    refuse(
      `the vault ${MIGRATION_VAULT_NAME} in ${region} is encrypted with ${vault.encryptionKeyArn ?? "no key"}, not the migration key ${expected}: it is not the vault ${stack} created`,
    );
  }
  const keyArn = expected ?? vault.encryptionKeyArn;
  if (!keyArn) refuse(`the vault ${MIGRATION_VAULT_NAME} in ${region} reports no encryption key`);
  // A key ARN names its region; EFS takes only a key of the file system's region. (That the key is enabled and
  // customer managed is `efs-guard doctor`'s check: a KMS client here would cost this step's bundle a fourth client.)
  if (!keyArn.startsWith("arn:") || keyArn.split(":")[3] !== region) {
    refuse(`the migration key ${keyArn} for ${region} is not a key ARN of ${region}`);
  }
  if (account && keyArn.split(":")[4] !== account) {
    refuse(`the migration key ${keyArn} of the vault in account ${account} is not a key of that account`);
  }
  return { region, kmsKeyArn: keyArn, vaultName: vault.vaultName, vaultArn: vault.vaultArn };
}

/**
 * Step 1: everything about the source that the replacement must reproduce, and the checks that must pass before
 * anyone is asked to approve: nothing to migrate, or a replication the source is already part of that this
 * migration did not create (AWS allows one per file system; EFS Guard never takes over or removes another).
 */
export async function capture(event: StepEvent, deps: CaptureDeps): Promise<MigrationState> {
  return step(async () => {
    const request = requestOf(event.state, deps);
    const { fileSystemId, region } = request;
    const efs = deps.efs(region);
    const fs = await describeFileSystem(efs, fileSystemId);
    if (!fs)
      throw new MigrationStepError(ERRORS.nothingToMigrate, `file system ${fileSystemId} does not exist in ${region}`);
    const tags = tagsToRecord(fs.Tags);
    if (tags[REPLACEMENT_TAG]) {
      throw new MigrationStepError(
        ERRORS.nothingToMigrate,
        `${fileSystemId} was already migrated: its replacement is ${tags[REPLACEMENT_TAG]} (tag ${REPLACEMENT_TAG}); finish that cut-over instead`,
      );
    }
    const target = await migrationTarget(deps, region, request.account);
    if (fs.Encrypted && (!deps.config.requireCustomerManagedKey || keyId(fs.KmsKeyId) === keyId(target.kmsKeyArn))) {
      throw new MigrationStepError(ERRORS.nothingToMigrate, `${fileSystemId} is already encrypted with ${fs.KmsKeyId}`);
    }
    const resume = await resumableReplacement(deps, event.executionArn, efs, request, target);
    const kept = Object.keys(withoutAwsTags(tags)).filter((k) => k !== REPLACEMENT_TAG).length;
    if (kept + 2 > MAX_TAGS) {
      refuse(
        `${fileSystemId} has ${kept} tags; its replacement would need ${kept + 2} with ${MIGRATION_TAG} and ${MIGRATED_FROM_TAG}, more than EFS's ${MAX_TAGS}`,
      );
    }
    if (deps.config.migrationStrategy === "restore" && fs.AvailabilityZoneName) {
      refuse(
        `${fileSystemId} is One Zone (${fs.AvailabilityZoneName}); AWS Backup's EFS restore metadata (file-system-id, Encrypted, KmsKeyId, PerformanceMode, CreationToken, newFileSystem, ItemsToRestore) has no Availability Zone, so a restore cannot recreate it as One Zone: use migrationStrategy "replication"`,
      );
    }
    const source: SourceSnapshot = {
      fileSystemId: fs.FileSystemId!,
      fileSystemArn:
        fs.FileSystemArn ?? `arn:aws:elasticfilesystem:${region}:${fs.OwnerId}:file-system/${fs.FileSystemId}`,
      encrypted: fs.Encrypted ?? false,
      sizeInBytes: fs.SizeInBytes?.Value ?? 0,
      mountTargets: await capturedMountTargets(efs, fileSystemId),
      accessPoints: await accessPoints(efs, fileSystemId),
      lifecyclePolicies: (await lifecyclePolicies(efs, fileSystemId)) as Record<string, string>[],
      tags,
      capturedAt: deps.clock.now().toISOString(),
    };
    const optional = {
      name: fs.Name || undefined,
      kmsKeyId: fs.KmsKeyId,
      performanceMode: fs.PerformanceMode,
      throughputMode: fs.ThroughputMode,
      provisionedThroughputInMibps: fs.ThroughputMode === "provisioned" ? fs.ProvisionedThroughputInMibps : undefined,
      availabilityZoneName: fs.AvailabilityZoneName,
      policy: await fileSystemPolicy(efs, fileSystemId),
      backupPolicy: (await backupPolicyStatus(efs, fileSystemId)) as SourceSnapshot["backupPolicy"],
    };
    for (const [k, v] of Object.entries(optional))
      if (v !== undefined && v !== null) (source as unknown as Record<string, unknown>)[k] = v;
    return { ...request, source, target, ...(resume ? { resume } : {}) };
  });
}

/**
 * The source's replication, if it has one: a replacement an earlier attempt of this migration created (proven) is
 * resumed; anything else is refused before any backup or approval, and left exactly as it is.
 */
async function resumableReplacement(
  deps: CaptureDeps,
  executionArn: string,
  efs: EFSClient,
  request: MigrationRequest,
  target: MigrationTarget,
): Promise<Resume | undefined> {
  const { fileSystemId, account } = request;
  const replication = await replicationOf(efs, fileSystemId);
  if (!replication) return undefined;
  const destination = replication.Destinations?.[0];
  if (replication.SourceFileSystemId !== fileSystemId) {
    refuse(
      `${fileSystemId} is the destination of a replication from ${replication.SourceFileSystemId} (${replication.SourceFileSystemRegion ?? "?"}): a replica is read-only and a file system can be part of one replication only; migrate the source of that replication instead. EFS Guard changed nothing.`,
    );
  }
  const foreign = (why: string) =>
    refuse(
      `${fileSystemId} already replicates to ${destination?.FileSystemId ?? "?"} in ${destination?.Region ?? "?"}, which this migration did not create (${why}). A file system can be part of one replication only, and EFS Guard never takes over, changes or removes a replication it did not create: ${destination?.FileSystemId ?? "it"} and its policy, tags and mount targets are untouched. To migrate ${fileSystemId}, end that replication yourself or exempt it (efs-guard:exempt=${CONTROL}).`,
    );
  if (!destination?.FileSystemId || destination.Region !== target.region) return foreign("it is in another region");
  const replica = await describeFileSystem(efs, destination.FileSystemId);
  if (!replica) return foreign("it cannot be described");
  const verdict = await verdictOn(deps, replica, fileSystemId, target.kmsKeyArn, executionArn, account);
  if (!verdict.own) return foreign(verdict.why);
  return { fileSystemId: destination.FileSystemId, createdBy: verdict.createdBy };
}
