import type { EFSClient } from "@aws-sdk/client-efs";
import type { KMSClient } from "@aws-sdk/client-kms";
import { KMS_KEY_EVENTS } from "../../events/patterns.js";
import { efsClient } from "../aws/efs.js";
import { encryptedBy, type FileSystemKey, listFileSystemKeys } from "../aws/efs-list.js";
import {
  describeKey,
  enableKeyRotation,
  type KeyDescription,
  keyPolicy,
  keyTags,
  kmsClient,
  type RotationStatus,
  restoreKey,
  rotationStatus,
  unreadable,
} from "../aws/kms.js";
import type { ControlId } from "../config/controls.js";
import type { GuardConfig } from "../config/schema.js";
import * as keyPolicyControl from "../controls/key-policy-restricted.js";
import * as rotation from "../controls/key-rotation-enabled.js";
import * as usable from "../controls/key-usable.js";
import { accountOfKeyArn, type KmsKeyState, notAssessable } from "../controls/kms-key-state.js";
import type { Finding } from "../controls/types.js";
import { SOURCES, type Trigger } from "../events/triggers.js";
import { mapLimit, type Settled, settle } from "../pipeline/concurrency.js";
import type { Guard, Origin } from "../pipeline/types.js";
import type { Clock } from "../runtime/clock.js";
import { logger } from "../runtime/logger.js";

export interface KmsKeyClients {
  kms: (region: string) => KMSClient;
  efs: (region: string) => EFSClient;
}

const defaultClients: KmsKeyClients = { kms: kmsClient, efs: efsClient };

/** The controls `only` names (all three when undefined) that are not off. */
function enabledControls(config: GuardConfig, only?: readonly string[]) {
  const on = (control: string) => config.modes[control as ControlId] !== "off" && (!only || only.includes(control));
  return { rotation: on(rotation.CONTROL), usable: on(usable.CONTROL), policy: on(keyPolicyControl.CONTROL) };
}

const anyOn = (on: ReturnType<typeof enabledControls>) => on.rotation || on.usable || on.policy;

export interface KeyReadOptions {
  /** The account the guard runs in: from the trigger (inventory) or the event's envelope. */
  homeAccount?: string | undefined;
  /**
   * The rotation status will most likely be needed (not after DisableKey or ScheduleKeyDeletion, which leave the
   * key in a state where rotation does not apply): read it together with the key instead of after it.
   */
  rotationLikely: boolean;
  /** The region's file systems with their keys, when already listed (or being listed). */
  fileSystems?: Promise<FileSystemKey[]> | FileSystemKey[];
  /** The sweep's: DescribeKey and GetKeyRotationStatus read once per key for every guard (shared/aws/inventory.ts). */
  describe?: typeof describeKey;
  rotation?: typeof rotationStatus;
  /** The sweep's: GetKeyPolicy read once per key (shared/aws/inventory.ts). */
  policy?: typeof keyPolicy;
  /** The controls to evaluate (default: all three): those the event can have changed (CONTROLS_BY_EVENT). */
  controls?: readonly string[];
}

/**
 * Reads one key the way both key controls need it, the independent reads at the same time: DescribeKey (resolves an
 * id, ARN or alias to the key), the region's file systems (DescribeFileSystems, one call per 100 file systems:
 * which of them the key encrypts) and, when rotation will most likely matter and the key is named by id or ARN,
 * GetKeyRotationStatus; otherwise the rotation status after DescribeKey, only when the rotation control applies.
 * The key's tags come last, only when there is something to exempt.
 *
 * Keys of another account: KMS allows DescribeKey and GetKeyRotationStatus across accounts (with the key ARN) and no
 * write, nor ListResourceTags. A key of an account in `keyAccounts` is read that way and alerted on without a plan;
 * any other account's key is reported as not assessable, naming its account, without a call to KMS. A key whose
 * policy refuses the guard is not assessable too: never an error that Lambda would retry into the dead-letter queue.
 */
