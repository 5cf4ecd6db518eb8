import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import { type KmsKeyState, keyResource, listFileSystems, otherAccountNote } from "./kms-key-state.js";
import type { Finding } from "./types.js";

/**
 * efs-key-usable: no key that encrypts a file system is disabled or pending deletion. EFS cannot decrypt a file
 * system whose key is unusable: clients lose access soon after the key is disabled, and a deleted key makes the
 * data unrecoverable. Always critical. The remediation cancels a scheduled deletion and re-enables the key.
 */
export const CONTROL = "efs-key-usable" as const;

/** States from which the guard can bring a key back with CancelKeyDeletion and EnableKey. */
const RESTORABLE = new Set(["Disabled", "PendingDeletion"]);

export function evaluate(state: KmsKeyState, _config: GuardConfig, clock: Clock): Finding {
  const resource = keyResource(state);
  if (state.keyManager !== "CUSTOMER") {
    return {
      control: CONTROL,
      resource,
      verdict: "not-applicable",
      severity: "info",
      summary: `${state.keyId} is an AWS managed key: it cannot be disabled or deleted`,
      evidence: {},
    };
  }
  if (state.fileSystems.length === 0) {
    return {
      control: CONTROL,
      resource,
      verdict: "not-applicable",
      severity: "info",
      summary: `${state.keyId} encrypts no EFS file system in ${state.region}`,
      evidence: {},
    };
  }
  const evidence: Record<string, unknown> = {
    keyArn: state.arn,
    keyState: state.keyState,
    fileSystems: state.fileSystems,
    ...(state.deletionDate ? { deletionDate: state.deletionDate } : {}),
    ...(state.crossAccount ? { keyAccount: state.account } : {}),
  };
  if (state.keyState === "Enabled") {
    return {
      control: CONTROL,
      resource,
      verdict: "compliant",
      severity: "info",
      summary: `${state.keyId} is enabled`,
      evidence,
    };
  }
  const fs = listFileSystems(state.fileSystems);
  const n = state.fileSystems.length;
  const them = n === 1 ? "it" : "they";
  let summary: string;
  if (state.keyState === "PendingDeletion") {
    const when = state.deletionDate ? ` on ${state.deletionDate}` : "";
    const days =
      state.deletionDate !== undefined
        ? Math.max(0, Math.ceil((Date.parse(state.deletionDate) - clock.now().getTime()) / 86_400_000))
        : undefined;
    if (days !== undefined) evidence.daysUntilDeletion = days;
    summary = `${state.keyId} is scheduled for deletion${when}${days !== undefined ? ` (in ${days} days)` : ""}: ${fs} cannot be read now and ${them} become unrecoverable when the key is deleted`;
  } else if (state.keyState === "Disabled") {
    summary = `${state.keyId} is disabled: ${fs} cannot be read until the key is enabled again`;
  } else {
    summary = `${state.keyId} is ${state.keyState}: ${fs} cannot be read while the key is unusable`;
  }
  if (state.crossAccount) summary += `${otherAccountNote(state)} enable it`;
  const finding: Finding = {
    control: CONTROL,
    resource,
    verdict: "non-compliant",
    severity: "critical",
    summary,
    evidence,
    ...(state.tags ? { tags: state.tags } : {}),
  };
  if (RESTORABLE.has(state.keyState) && !state.crossAccount) {
    const pending = state.keyState === "PendingDeletion";
    finding.plan = {
      kind: "restore-key",
      keyId: state.keyId,
      keyArn: state.arn,
      fromState: state.keyState,
      fileSystems: state.fileSystems,
      describe: `${pending ? "cancel the deletion of and " : ""}enable ${state.keyId}`,
      done: `${pending ? "cancelled the deletion of and " : ""}enabled ${state.keyId}`,
      undo: pending
        ? `If the deletion was intended, move the data of ${fs} to another key first, then schedule it again: \`aws kms schedule-key-deletion --key-id ${state.keyId} --region ${state.region}\` (and exempt the key).`
        : `If disabling was intended, move the data of ${fs} to another key first, then \`aws kms disable-key --key-id ${state.keyId} --region ${state.region}\` (and exempt the key).`,
    };
  }
  return finding;
}
