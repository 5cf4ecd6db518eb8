/** The controls catalog (design section 1): ids, default modes and Security Hub mapping. */
export const CONTROL_IDS = [
  "efs-encrypted-at-rest",
  "efs-tls-enforced",
  "efs-nfs-ingress-restricted",
  "efs-key-rotation-enabled",
  "efs-key-usable",
  "efs-backup-enabled",
  "efs-policy-not-public",
  // Not a state that must hold but a watch: every change of an efs-guard:* tag (exemptions, migration tags) is
  // alerted, since anyone who may tag a resource could otherwise switch a control off for it unseen.
  "efs-guard-tags-audited",
] as const;

export type ControlId = (typeof CONTROL_IDS)[number];

export const MODES = ["off", "alert", "remediate"] as const;
export type Mode = (typeof MODES)[number];

export const DEFAULT_MODES: Record<ControlId, Mode> = {
  "efs-encrypted-at-rest": "remediate",
  "efs-tls-enforced": "remediate",
  "efs-nfs-ingress-restricted": "remediate",
  "efs-key-rotation-enabled": "remediate",
  "efs-key-usable": "alert",
  "efs-backup-enabled": "alert",
  "efs-policy-not-public": "alert",
  "efs-guard-tags-audited": "alert",
};

/**
 * Whether a control has an automatic remediation. An alert-only control cannot be put in `remediate` mode: the
 * schema rejects it with this reason instead of accepting a mode that would silently only alert.
 */
export const REMEDIABLE: Record<ControlId, boolean> = {
  "efs-encrypted-at-rest": true,
  "efs-tls-enforced": true,
  "efs-nfs-ingress-restricted": true,
  "efs-key-rotation-enabled": true,
  "efs-key-usable": true,
  "efs-backup-enabled": true,
  "efs-policy-not-public": false,
  "efs-guard-tags-audited": false,
};

export const SECURITY_HUB: Partial<Record<ControlId, string[]>> = {
  "efs-encrypted-at-rest": ["EFS.1", "EFS.8"],
  "efs-key-rotation-enabled": ["KMS.4"],
  "efs-key-usable": ["KMS.3"],
  "efs-backup-enabled": ["EFS.7"],
  "efs-nfs-ingress-restricted": ["EC2.18"],
};

export function isControlId(value: string): value is ControlId {
  return (CONTROL_IDS as readonly string[]).includes(value);
}

/** The tag namespace of EFS Guard: exemptions, migration records. Every change in it is alerted. */
export const GUARD_TAG_PREFIX = "efs-guard:";