export async function assessKey(
  clients: { kms: KMSClient; efs: EFSClient },
  ref: string,
  region: string,
  config: GuardConfig,
  clock: Clock,
  options: KeyReadOptions,
): Promise<Finding[]> {
  const on = enabledControls(config, options.controls);
  if (!anyOn(on)) return [];
  const first = on.usable ? usable.CONTROL : on.rotation ? rotation.CONTROL : keyPolicyControl.CONTROL;
  const refAccount = accountOfKeyArn(ref);
  const home = options.homeAccount;
  const foreign = refAccount !== undefined && home !== undefined && refAccount !== home;
  const listing = Promise.resolve(options.fileSystems ?? listFileSystemKeys(clients.efs));

  if (foreign && !config.keyAccounts.includes(refAccount)) {
    const fileSystems = encryptedBy(await listing, ref);
    if (fileSystems.length === 0) return [];
    const why = `it belongs to account ${refAccount}, which is not in keyAccounts; EFS Guard reads keys of another account only for the accounts listed there (and their key policies must let it)`;
    return [notAssessable(first, { arn: ref, account: refAccount, region, fileSystems }, why)];
  }

  const alias = ref.startsWith("alias/") || ref.includes(":alias/");
  const early = on.rotation && options.rotationLikely && !alias;
  const readRotation = options.rotation ?? rotationStatus;
  const readPolicy = options.policy ?? keyPolicy;
  // GetKeyPolicy is not a cross-account operation: read alongside DescribeKey only for a key of this account.
  const earlyPolicy = on.policy && !alias && !foreign;
  const [described, all, earlyRotation, earlyKeyPolicy] = await Promise.all([
    settle((options.describe ?? describeKey)(clients.kms, ref)),
    listing,
    early ? settle(readRotation(clients.kms, ref)) : Promise.resolve(undefined),
    earlyPolicy ? settle(readPolicy(clients.kms, ref)) : Promise.resolve(undefined),
  ]);
  if ("error" in described) {
    const why = unreadable(described.error);
    if (!why) throw described.error;
    const fileSystems = refAccount ? encryptedBy(all, ref) : [];
    return [
      notAssessable(first, { arn: ref, ...(refAccount ? { account: refAccount } : {}), region, fileSystems }, why),
    ];
  }
  const key = described.value;
  if (!key) {
    if (foreign) {
      const why = `KMS answers that it does not exist (NotFoundException); a key of another account is also hidden that way`;
      return [notAssessable(first, { arn: ref, account: refAccount, region, fileSystems: encryptedBy(all, ref) }, why)];
    }
    logger.info("key not found", { keyId: ref, region });
    return [];
  }
  const crossAccount = foreign || (home !== undefined && key.account !== undefined && key.account !== home);
  const state = keyState(key, region, key.keyManager === "CUSTOMER" ? encryptedBy(all, key.arn) : [], crossAccount);

  const findings: Finding[] = [];
  if (on.usable) findings.push(usable.evaluate(state, config, clock));
  if (on.rotation) {
    let status: Settled<RotationStatus> | undefined;
    if (rotation.rotationNotApplicable(state) === undefined) {
      // The key ARN, which KMS needs for a key of another account and accepts for any.
      status = earlyRotation ?? (await settle(readRotation(clients.kms, key.arn)));
    }
    if (status && "error" in status) {
      const why = unreadable(status.error);
      if (!why) throw status.error;
      findings.push(
        notAssessable(
          rotation.CONTROL,
          { arn: key.arn, account: key.account, region, fileSystems: state.fileSystems },
          why,
        ),
      );
    } else {
      if (status) state.rotation = status.value;
      findings.push(rotation.evaluate(state, config, clock));
    }
  }
  if (on.policy) findings.push(await assessPolicy(clients.kms, state, config, clock, earlyKeyPolicy, readPolicy));
  // ListResourceTags is not a cross-account operation: another account's key has no readable exemption tags.
  if (!crossAccount && findings.some((f) => f.verdict === "non-compliant" && f.evidence.assessable !== false)) {
    const tags = await keyTags(clients.kms, key.keyId);
    for (const f of findings) if (f.verdict === "non-compliant") f.tags = tags;
  }
  return findings;
}

/**
 * efs-key-policy-restricted on the key's policy as KMS returns it now. Only a customer managed key that encrypts a
 * file system is read (the evaluator answers not-applicable otherwise, without a call). Another account's key: KMS
 * does not serve GetKeyPolicy across accounts, so who may decrypt cannot be verified from here (not assessable,
 * like a key whose policy refuses the guard).
 */
