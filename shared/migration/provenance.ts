import { MAX_ATTEMPTS, migrationExecutionName } from "../aws/migration.js";
import { MIGRATED_FROM_TAG, MIGRATION_TAG } from "./types.js";

/**
 * Whether a file system is one this migration created, from facts a caller cannot forge together. Tags are text
 * anyone allowed to tag may write, so the tag alone proves nothing; it is believed only when AWS's own records
 * agree with it:
 * - the efs-guard:migration tag names an execution of this source's migration (`efs-guard-migrate-<source>[-N]`) and
 *   efs-guard:migrated-from names the source;
 * - the creation token, which EFS fixes at creation and nobody can change, is that execution's name (the migration
 *   creates its file systems with it, directly or through the restore metadata);
 * - that execution exists in the guard's state machine, and the file system was created after it started (Step
 *   Functions' start date and EFS's CreationTime are AWS's records: a decoy made before the run cannot pass);
 * - it is encrypted with the region's migration key.
 * Pure: the steps read the facts (DescribeFileSystems, DescribeExecution) and act on the verdict.
 */

export interface ReplacementFacts {
  fileSystemId: string;
  tags: Record<string, string>;
  creationToken?: string;
  creationTime?: Date;
  kmsKeyId?: string;
  encrypted?: boolean;
}

export type Verdict = { own: true; createdBy: string } | { own: false; why: string };

/**
 * The execution name the tags claim created the file system, when it is a name of this source's migration (in
 * `account`, for a member's file system: another account's migration of the same id is not this one).
 */
export function claimedCreator(tags: Record<string, string>, sourceId: string, account?: string): string | undefined {
  const name = tags[MIGRATION_TAG];
  if (!name || tags[MIGRATED_FROM_TAG] !== sourceId) return undefined;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    if (name === migrationExecutionName(sourceId, attempt, account)) return name;
  }
  return undefined;
}

function keyId(arnOrId: string | undefined): string | undefined {
  return arnOrId?.split("/").at(-1);
}

export function judgeReplacement(
  facts: ReplacementFacts,
  expected: {
    sourceId: string;
    kmsKeyArn: string;
    /** When the execution the tags name (claimedCreator) started; undefined when it does not exist. */
    executionStart: Date | undefined;
    /** The member account of a member's source (MigrationRequest.account). */
    account?: string | undefined;
  },
): Verdict {
  const id = facts.fileSystemId;
  const createdBy = claimedCreator(facts.tags, expected.sourceId, expected.account);
  if (!createdBy) {
    return {
      own: false,
      why: `${id} does not carry the tags the migration of ${expected.sourceId} puts on what it creates (${MIGRATION_TAG}, ${MIGRATED_FROM_TAG})`,
    };
  }
  if (facts.creationToken !== createdBy) {
    return { own: false, why: `${id} is tagged ${MIGRATION_TAG}=${createdBy} but its creation token is not that name` };
  }
  const started = expected.executionStart;
  if (!started) {
    return { own: false, why: `${id} names the execution ${createdBy}, which the migration state machine never ran` };
  }
  if (!facts.creationTime || facts.creationTime.getTime() < started.getTime()) {
    return {
      own: false,
      why: `${id} was created (${facts.creationTime?.toISOString() ?? "at an unknown time"}) before ${createdBy} started (${started.toISOString()})`,
    };
  }
  if (!facts.encrypted || keyId(facts.kmsKeyId) !== keyId(expected.kmsKeyArn)) {
    return { own: false, why: `${id} is not encrypted with the migration key ${expected.kmsKeyArn}` };
  }
  return { own: true, createdBy };
}
