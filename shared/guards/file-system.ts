import type { EFSClient } from "@aws-sdk/client-efs";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { FILE_SYSTEM_EVENTS, TLS_ENFORCEMENT_EVENTS } from "../../events/patterns.js";
import {
  backupPolicyStatus,
  describeFileSystem,
  efsClient,
  enableBackups,
  fileSystemPolicy,
  isFileSystemNotFound,
  listFileSystems,
} from "../aws/efs.js";
import { describeKeyFacts, kmsDescribeClient } from "../aws/kms-describe.js";
import { migrationSubject, sfnClient, startMigration } from "../aws/migration.js";
import { replacementFacts } from "../aws/record-mac.js";
import type { ControlId } from "../config/controls.js";
import type { GuardConfig } from "../config/schema.js";
import * as backup from "../controls/backup-enabled.js";
import type { KeyFacts } from "../controls/encrypted-at-rest.js";
import * as encryption from "../controls/encrypted-at-rest.js";
import { type FileSystemFacts, isGone, notApplicable } from "../controls/file-system.js";
import { accountOfKeyArn } from "../controls/kms-key-state.js";
import * as publicPolicy from "../controls/policy-not-public.js";
import * as tls from "../controls/tls-enforced.js";
import type { Finding } from "../controls/types.js";
import { SOURCES, type Trigger } from "../events/triggers.js";
import { type Creator, creatorFrom } from "../migration/approval.js";
import { recordKeyRegion } from "../migration/record.js";
import { settle, unwrap } from "../pipeline/concurrency.js";
import type { Guard, Origin, RemediationOutcome } from "../pipeline/types.js";
import type { Clock } from "../runtime/clock.js";
import { GuardError } from "../runtime/errors.js";
import { enforceTls, gone, type TlsClientLookup } from "./tls-write.js";

export interface FileSystemClients {
  efs: (region: string) => EFSClient;
  kms: (region: string) => KMSClient;
  sfn: (region: string) => SFNClient;
  /**
   * The lookup of the ECS clients the TLS deny would cut off (tlsEnforcement "unless-clients-break"): the sweep's
   * and scan's, which carry the ECS client. The file-system function has none: it leaves efs-tls-enforced on events
   * to the ecs-clients function then (shared/guards/tls-enforcement.ts).
   */
  tlsClients?: (region: string, config: GuardConfig) => TlsClientLookup;
}

export interface FileSystemGuardOptions {
  clients?: FileSystemClients;
  /** The migration workflow's ARN (MIGRATION_STATE_MACHINE_ARN); unset means it is not deployed. */
  migrationStateMachineArn?: string | undefined;
  /** The key that verifies the migration's record on a source (MIGRATION_RECORD_KEY_ARN). */
  recordKeyArn?: string | undefined;
  /**
   * The member account this guard acts in, for the hub's guard of a member (its member role's clients). The hub's
   * migration workflow migrates there (the input's `account`; the steps assume the member's migration role).
   */
  memberAccount?: string | undefined;
}

/**
 * Whether the hub's workflow may migrate a file system of this member account: only with an organization block (the
 * member template then has the migration roles and vault) and, when `organization.accounts` lists the covered
 * accounts, only one of them. Otherwise the remediation declines, saying why (the capture step refuses the same).
 */
export function memberMigrationDeclined(
  fileSystemId: string,
  account: string,
  config: GuardConfig,
): RemediationOutcome | undefined {
  const org = config.organization;
  if (!org) {
    return {
      status: "declined",
      detail: `${fileSystemId} is in account ${account}, and there is no organization block: the hub's workflow migrates only in the accounts of its organization`,
    };
  }
  if (org.accounts.length > 0 && !org.accounts.includes(account)) {
    return {
      status: "declined",
      detail: `${fileSystemId} is in account ${account}, which is not in organization.accounts: the hub's workflow migrates only there`,
    };
  }
  return undefined;
}

const ALL_CONTROLS: ControlId[] = [encryption.CONTROL, tls.CONTROL, backup.CONTROL, publicPolicy.CONTROL];

/**
 * Which controls an event can have changed (design section 1). The sweep and the CLI evaluate all of them; an
 * event only its own, so a backup-policy change does not re-alert on encryption, nor restart a migration.
 */
export const CONTROLS_BY_EVENT: Record<string, ControlId[]> = {
  [`${SOURCES.efs}:CreateFileSystem`]: [encryption.CONTROL, tls.CONTROL, backup.CONTROL],
  [`${SOURCES.efs}:PutFileSystemPolicy`]: [tls.CONTROL, publicPolicy.CONTROL],
  [`${SOURCES.efs}:DeleteFileSystemPolicy`]: [tls.CONTROL],
  [`${SOURCES.efs}:PutBackupPolicy`]: [backup.CONTROL],
};