async function assessPolicy(
  kms: KMSClient,
  state: KmsKeyState,
  config: GuardConfig,
  clock: Clock,
  early: Settled<string | undefined> | undefined,
  read: typeof keyPolicy,
): Promise<Finding> {
  if (state.keyManager !== "CUSTOMER" || state.fileSystems.length === 0) {
    return keyPolicyControl.evaluate(state, config, clock);
  }
  const key = { arn: state.arn, ...(state.account ? { account: state.account } : {}), region: state.region };
  if (state.crossAccount) {
    const why = `KMS does not serve GetKeyPolicy across accounts, so who may decrypt cannot be verified from here; run EFS Guard in account ${state.account ?? "(unknown)"}, which owns the key`;
    return notAssessable(keyPolicyControl.CONTROL, { ...key, fileSystems: state.fileSystems }, why);
  }
  const policy = early ?? (await settle(read(kms, state.arn)));
  if ("error" in policy) {
    const why = unreadable(policy.error);
    if (!why) throw policy.error;
    return notAssessable(keyPolicyControl.CONTROL, { ...key, fileSystems: state.fileSystems }, why);
  }
  return keyPolicyControl.evaluate({ ...state, ...(policy.value ? { policy: policy.value } : {}) }, config, clock);
}

function keyState(key: KeyDescription, region: string, fileSystems: string[], crossAccount: boolean): KmsKeyState {
  return {
    keyId: key.keyId,
    arn: key.arn,
    region,
    keyManager: key.keyManager,
    keyState: key.keyState,
    fileSystems,
    ...(key.account ? { account: key.account } : {}),
    ...(key.keySpec ? { keySpec: key.keySpec } : {}),
    ...(key.origin ? { origin: key.origin } : {}),
    ...(key.multiRegionKeyType ? { multiRegionKeyType: key.multiRegionKeyType } : {}),
    ...(key.deletionDate ? { deletionDate: key.deletionDate } : {}),
    ...(crossAccount ? { crossAccount } : {}),
  };
}

/**
 * The customer managed keys that encrypt the file systems, as the inventory's triggers, in ARN order: one
 * DescribeKey per distinct key (KeyManager), never per file system.
 */
export async function keyTriggers(
  all: readonly FileSystemKey[],
  describe: (arn: string) => Promise<KeyDescription | undefined>,
): Promise<Trigger[]> {
  const owners = new Map<string, string | undefined>();
  for (const fs of all) if (fs.encrypted && fs.kmsKeyId) owners.set(fs.kmsKeyId, fs.ownerId);
  const arns = [...owners.keys()].sort();
  const keep = await mapLimit(arns, 4, async (arn) => {
    const home = owners.get(arn);
    // Another account's key is customer managed (an AWS managed key serves only its own account) and is
    // assessed (or reported as not assessable) without being described twice.
    if (home !== undefined && accountOfKeyArn(arn) !== home) return true;
    try {
      return (await describe(arn))?.keyManager === "CUSTOMER";
    } catch (error) {
      if (unreadable(error)) return true; // assess reports it as not assessable
      throw error;
    }
  });
  return arns
    .filter((_, i) => keep[i])
    .map((arn) => {
      const homeAccount = owners.get(arn);
      return { type: "kms-key" as const, keyId: arn, ...(homeAccount ? { homeAccount } : {}) };
    });
}

/**
 * The controls an event can have changed, where that saves a read: the key policy (GetKeyPolicy) is not read after a
 * rotation or key-state change, nor the rotation status (GetKeyRotationStatus) after PutKeyPolicy. DescribeKey
 * answers efs-key-usable with no call of its own, so it is evaluated on every key event. CreateFileSystem (a key
 * newly in scope) evaluates usable and rotation (ON_NEW_FILE_SYSTEM), the sweep all three.
 */
/**
 * A new file system's key: usable and rotation, not its policy. Those two already cost the path its budget of 3 reads
 * (DescribeFileSystems, DescribeKey, GetKeyRotationStatus; bench/budgets.json); GetKeyPolicy would be a fourth. The
 * policy is judged when it changes (PutKeyPolicy), by the daily sweep, and for a new file system by the access function
 * (shared/guards/efs-access.ts assessNewFileSystemKey), which reads that file system anyway.
 */
const ON_NEW_FILE_SYSTEM: readonly string[] = [usable.CONTROL, rotation.CONTROL];

