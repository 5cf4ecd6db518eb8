/**
 * The migration's record on the source (issue 12 defect 9; issue 11 item 4's last sentence). After cut-over is
 * prepared the source carries `efs-guard:replacement = <new id>`: that tag is the lasting record that the source is
 * "migrated, cut-over pending" (the execution that wrote it is gone from Step Functions 90 days after it ended).
 * Anyone allowed elasticfilesystem:TagResource can write that tag too, which would switch the migration off for a
 * file system. So the migration writes a second tag, `efs-guard:replacement-record`, an HMAC of the pair made with a
 * KMS HMAC key whose key policy lets only the migration's surroundings step generate MACs (and only the guard
 * verify them); an account's IAM policies cannot grant GenerateMac on it, since the key policy does not delegate
 * its use to the account. A tag pair that does not verify was not written by the migration and is alerted.
 */

export const RECORD_TAG = "efs-guard:replacement-record";
/** The environment variable through which the stack names the record key (surroundings step, guard, sweep). */
export const RECORD_KEY_ENV = "MIGRATION_RECORD_KEY_ARN";
/**
 * Where the command line finds the key when it is not told (the stack creates this alias). The deployed functions
 * are given the key's ARN: an alias can be repointed by whoever may update it, the key ARN cannot.
 */
export const RECORD_KEY_ALIAS = "alias/efs-guard-migration-record";
/** The MAC algorithm of the record key (KMS HMAC_256 keys). */
export const RECORD_MAC_ALGORITHM = "HMAC_SHA_256";

/** What the MAC covers: this source (its ARN names partition, region and account) and this replacement. */
export function recordMessage(sourceArn: string, replacementId: string): string {
  return `efs-guard-migration-record-v1 ${sourceArn} ${replacementId}`;
}

/** What the guard knows about a source's recorded replacement. */
export interface ReplacementFacts {
  id: string;
  /** valid: the record tag verifies for this pair; invalid / missing: it does not / there is none; unverifiable:
   * the check itself failed (reason in `detail`). */
  record: "valid" | "invalid" | "missing" | "unverifiable";
  detail?: string;
  /** The replacement as DescribeFileSystems shows it now (absent: it does not exist). */
  replacement?: { lifeCycleState: string; encrypted: boolean; kmsKeyId?: string };
}

/** The record key lives in the home region; a call about a file system elsewhere still goes there. */
export function recordKeyRegion(keyArnOrAlias: string, fallback: string): string {
  return keyArnOrAlias.startsWith("arn:") ? (keyArnOrAlias.split(":")[3] ?? fallback) : fallback;
}