export function controlsFor(origin: Origin | undefined, config: GuardConfig): ControlId[] {
  if (origin?.kind !== "event") return ALL_CONTROLS;
  const key = `${origin.event.eventSource}:${origin.event.eventName}`;
  const controls = CONTROLS_BY_EVENT[key] ?? ALL_CONTROLS;
  // "unless-clients-break": the ecs-clients function evaluates efs-tls-enforced on these events, after the lookup
  // of the file system's ECS clients (shared/guards/tls-enforcement.ts); one writer per event.
  if (config.tlsEnforcement === "unless-clients-break" && Object.hasOwn(TLS_ENFORCEMENT_EVENTS, key)) {
    return controls.filter((c) => c !== tls.CONTROL);
  }
  return controls;
}

/** No lookup was possible: the evaluator holds the deny back with its "cannot tell" reason. */
const NOT_CHECKED: tls.TlsClientCheck = { checked: 0, truncated: true, clients: [] };

export const defaultFileSystemClients: FileSystemClients = { efs: efsClient, kms: kmsDescribeClient, sfn: sfnClient };

export interface FileSystemHint {
  /** The key ARN in EFS's answer to CreateFileSystem, checked against DescribeFileSystems before it counts. */
  kmsKeyArn?: string | undefined;
  /** The account the guard runs in (the event's envelope). */
  homeAccount?: string | undefined;
  /** The key that verifies the migration's record on a source (MIGRATION_RECORD_KEY_ARN). */
  recordKeyArn?: string | undefined;
  /** The sweep's: the file system as the region's listing shows it, instead of reading it again. */
  listed?: Promise<FileSystemFacts> | undefined;
}

/**
 * Reads one file system for the controls that are asked for, with only the calls they need, all sent at once since
 * each needs nothing but the file system's id: DescribeFileSystems (state, encryption, key id, tags),
 * DescribeFileSystemPolicy for the policy controls, DescribeBackupPolicy for backups, and DescribeKey for an
 * encrypted file system while a customer managed key is required: at once when the event names the key (the hint,
 * used only if DescribeFileSystems reports that very key), else after DescribeFileSystems. A key of another account
 * needs no DescribeKey: it is customer managed, since an AWS managed key serves only the account it belongs to.
 */
export async function assessFileSystem(
  clients: FileSystemClients,
  fileSystemId: string,
  region: string,
  controls: ControlId[],
  config: GuardConfig,
  clock: Clock,
  hint: FileSystemHint = {},
): Promise<Finding[]> {
  const efs = clients.efs(region);
  const needsPolicy = controls.includes(tls.CONTROL) || controls.includes(publicPolicy.CONTROL);
  const needsBackup = controls.includes(backup.CONTROL);
  const wantsKey = controls.includes(encryption.CONTROL) && config.requireCustomerManagedKey;
  const hinted =
    wantsKey && hint.kmsKeyArn && hint.homeAccount && accountOfKeyArn(hint.kmsKeyArn) === hint.homeAccount
      ? hint.kmsKeyArn
      : undefined;
  const [fsRead, policyRead, backupRead, keyRead] = await Promise.all([
    settle(hint.listed ?? describeFileSystem(efs, fileSystemId, region)),
    needsPolicy ? settle(fileSystemPolicy(efs, fileSystemId)) : undefined,
    needsBackup ? settle(backupPolicyStatus(efs, fileSystemId)) : undefined,
    hinted ? settle(describeKeyFacts(clients.kms(region), hinted)) : undefined,
  ]);
  let fs: FileSystemFacts = unwrap(fsRead);
  try {
    if (isGone(fs)) return controls.map((c) => notApplicable(c, fs));
    const policy = policyRead ? unwrap(policyRead) : undefined;
    const findings: Finding[] = [];
    for (const control of controls) {
      switch (control) {
        case tls.CONTROL: {
          // Before the deny is written into a file system with mount targets: its ECS clients without TLS. Without
          // a lookup here, the deny is held back as not checked rather than written blind.
          const lookup = clients.tlsClients?.(region, config);
          const check = tls.needsClientCheck(fs, policy, config)
            ? lookup
              ? await lookup(fs.fileSystemId)
              : NOT_CHECKED
            : undefined;
          findings.push(tls.evaluate({ fileSystem: fs, policy, ...(check ? { clients: check } : {}) }, config, clock));
          break;
        }
        case publicPolicy.CONTROL:
          findings.push(publicPolicy.evaluate({ fileSystem: fs, policy }, config, clock));
          break;
        case backup.CONTROL: {
          const status = backupRead ? unwrap(backupRead) : undefined;
          findings.push(backup.evaluate({ fileSystem: fs, status }, config, clock));
          break;
        }
        case encryption.CONTROL: {
          let key: KeyFacts | undefined;
          if (encryption.needsKey(fs, config) && fs.kmsKeyId) {
            const keyAccount = accountOfKeyArn(fs.kmsKeyId);
            if (keyAccount && fs.account && keyAccount !== fs.account) {
              key = { keyManager: "CUSTOMER", arn: fs.kmsKeyId, account: keyAccount, crossAccount: true };
            } else if (keyRead && hinted === fs.kmsKeyId) {
              key = unwrap(keyRead);
            } else {
              key = await describeKeyFacts(clients.kms(region), fs.kmsKeyId);
            }
          }
          // A source the migration tagged: the tag is checked against the migration's record, never taken as is.
          const replacement = await replacementFacts(
            { efs, kms: clients.kms(hint.recordKeyArn ? recordKeyRegion(hint.recordKeyArn, region) : region) },
            hint.recordKeyArn,
            fs,
          );
          findings.push(
            encryption.evaluate(
              { fileSystem: fs, ...(key ? { key } : {}), ...(replacement ? { replacement } : {}) },
              config,
              clock,
            ),
          );
          break;
        }
      }
    }
    return findings;
  } catch (error) {
    // Deleted between two reads: nothing to evaluate any more.
    if (!isFileSystemNotFound(error)) throw error;
    fs = { fileSystemId, region, lifeCycleState: "missing" };
    return controls.map((c) => notApplicable(c, fs));
  }
}

