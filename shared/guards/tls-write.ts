import type { EFSClient } from "@aws-sdk/client-efs";
import { fileSystemPolicy, isFileSystemNotFound, putFileSystemPolicy } from "../aws/efs.js";
import { assessTls, mergeTlsDeny, parsePolicy } from "../controls/policy.js";
import type { TlsClientCheck } from "../controls/tls-enforced.js";
import type { RemediationPlan } from "../controls/types.js";
import type { RemediationOutcome } from "../pipeline/types.js";
import { GuardError } from "../runtime/errors.js";

/** How many times the TLS merge is redone when the policy keeps changing under it before giving up (retryable). */
export const MAX_POLICY_ATTEMPTS = 3;

type TlsPlan = Extract<RemediationPlan, { kind: "put-file-system-policy" }>;

/** The active task definitions that mount one file system without TLS (tlsEnforcement "unless-clients-break"). */
export type TlsClientLookup = (fileSystemId: string) => Promise<TlsClientCheck>;

export const gone = (fileSystemId: string): RemediationOutcome => ({
  status: "already-done",
  detail: `${fileSystemId} no longer exists`,
});

/**
 * Read-merge-write without losing a concurrent update: EFS has no conditional write, so the policy is re-read just
 * before writing; if it is not the one the plan was derived from, the merge is redone on the live policy (or the
 * live policy already enforces TLS, or can no longer be merged), and the read is repeated until it is stable.
 * The remaining window is the time between that last read and the write (milliseconds). `fresh`: the evaluation's
 * own read of the policy was its last call (only the decision, no I/O, since), so that read is the one just before
 * the write and is not repeated.
 */
export async function enforceTls(
  efs: EFSClient,
  plan: TlsPlan,
  options: { fresh?: boolean } = {},
): Promise<RemediationOutcome> {
  let expected = plan.basedOn ?? undefined;
  let policy = plan.policy;
  let redone = false;
  for (let attempt = 1; attempt <= MAX_POLICY_ATTEMPTS; attempt += 1) {
    let current: string | undefined;
    if (attempt === 1 && options.fresh) {
      current = expected;
    } else {
      try {
        current = await fileSystemPolicy(efs, plan.fileSystemId);
      } catch (error) {
        if (isFileSystemNotFound(error)) return gone(plan.fileSystemId);
        throw error;
      }
    }
    if (current !== expected) {
      const merge = mergeTlsDeny(current, plan.fileSystemArn);
      if (merge.status === "compliant") {
        return { status: "already-done", detail: "the policy was changed meanwhile and now denies non-TLS access" };
      }
      if (merge.status === "invalid" || merge.status === "too-large") {
        throw new GuardError(
          "POLICY_INVALID",
          `the policy of ${plan.fileSystemId} changed meanwhile and can no longer be merged: ${merge.detail}; nothing was written`,
        );
      }
      expected = current;
      policy = merge.policy;
      redone = true;
      continue;
    }
    let written: string;
    try {
      written = await putFileSystemPolicy(efs, plan.fileSystemId, policy);
    } catch (error) {
      if (isFileSystemNotFound(error)) return gone(plan.fileSystemId);
      throw error;
    }
    const confirmed = parsePolicy(written);
    if (confirmed.status !== "ok" || !assessTls(confirmed.statements, plan.fileSystemArn).enforced) {
      throw new GuardError("REMEDIATION_FAILED", `EFS did not confirm a TLS-enforcing policy on ${plan.fileSystemId}`);
    }
    return redone
      ? {
          status: "done",
          detail: "the policy had changed since the evaluation; the deny was merged into the current one",
        }
      : { status: "done" };
  }
  throw new GuardError(
    "REMEDIATION_FAILED",
    `the policy of ${plan.fileSystemId} changed ${MAX_POLICY_ATTEMPTS} times while EFS Guard was merging; nothing was written, the event will be retried`,
    { retryable: true },
  );
}
