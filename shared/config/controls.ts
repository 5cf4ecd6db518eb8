/** The controls catalog (design section 1, issue 15): ids, default modes, which can remediate, Security Hub. */
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
  "efs-iam-authorization-required",
  "efs-root-access-restricted",
  "efs-mount-target-private",
  "efs-access-point-enforced",
  "efs-key-policy-restricted",
  "efs-replica-encrypted",
  "efs-clients-use-tls",
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
  "efs-iam-authorization-required": "alert",
  "efs-root-access-restricted": "alert",
  "efs-mount-target-private": "alert",
  "efs-access-point-enforced": "alert",
  "efs-key-policy-restricted": "alert",
  "efs-replica-encrypted": "alert",
  "efs-clients-use-tls": "alert",
};

/**
 * Controls of issue 15 whose evaluators exist but that no function evaluates yet (no trigger, no sweep path): their
 * mode is "off" and the schema refuses any other, so that no deployment believes it is guarded by them.
 */
export const NOT_YET_EVALUATED: ReadonlySet<ControlId> = new Set<ControlId>([]);

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
  "efs-iam-authorization-required": false,
  "efs-root-access-restricted": false,
  "efs-mount-target-private": false,
  "efs-access-point-enforced": false,
  "efs-key-policy-restricted": false,
  "efs-replica-encrypted": false,
  "efs-clients-use-tls": false,
};

/**
 * AWS Security Hub (CSPM) controls each EFS Guard control covers, as the Security Hub user guide numbers them:
 * EFS.1/EFS.8 encrypted at rest, EFS.3 access points enforce a root directory, EFS.4 access points enforce a user
 * identity, EFS.6 mount targets not in subnets that assign public IPs, EFS.7 automatic backups, KMS.3 keys not
 * scheduled for deletion, KMS.4 rotation, KMS.5 keys not publicly accessible, EC2.18 unrestricted ingress (here for
 * port 2049). A replica is a file system: EFS.8 applies to the destination. The others have no Security Hub twin.
 */
export const SECURITY_HUB: Partial<Record<ControlId, string[]>> = {
  "efs-encrypted-at-rest": ["EFS.1", "EFS.8"],
  "efs-key-rotation-enabled": ["KMS.4"],
  "efs-key-usable": ["KMS.3"],
  "efs-backup-enabled": ["EFS.7"],
  "efs-nfs-ingress-restricted": ["EC2.18"],
  "efs-access-point-enforced": ["EFS.3", "EFS.4"],
  "efs-mount-target-private": ["EFS.6"],
  "efs-key-policy-restricted": ["KMS.5"],
  "efs-replica-encrypted": ["EFS.8"],
};

export function isControlId(value: string): value is ControlId {
  return (CONTROL_IDS as readonly string[]).includes(value);
}

/** The tag namespace of EFS Guard: exemptions, migration records. Every change in it is alerted. */
export const GUARD_TAG_PREFIX = "efs-guard:";
