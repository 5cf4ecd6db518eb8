import type { BackupClient } from "@aws-sdk/client-backup";
import type { EFSClient } from "@aws-sdk/client-efs";
import { type AccountAccess, accountAccess, type ClientSettings, partitionOfArn } from "../aws/accounts.js";
import type { GuardConfig } from "../config/schema.js";
import { type MigrationBase, type PerRegion, refuse } from "./deps.js";
import { memberBackupRoleArn, memberMigrationRoleName } from "./member.js";
import type { MigrationState } from "./types.js";

/**
 * The migration of a member's file system (state.account, docs/organizations.md): the step's member-side clients
 * (EFS, Backup) act in the member with the credentials of its migration role (shared/migration/member.ts), and AWS
 * Backup gets the member's backup role (AWS Backup takes a role of the vault's account). Hub-side calls (Step
 * Functions, SNS, the record key's KMS) keep the step's own role: only the clients named here are replaced.
 */
export interface MemberFactories {
  efs?: (settings: ClientSettings) => EFSClient;
  backup?: (settings: ClientSettings) => BackupClient;
}

/** The account in the step function's ARN (as shared/pipeline/handler.ts; not imported: the pipeline is not in the bundle). */
function accountOfFunctionArn(arn: string): string | undefined {
  return /^arn:[a-z-]+:lambda:[a-z0-9-]+:(\d{12}):function:/.exec(arn)?.[1];
}

type StepClients = MigrationBase & { efs?: PerRegion<EFSClient>; backup?: PerRegion<BackupClient> };

/** Refuses an account the hub's workflow does not migrate in: none without an organization block, and only listed ones. */
export function requireCoveredAccount(account: string, config: GuardConfig): NonNullable<GuardConfig["organization"]> {
  const org = config.organization;
  if (!/^\d{12}$/.test(account)) refuse(`the execution input names no account id (got ${JSON.stringify(account)})`);
  if (!org) {
    refuse(
      `the file system is in account ${account}, and there is no organization block: the hub migrates only in its organization's accounts`,
    );
  }
  if (org.accounts.length > 0 && !org.accounts.includes(account)) {
    refuse(`the account ${account} is not in organization.accounts: the hub migrates only in those accounts`);
  }
  return org;
}

/**
 * The deps of one step for the state's account: unchanged for the hub's own file system (no account, or the
 * function's own); for a member's, its clients in the member. One AccountAccess per container (the step's session
 * name `efs-guard-migration-<step>`, what the member's CloudTrail records), its credentials cached by account.
 * The factories must be the same functions on every call (clients are created once per factory, account, region).
 */
export function memberStepDeps(step: string, factories: MemberFactories) {
  let access: AccountAccess | undefined;
  return <D extends StepClients>(deps: D, state: MigrationState, functionArn: string): D => {
    const account = state.account;
    const home = accountOfFunctionArn(functionArn);
    if (account === undefined || account === home) return deps;
    const org = requireCoveredAccount(account, deps.config);
    const partition = partitionOfArn(functionArn);
    if (!home || !partition) throw new Error(`cannot tell the function's account and partition from ${functionArn}`);
    access ??= accountAccess({
      homeAccount: home,
      partition,
      region: functionArn.split(":")[3] ?? deps.homeRegion,
      roleName: memberMigrationRoleName(org.memberRoleName),
      sessionName: `efs-guard-migration-${step}`,
    });
    const member = access;
    return {
      ...deps,
      ...(factories.efs && deps.efs ? { efs: member.clients(account, factories.efs) } : {}),
      ...(factories.backup && deps.backup ? { backup: member.clients(account, factories.backup) } : {}),
      backupRoleArn: memberBackupRoleArn(partition, account, org.memberRoleName),
    };
  };
}
