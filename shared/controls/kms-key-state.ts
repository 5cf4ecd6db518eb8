/**
 * A KMS key as the key controls see it: what DescribeKey says about it, which file systems it encrypts, and (when
 * read) its rotation status and tags. Shared by efs-key-rotation-enabled and efs-key-usable.
 */
export interface KmsKeyState {
  /** The bare key id (UUID or mrk-...). */
  keyId: string;
  arn: string;
  region: string;
  account?: string;
  /** CUSTOMER or AWS. */
  keyManager: string;
  /** Enabled, Disabled, PendingDeletion, PendingImport, PendingReplicaDeletion, Unavailable, Creating, Updating. */
  keyState: string;
  keySpec?: string;
  /** AWS_KMS, EXTERNAL (imported key material), AWS_CLOUDHSM, EXTERNAL_KEY_STORE. */
  origin?: string;
  multiRegionKeyType?: string;
  /** ISO time at which a key pending deletion is deleted. */
  deletionDate?: string;
  /** File systems in the region encrypted with this key (ids, sorted). Empty: the controls do not apply. */
  fileSystems: string[];
  /** Read only when the rotation control applies. */
  rotation?: { enabled: boolean; periodInDays?: number; nextRotationDate?: string };
  tags?: Record<string, string>;
}

export function keyResource(state: KmsKeyState) {
  return {
    type: "kms-key" as const,
    id: state.keyId,
    arn: state.arn,
    region: state.region,
    ...(state.account ? { account: state.account } : {}),
  };
}

export function listFileSystems(ids: string[]): string {
  return ids.length <= 5 ? ids.join(", ") : `${ids.slice(0, 5).join(", ")} and ${ids.length - 5} more`;
}
