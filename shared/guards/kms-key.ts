import type { EFSClient } from "@aws-sdk/client-efs";
import type { KMSClient } from "@aws-sdk/client-kms";
import { KMS_KEY_EVENTS } from "../../events/patterns.js";
import { efsClient } from "../aws/efs.js";
import { fileSystemKey, fileSystemsEncryptedBy, listFileSystemKeys } from "../aws/efs-list.js";
import { describeKey, enableKeyRotation, keyTags, kmsClient, restoreKey, rotationStatus } from "../aws/kms.js";
import type { GuardConfig } from "../config/schema.js";
import * as rotation from "../controls/key-rotation-enabled.js";
import * as usable from "../controls/key-usable.js";
import type { KmsKeyState } from "../controls/kms-key-state.js";
import type { Finding } from "../controls/types.js";
import type { Trigger } from "../events/triggers.js";
import { mapLimit } from "../pipeline/concurrency.js";
import type { Guard } from "../pipeline/types.js";
import type { Clock } from "../runtime/clock.js";
import { logger } from "../runtime/logger.js";

export interface KmsKeyClients {
  kms: (region: string) => KMSClient;
  efs: (region: string) => EFSClient;
}

const defaultClients: KmsKeyClients = { kms: kmsClient, efs: efsClient };

function enabledControls(config: GuardConfig) {
  return {
    rotation: config.modes[rotation.CONTROL] !== "off",
    usable: config.modes[usable.CONTROL] !== "off",
  };
}

/**
 * Reads one key the way both key controls need it: DescribeKey (resolves an id, ARN or alias to the key), the file
 * systems it encrypts (DescribeFileSystems, one call per 100 file systems), the rotation status only when the
 * rotation control applies, and the key's tags only when there is something to exempt.
 */
export async function assessKey(
  clients: { kms: KMSClient; efs: EFSClient },
  keyId: string,
  region: string,
  config: GuardConfig,
  clock: Clock,
): Promise<Finding[]> {
  const on = enabledControls(config);
  if (!on.rotation && !on.usable) return [];
  const key = await describeKey(clients.kms, keyId);
  if (!key) {
    logger.info("key not found", { keyId, region });
    return [];
  }
  const state: KmsKeyState = {
    keyId: key.keyId,
    arn: key.arn,
    region,
    keyManager: key.keyManager,
    keyState: key.keyState,
    // Nobody can disable, delete or change the rotation of an AWS managed key: no need to list file systems for it.
    fileSystems: key.keyManager === "CUSTOMER" ? await fileSystemsEncryptedBy(clients.efs, key.arn) : [],
    ...(key.account ? { account: key.account } : {}),
    ...(key.keySpec ? { keySpec: key.keySpec } : {}),
    ...(key.origin ? { origin: key.origin } : {}),
    ...(key.multiRegionKeyType ? { multiRegionKeyType: key.multiRegionKeyType } : {}),
    ...(key.deletionDate ? { deletionDate: key.deletionDate } : {}),
  };
  if (on.rotation && rotation.rotationNotApplicable(state) === undefined) {
    state.rotation = await rotationStatus(clients.kms, key.keyId);
  }
  const findings: Finding[] = [];
  if (on.usable) findings.push(usable.evaluate(state, config, clock));
  if (on.rotation) findings.push(rotation.evaluate(state, config, clock));
  if (findings.some((f) => f.verdict === "non-compliant")) {
    const tags = await keyTags(clients.kms, key.keyId);
    for (const f of findings) if (f.verdict === "non-compliant") f.tags = tags;
  }
  return findings;
}

/**
 * The key guard: efs-key-usable and efs-key-rotation-enabled, for the customer managed keys that encrypt file
 * systems. Whatever the event, both controls are evaluated on the key's current state (the event is a trigger, not
 * the truth): a DisableKeyRotation on a key that is also disabled reports both.
 */
export function kmsKeyGuard(clients: KmsKeyClients = defaultClients): Guard {
  return {
    name: "kms-key",
    controls: [usable.CONTROL, rotation.CONTROL],
    events: KMS_KEY_EVENTS,
    async assess(trigger: Trigger, region: string, config: GuardConfig, clock: Clock) {
      const on = enabledControls(config);
      if (!on.rotation && !on.usable) return [];
      const kms = clients.kms(region);
      const efs = clients.efs(region);
      if (trigger.type === "kms-key") return assessKey({ kms, efs }, trigger.keyId, region, config, clock);
      if (trigger.type === "file-system") {
        const fs = await fileSystemKey(efs, trigger.fileSystemId);
        // Unencrypted or gone: no key to guard (efs-encrypted-at-rest looks after unencrypted file systems).
        if (!fs?.encrypted || !fs.kmsKeyId) return [];
        return assessKey({ kms, efs }, fs.kmsKeyId, region, config, clock);
      }
      return [];
    },
    async inventory(region: string, config: GuardConfig) {
      const on = enabledControls(config);
      if (!on.rotation && !on.usable) return [];
      const kms = clients.kms(region);
      const arns = [
        ...new Set(
          (await listFileSystemKeys(clients.efs(region)))
            .filter((fs) => fs.encrypted && fs.kmsKeyId)
            .map((fs) => fs.kmsKeyId as string),
        ),
      ].sort();
      const keys = await mapLimit(arns, 4, (arn) => describeKey(kms, arn));
      return keys
        .filter((k) => k !== undefined && k.keyManager === "CUSTOMER")
        .map((k) => ({ type: "kms-key" as const, keyId: k!.arn }));
    },
    async remediate(plan, region) {
      const kms = clients.kms(region);
      if (plan.kind === "enable-key-rotation") return enableKeyRotation(kms, plan.keyId, plan.rotationPeriodInDays);
      if (plan.kind === "restore-key") return restoreKey(kms, plan.keyId);
      throw new Error(`kms-key cannot execute ${plan.kind}`);
    },
  };
}