const CONTROLS_BY_EVENT: Record<string, readonly string[]> = {
  [`${SOURCES.kms}:DisableKeyRotation`]: [usable.CONTROL, rotation.CONTROL],
  [`${SOURCES.kms}:DisableKey`]: [usable.CONTROL, rotation.CONTROL],
  [`${SOURCES.kms}:ScheduleKeyDeletion`]: [usable.CONTROL, rotation.CONTROL],
  [`${SOURCES.kms}:PutKeyPolicy`]: [usable.CONTROL, keyPolicyControl.CONTROL],
};

/** Events after which the key is disabled or pending deletion, where automatic rotation does not apply. */
const ROTATION_UNLIKELY = new Set([`${SOURCES.kms}:DisableKey`, `${SOURCES.kms}:ScheduleKeyDeletion`]);

function homeAccountOf(trigger: Trigger, origin: Origin | undefined): string | undefined {
  if (trigger.type === "kms-key" && trigger.homeAccount) return trigger.homeAccount;
  if (origin?.kind === "event") return origin.event.account;
  return origin?.account;
}

/**
 * The key guard: efs-key-usable, efs-key-rotation-enabled and efs-key-policy-restricted, for the customer managed
 * keys that encrypt file systems. The controls are evaluated on the key's current state (the event is a trigger, not
 * the truth): a DisableKeyRotation on a key that is also disabled reports both; a PutKeyPolicy is judged on the
 * policy GetKeyPolicy returns, never on the event's copy.
 */
export function kmsKeyGuard(clients: KmsKeyClients = defaultClients): Guard {
  return {
    name: "kms-key",
    controls: [usable.CONTROL, rotation.CONTROL, keyPolicyControl.CONTROL],
    events: KMS_KEY_EVENTS,
    async assess(trigger: Trigger, region: string, config: GuardConfig, clock: Clock, origin?: Origin) {
      if (!anyOn(enabledControls(config))) return [];
      const kms = clients.kms(region);
      const efs = clients.efs(region);
      const homeAccount = homeAccountOf(trigger, origin);
      if (trigger.type === "kms-key") {
        const event = origin?.kind === "event" ? `${origin.event.eventSource}:${origin.event.eventName}` : "";
        const controls = CONTROLS_BY_EVENT[event];
        return assessKey({ kms, efs }, trigger.keyId, region, config, clock, {
          homeAccount,
          rotationLikely: !ROTATION_UNLIKELY.has(event),
          ...(controls ? { controls } : {}),
        });
      }
      if (trigger.type !== "file-system") return [];
      // The event names the file system; DescribeFileSystems (all of them: the key's other file systems are needed
      // too) says which key encrypts it. EFS's answer in the event names the key already: it is read meanwhile,
      // and counts only if DescribeFileSystems agrees.
      const listing = listFileSystemKeys(efs);
      const hint = trigger.kmsKeyArn;
      const hinted =
        hint && homeAccount
          ? assessKey({ kms, efs }, hint, region, config, clock, {
              homeAccount,
              rotationLikely: true,
              fileSystems: listing,
              controls: ON_NEW_FILE_SYSTEM,
            })
          : undefined;
      hinted?.catch(() => undefined); // awaited below when the hint holds; its failure otherwise means nothing
      const all = await listing;
      const fs = all.find((f) => f.fileSystemId === trigger.fileSystemId);
      // Unencrypted or gone: no key to guard (efs-encrypted-at-rest looks after unencrypted file systems).
      if (!fs?.encrypted || !fs.kmsKeyId) return [];
      if (hinted && fs.kmsKeyId === hint) return hinted;
      return assessKey({ kms, efs }, fs.kmsKeyId, region, config, clock, {
        homeAccount: homeAccount ?? fs.ownerId,
        rotationLikely: true,
        fileSystems: all,
        controls: ON_NEW_FILE_SYSTEM,
      });
    },
    async inventory(region: string, config: GuardConfig) {
      if (!anyOn(enabledControls(config))) return [];
      const kms = clients.kms(region);
      return keyTriggers(await listFileSystemKeys(clients.efs(region)), (arn) => describeKey(kms, arn));
    },
    async remediate(plan, region) {
      const kms = clients.kms(region);
      if (plan.kind === "enable-key-rotation") return enableKeyRotation(kms, plan.keyId, plan.rotationPeriodInDays);
      if (plan.kind === "restore-key") return restoreKey(kms, plan.keyId, plan.fromState);
      throw new Error(`kms-key cannot execute ${plan.kind}`);
    },
  };
}
