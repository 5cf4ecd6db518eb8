import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import { type KmsKeyState, keyResource, listFileSystems, otherAccountNote } from "./kms-key-state.js";
import type { Finding } from "./types.js";

/**
 * efs-key-rotation-enabled: every customer managed key that encrypts a file system rotates its key material
 * automatically, at least as often as `rotationPeriodInDays`.
 *
 * The period is read as a maximum: a key that rotates more often than configured is compliant (it is stricter than
 * the policy); a key that rotates less often is non-compliant (low severity: it does rotate) and the remediation
 * sets the configured period. Rotation off is medium, as Security Hub rates KMS.4.
 */
export const CONTROL = "efs-key-rotation-enabled" as const;
/** AWS's period when EnableKeyRotation is called without one. */
export const AWS_DEFAULT_PERIOD = 365;

/** Why automatic rotation does not apply to this key, or undefined when it does (then its status must be read). */
export function rotationNotApplicable(state: KmsKeyState): string | undefined {
  if (state.keyManager !== "CUSTOMER") {
    return `${state.keyId} is an AWS managed key: AWS rotates it every year and its rotation cannot be changed`;
  }
  if (state.fileSystems.length === 0) return `${state.keyId} encrypts no EFS file system in ${state.region}`;
  if ((state.keySpec ?? "SYMMETRIC_DEFAULT") !== "SYMMETRIC_DEFAULT") {
    return `${state.keyId} is a ${state.keySpec} key: KMS rotates only symmetric encryption keys automatically`;
  }
  if ((state.origin ?? "AWS_KMS") !== "AWS_KMS") {
    return `${state.keyId} has key material from ${state.origin}: KMS cannot rotate it automatically (rotate it on demand)`;
  }
  if (state.multiRegionKeyType === "REPLICA") {
    return `${state.keyId} is a multi-Region replica: its rotation follows the primary key`;
  }
  if (state.keyState !== "Enabled") {
    return `${state.keyId} is ${state.keyState}: KMS refuses rotation changes in that state (efs-key-usable reports it)`;
  }
  return undefined;
}

export function evaluate(state: KmsKeyState, config: GuardConfig, _clock: Clock): Finding {
  const resource = keyResource(state);
  const notApplicable = rotationNotApplicable(state);
  if (notApplicable !== undefined) {
    return {
      control: CONTROL,
      resource,
      verdict: "not-applicable",
      severity: "info",
      summary: notApplicable,
      evidence: {},
    };
  }
  const wanted = config.rotationPeriodInDays;
  const rotation = state.rotation ?? { enabled: false };
  const current = rotation.enabled ? (rotation.periodInDays ?? AWS_DEFAULT_PERIOD) : undefined;
  const evidence = {
    keyArn: state.arn,
    fileSystems: state.fileSystems,
    rotationEnabled: rotation.enabled,
    ...(current !== undefined ? { rotationPeriodInDays: current } : {}),
    ...(rotation.nextRotationDate ? { nextRotationDate: rotation.nextRotationDate } : {}),
    requiredRotationPeriodInDays: wanted,
    ...(state.crossAccount ? { keyAccount: state.account } : {}),
  };
  const fs = listFileSystems(state.fileSystems);
  if (current !== undefined && current <= wanted) {
    return {
      control: CONTROL,
      resource,
      verdict: "compliant",
      severity: "info",
      summary: `${state.keyId} rotates every ${current} days (at most ${wanted} required)`,
      evidence,
    };
  }
  if (state.crossAccount) {
    // No plan: EnableKeyRotation is not a cross-account operation. The alert asks the key's owner.
    return {
      control: CONTROL,
      resource,
      verdict: "non-compliant",
      severity: current === undefined ? "medium" : "low",
      summary:
        current === undefined
          ? `automatic rotation is off on ${state.keyId}, the customer managed key of ${fs}${otherAccountNote(state)} turn it on (every ${wanted} days at most)`
          : `${state.keyId}, the customer managed key of ${fs}, rotates every ${current} days, less often than the required ${wanted}${otherAccountNote(state)} shorten it`,
      evidence,
    };
  }
  const plan = {
    kind: "enable-key-rotation" as const,
    keyId: state.keyId,
    keyArn: state.arn,
    rotationPeriodInDays: wanted,
    ...(current !== undefined ? { previousPeriodInDays: current } : {}),
  };
  if (current === undefined) {
    return {
      control: CONTROL,
      resource,
      verdict: "non-compliant",
      severity: "medium",
      summary: `automatic rotation is off on ${state.keyId}, the customer managed key of ${fs}`,
      evidence,
      ...(state.tags ? { tags: state.tags } : {}),
      plan: {
        ...plan,
        describe: `enable automatic rotation of ${state.keyId} every ${wanted} days`,
        done: `enabled automatic rotation of ${state.keyId} every ${wanted} days`,
        undo: `To turn rotation off again: \`aws kms disable-key-rotation --key-id ${state.keyId} --region ${state.region}\`, then exempt the key or EFS Guard will enable it again.`,
      },
    };
  }
  return {
    control: CONTROL,
    resource,
    verdict: "non-compliant",
    severity: "low",
    summary: `${state.keyId}, the customer managed key of ${fs}, rotates every ${current} days, less often than the required ${wanted}`,
    evidence,
    ...(state.tags ? { tags: state.tags } : {}),
    plan: {
      ...plan,
      describe: `set the rotation period of ${state.keyId} from ${current} to ${wanted} days`,
      done: `set the rotation period of ${state.keyId} from ${current} to ${wanted} days`,
      undo: `To restore the previous period: \`aws kms enable-key-rotation --key-id ${state.keyId} --rotation-period-in-days ${current} --region ${state.region}\`, then exempt the key.`,
    },
  };
}