async function turnOnBackups(efs: EFSClient, fileSystemId: string): Promise<RemediationOutcome> {
  try {
    const now = await backupPolicyStatus(efs, fileSystemId);
    if (now === "ENABLED" || now === "ENABLING") {
      return { status: "already-done", detail: `automatic backups are already ${now.toLowerCase()}` };
    }
    const status = await enableBackups(efs, fileSystemId);
    if (status !== "ENABLED" && status !== "ENABLING") {
      throw new GuardError("REMEDIATION_FAILED", `PutBackupPolicy answered status ${status ?? "(none)"}`);
    }
    return { status: "done", detail: `backup policy ${status}` };
  } catch (error) {
    if (isFileSystemNotFound(error)) return gone(fileSystemId);
    throw error;
  }
}

/**
 * The creator of a file system, when the CreateFileSystem record itself is what started the remediation (the
 * record is written by CloudTrail; its userIdentity is who called). Other events and the sweep do not know it.
 */
export function creatorOf(origin: Origin | undefined, fileSystemId: string): Creator | undefined {
  if (origin?.kind !== "event") return undefined;
  const { event } = origin;
  if (`${event.eventSource}:${event.eventName}` !== `${SOURCES.efs}:CreateFileSystem`) return undefined;
  if (event.responseElements.fileSystemId !== fileSystemId) return undefined;
  return creatorFrom(event.actor, event.eventId);
}

export function fileSystemGuard(options: FileSystemGuardOptions = {}): Guard {
  const clients = options.clients ?? defaultFileSystemClients;
  return {
    name: "file-system",
    controls: ALL_CONTROLS,
    events: FILE_SYSTEM_EVENTS,
    async assess(trigger: Trigger, region: string, config: GuardConfig, clock: Clock, origin?: Origin) {
      if (trigger.type !== "file-system") return [];
      const controls = controlsFor(origin, config).filter((c) => config.modes[c] !== "off");
      if (controls.length === 0) return [];
      return assessFileSystem(clients, trigger.fileSystemId, region, controls, config, clock, {
        kmsKeyArn: trigger.kmsKeyArn,
        homeAccount: origin?.kind === "event" ? origin.event.account : origin?.account,
        recordKeyArn: options.recordKeyArn,
      });
    },
    async inventory(region: string, config: GuardConfig) {
      if (ALL_CONTROLS.every((c) => config.modes[c] === "off")) return [];
      const all = await listFileSystems(clients.efs(region), region);
      return all
        .filter((fs) => !isGone(fs))
        .map((fs) => ({ type: "file-system" as const, fileSystemId: fs.fileSystemId }));
    },
    async remediate(plan, region, config, origin) {
      switch (plan.kind) {
        case "put-file-system-policy":
          return enforceTls(clients.efs(region), plan);
        case "put-backup-policy":
          return turnOnBackups(clients.efs(region), plan.fileSystemId);
        case "start-migration": {
          const account = options.memberAccount;
          const declined = account ? memberMigrationDeclined(plan.fileSystemId, account, config) : undefined;
          if (declined) return declined;
          const createdBy = creatorOf(origin, plan.fileSystemId);
          // The workflow runs in the home region for every guarded region (docs/migration.md): its client
          // is the state machine's region, the file system's region goes in the input.
          const home = options.migrationStateMachineArn?.split(":")[3] || region;
          const started = await startMigration(clients.sfn(home), options.migrationStateMachineArn, {
            fileSystemId: plan.fileSystemId,
            region,
            reason: plan.reason,
            requestedBy: "efs-guard efs-encrypted-at-rest",
            ...(createdBy ? { createdBy } : {}),
            subject: migrationSubject({
              fileSystemId: plan.fileSystemId,
              reason: plan.reason,
              // The key this region's migration would use (the home region's, or regionKmsKeyArns).
              kmsKeyArn: region === home ? config.kmsKeyArn : config.regionKmsKeyArns[region],
              strategy: config.migrationStrategy,
            }),
            ...(plan.severity ? { severity: plan.severity } : {}),
            ...(account ? { account } : {}),
          });
          const outcome = started.migration === "succeeded" ? "cut-over-pending" : "migration-started";
          return { status: started.status, detail: started.detail, outcome };
        }
        default:
          throw new Error(`the file-system guard cannot execute ${plan.kind}`);
      }
    },
  };
}
