/**
 * The names a hub's migration of a member's file system relies on, shared by the member template (infra/member-stack.ts,
 * which creates them in every member) and the migration steps (which assume and pass them).
 * - `<memberRoleName>-migration`: the role the hub's migration steps assume in the member; only the hub's migration
 *   step roles may (trust on their ARNs, aws:PrincipalOrgID). It is not the guards' member role: the guard
 *   functions judge attacker-influenced events and must not hold CreateFileSystem, StartRestoreJob or iam:PassRole.
 * - `<memberRoleName>-backup`: the role AWS Backup uses in the member for the safety backup and the restore (AWS
 *   Backup takes a role of the account that owns the vault).
 * The vault (MIGRATION_VAULT_NAME) and its key (alias/efs-guard-migration) exist in every member region.
 */

/** IAM's limit on a role name (IAM User Guide, IAM and AWS STS quotas). */
const ROLE_NAME_MAX = 64;

export const MEMBER_MIGRATION_ROLE_SUFFIX = "-migration";
export const MEMBER_BACKUP_ROLE_SUFFIX = "-backup";

export function memberMigrationRoleName(memberRoleName: string): string {
  return withinLimit(`${memberRoleName}${MEMBER_MIGRATION_ROLE_SUFFIX}`);
}

export function memberBackupRoleName(memberRoleName: string): string {
  return withinLimit(`${memberRoleName}${MEMBER_BACKUP_ROLE_SUFFIX}`);
}

export function memberBackupRoleArn(partition: string, account: string, memberRoleName: string): string {
  return `arn:${partition}:iam::${account}:role/${memberBackupRoleName(memberRoleName)}`;
}

function withinLimit(name: string): string {
  // The schema keeps memberRoleName to 54 characters, so this holds for every valid configuration.
  if (name.length > ROLE_NAME_MAX) throw new Error(`the role name ${name} is longer than IAM's ${ROLE_NAME_MAX}`);
  return name;
}
