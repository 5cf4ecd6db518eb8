import {
  backupPolicyStatus,
  capturedMountTargets,
  describeFileSystem,
  fileSystemPolicy,
  lifecyclePolicies,
  mountTargets,
  replicationOf,
  tagsToRecord,
} from "../aws/efs-migration.js";
import { keyId, replacementContext, type StepEvent, step } from "./deps.js";
import { claimedCreator } from "./provenance.js";
import { settingsChecks } from "./settings.js";
import type { EfsStepDeps } from "./surroundings.js";
import { policyEnforcesTls } from "./tls.js";
import {
  ERRORS,
  MIGRATION_TAG,
  type MigrationState,
  MigrationStepError,
  REPLACEMENT_TAG,
  type VerificationCheck,
} from "./types.js";

/** Step 6: the replacement is what it should be; mount targets still creating make the step retry. */
export async function verify(event: StepEvent, deps: EfsStepDeps): Promise<MigrationState> {
  return step(async () => {
    const { state, source, target, destination, dst, efs } = replacementContext(event, deps.efs);
    const checks: VerificationCheck[] = [];
    const fs = await describeFileSystem(efs, dst);
    if (!fs) throw new MigrationStepError(ERRORS.verificationFailed, `the replacement ${dst} does not exist`);
    const claimed = claimedCreator(tagsToRecord(fs.Tags), source.fileSystemId, state.account);
    checks.push({
      check: "created by this migration",
      ok:
        claimed !== undefined &&
        claimed === destination.createdBy &&
        (destination.strategy === "restore" || fs.CreationToken === claimed),
      detail: `${MIGRATION_TAG}=${tagsToRecord(fs.Tags)[MIGRATION_TAG] ?? "missing"}, creation token ${fs.CreationToken ?? "?"}`,
    });
    checks.push({
      check: "encrypted with the configured key",
      ok: Boolean(fs.Encrypted) && keyId(fs.KmsKeyId) === keyId(target.kmsKeyArn),
      detail: `Encrypted=${fs.Encrypted}, KmsKeyId=${fs.KmsKeyId ?? "none"}`,
    });
    const mts = await mountTargets(efs, dst);
    const pending = mts.filter((m) => m.LifeCycleState === "creating");
    if (pending.length > 0) {
      throw new MigrationStepError(
        ERRORS.notReady,
        `mount target(s) ${pending.map((m) => m.MountTargetId).join(", ")} still creating`,
      );
    }
    const missing = source.mountTargets.filter(
      (s) => !mts.some((m) => m.SubnetId === s.subnetId && m.LifeCycleState === "available"),
    );
    checks.push({
      check: "mount targets available in the source's subnets",
      ok: missing.length === 0,
      detail:
        missing.length === 0
          ? `${mts.length} available`
          : `missing or unavailable in ${missing.map((m) => m.subnetId).join(", ")}`,
    });
    const groupsNow = await capturedMountTargets(efs, dst);
    const groupMismatch = source.mountTargets.filter((s) => {
      const now = groupsNow.find((m) => m.subnetId === s.subnetId);
      return !now || [...now.securityGroups].sort().join() !== [...s.securityGroups].sort().join();
    });
    checks.push({
      check: "mount targets have the source's security groups",
      ok: groupMismatch.length === 0,
      detail:
        groupMismatch.length === 0
          ? "same groups in every subnet"
          : `different in ${groupMismatch.map((m) => m.subnetId).join(", ")}`,
    });
    const policy = await fileSystemPolicy(efs, dst);
    checks.push({
      check: "policy enforces TLS (efs-tls-enforced)",
      ok: policyEnforcesTls(policy, fs.FileSystemArn ?? source.fileSystemArn.replace(source.fileSystemId, dst)),
      detail: policy ? "deny when aws:SecureTransport is false" : "no policy",
    });
    checks.push(
      ...settingsChecks(source, {
        ...(fs.PerformanceMode ? { performanceMode: fs.PerformanceMode } : {}),
        ...(fs.ThroughputMode ? { throughputMode: fs.ThroughputMode } : {}),
        ...(fs.ProvisionedThroughputInMibps !== undefined
          ? { provisionedThroughputInMibps: fs.ProvisionedThroughputInMibps }
          : {}),
        ...(fs.AvailabilityZoneName ? { availabilityZoneName: fs.AvailabilityZoneName } : {}),
        lifecyclePolicies: (await lifecyclePolicies(efs, dst)) as Record<string, string>[],
        ...(await backupPolicyStatus(efs, dst).then((b) => (b ? { backupPolicy: b } : {}))),
      }),
    );
    if (destination.strategy === "replication") {
      const replication = await replicationOf(efs, source.fileSystemId);
      const to = replication?.Destinations?.[0];
      checks.push({
        check: "the source replicates to the replacement",
        ok:
          replication?.SourceFileSystemId === source.fileSystemId &&
          to?.FileSystemId === dst &&
          (to.Status === "ENABLED" || to.Status === "ENABLING"),
        detail: to
          ? `${to.Status}${to.LastReplicatedTimestamp ? `, last synced ${to.LastReplicatedTimestamp.toISOString()}` : ", initial copy in progress"}`
          : "no replication",
      });
    }
    const sourceNow = await describeFileSystem(efs, source.fileSystemId);
    const tagged = tagsToRecord(sourceNow?.Tags)[REPLACEMENT_TAG] === dst;
    checks.push({
      check: "source untouched and tagged with its replacement",
      ok: Boolean(sourceNow) && tagged,
      detail: sourceNow
        ? `${source.fileSystemId} ${sourceNow.LifeCycleState}, ${REPLACEMENT_TAG}=${tagsToRecord(sourceNow.Tags)[REPLACEMENT_TAG] ?? "missing"}`
        : "source not found",
    });
    const verification = { ok: checks.every((c) => c.ok), checks };
    if (!verification.ok) {
      const failed = checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.detail}`);
      throw new MigrationStepError(ERRORS.verificationFailed, failed.join("; "));
    }
    return { ...state, verification };
  });
}
