import type { EFSClient } from "@aws-sdk/client-efs";
import { EFS_ACCESS_EVENTS } from "../../events/patterns.js";
import { describeFileSystem, efsClient, fileSystemPolicy, isFileSystemNotFound, listFileSystems } from "../aws/efs.js";
import { describeAccessPoint, listAccessPoints } from "../aws/efs-access-points.js";
import type { ControlId } from "../config/controls.js";
import type { GuardConfig } from "../config/schema.js";
import * as accessPoint from "../controls/access-point-enforced.js";
import { type FileSystemFacts, isGone, notApplicable } from "../controls/file-system.js";
import * as iam from "../controls/iam-authorization-required.js";
import * as root from "../controls/root-access-restricted.js";
import type { Finding } from "../controls/types.js";
import type { Trigger } from "../events/triggers.js";
import { settle, unwrap } from "../pipeline/concurrency.js";
import type { Guard } from "../pipeline/types.js";
import type { Clock } from "../runtime/clock.js";

/**
 * Who may reach a file system's data, and as whom: efs-iam-authorization-required and efs-root-access-restricted
 * (both read from the file system policy) and efs-access-point-enforced (the access points). A function of its own
 * rather than the file-system guard: its role reads and never writes (all three are alert only), it needs neither
 * KMS nor Step Functions, and the file-system bundle has no byte left under its budget (docs/controls.md).
 */
export interface EfsAccessClients {
  efs: (region: string) => EFSClient;
}

export const POLICY_CONTROLS: ControlId[] = [iam.CONTROL, root.CONTROL];
const ALL_CONTROLS: ControlId[] = [...POLICY_CONTROLS, accessPoint.CONTROL];

/**
 * Both policy controls of one file system from two reads sent together: DescribeFileSystems (state, ARN, tags) and
 * DescribeFileSystemPolicy. The policy is attacker-written text: it is only parsed, never echoed unescaped.
 */
export async function assessFileSystemAccess(
  efs: EFSClient,
  fileSystemId: string,
  region: string,
  controls: ControlId[],
  config: GuardConfig,
  clock: Clock,
  /** The sweep's listing entry, instead of a DescribeFileSystems of its own. */
  listed?: Promise<FileSystemFacts>,
): Promise<Finding[]> {
  const [fsRead, policyRead] = await Promise.all([
    settle(listed ?? describeFileSystem(efs, fileSystemId, region)),
    settle(fileSystemPolicy(efs, fileSystemId)),
  ]);
  const fs = unwrap(fsRead);
  if (isGone(fs)) return controls.map((c) => notApplicable(c, fs));
  let policy: string | undefined;
  try {
    policy = unwrap(policyRead);
  } catch (error) {
    // Deleted between the two reads: nothing to evaluate any more.
    if (!isFileSystemNotFound(error)) throw error;
    return controls.map((c) => notApplicable(c, { fileSystemId, region, lifeCycleState: "missing" }));
  }
  return controls.map((control) =>
    control === iam.CONTROL
      ? iam.evaluate({ fileSystem: fs, policy }, config, clock)
      : root.evaluate({ fileSystem: fs, policy }, config, clock),
  );
}

export function efsAccessGuard(clients: EfsAccessClients = { efs: efsClient }): Guard {
  return {
    name: "efs-access",
    controls: ALL_CONTROLS,
    events: EFS_ACCESS_EVENTS,
    async assess(trigger: Trigger, region: string, config: GuardConfig, clock: Clock) {
      if (trigger.type === "access-point") {
        if (config.modes[accessPoint.CONTROL] === "off") return [];
        const ap = await describeAccessPoint(clients.efs(region), trigger.accessPointId, region);
        return [accessPoint.evaluate(ap, config, clock)];
      }
      if (trigger.type !== "file-system") return [];
      const controls = POLICY_CONTROLS.filter((c) => config.modes[c] !== "off");
      if (controls.length === 0) return [];
      return assessFileSystemAccess(clients.efs(region), trigger.fileSystemId, region, controls, config, clock);
    },
    async inventory(region: string, config: GuardConfig) {
      const efs = clients.efs(region);
      const triggers: Trigger[] = [];
      if (POLICY_CONTROLS.some((c) => config.modes[c] !== "off")) {
        for (const fs of await listFileSystems(efs, region)) {
          if (!isGone(fs)) triggers.push({ type: "file-system", fileSystemId: fs.fileSystemId });
        }
      }
      if (config.modes[accessPoint.CONTROL] !== "off") {
        for (const ap of await listAccessPoints(efs, region)) {
          if (ap.lifeCycleState !== "deleting" && ap.lifeCycleState !== "deleted") {
            triggers.push({ type: "access-point", accessPointId: ap.accessPointId });
          }
        }
      }
      return triggers;
    },
    async remediate(plan) {
      // All three controls are alert only (REMEDIABLE false): no plan reaches this guard, and its role cannot write.
      throw new Error(`the efs-access guard cannot execute ${plan.kind}`);
    },
  };
}
