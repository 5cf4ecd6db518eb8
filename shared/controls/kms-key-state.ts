import type { ControlId } from "../config/controls.js";
import type { Finding } from "./types.js";

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
  /**
   * The key belongs to another account (`account`). KMS allows only reads across accounts (DescribeKey,
   * GetKeyRotationStatus): there is no remediation, and the key's tags (ListResourceTags) cannot be read.
   */
  crossAccount?: boolean;
}

/** The account in a key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID); undefined for an id or an alias. */
export function accountOfKeyArn(ref: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:[^:]*:(\d{12}):key\//.exec(ref)?.[1];
}

/** The key id in a key ARN, or the reference itself. */
export function keyIdOf(ref: string): string {
  return /:key\/([^/]+)$/.exec(ref)?.[1] ?? ref;
}

/** What the alert says about a key of another account, whatever the control. */
export function otherAccountNote(state: Pick<KmsKeyState, "account" | "crossAccount">): string {
  return state.crossAccount
    ? `; the key belongs to account ${state.account ?? "(unknown)"}, and EFS Guard cannot change another account's key: its owner must`
    : "";
}

/**
 * A key that EFS Guard may not read: another account's key outside `keyAccounts`, or one whose key policy refuses
 * the guard. Whether it is enabled and rotating cannot be verified, so the finding alerts (non-compliant, medium,
 * no plan: nothing can be done from here) and names the key's account; it is never an error to retry.
 */
export function notAssessable(
  control: ControlId,
  key: { arn: string; account?: string; region: string; fileSystems: string[] },
  why: string,
): Finding {
  const fs = key.fileSystems.length > 0 ? listFileSystems(key.fileSystems) : "file systems";
  const id = keyIdOf(key.arn);
  return {
    control,
    resource: {
      type: "kms-key",
      id,
      arn: key.arn,
      region: key.region,
      ...(key.account ? { account: key.account } : {}),
    },
    verdict: "non-compliant",
    severity: "medium",
    summary: `${id}, the key of ${fs}${key.account ? ` in account ${key.account}` : ""}, cannot be assessed: ${why}`,
    evidence: {
      keyArn: key.arn,
      ...(key.account ? { keyAccount: key.account } : {}),
      fileSystems: key.fileSystems,
      assessable: false,
      reason: why,
    },
  };
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
