import type { ECSClient } from "@aws-sdk/client-ecs";
import type { EFSClient } from "@aws-sdk/client-efs";
import { TLS_ENFORCEMENT_EVENTS } from "../../events/patterns.js";
import { activeTaskDefinitions, clientsWithoutTls } from "../aws/ecs.js";
import { describeFileSystem, fileSystemPolicy, isFileSystemNotFound } from "../aws/efs.js";
import type { GuardConfig } from "../config/schema.js";
import { isGone, notApplicable } from "../controls/file-system.js";
import { mergeTlsDeny } from "../controls/policy.js";
import * as tls from "../controls/tls-enforced.js";
import { SOURCES } from "../events/triggers.js";
import type { Guard, Origin } from "../pipeline/types.js";
import { enforceTls, type TlsClientLookup } from "./tls-write.js";

/** The region's ACTIVE task definitions (newest first, at most tlsClientCheckLimit), read once per lookup. */
export function ecsClientLookup(ecs: ECSClient, region: string, config: GuardConfig): TlsClientLookup {
  return async (fileSystemId) =>
    clientsWithoutTls(fileSystemId, await activeTaskDefinitions(ecs, region, config.tlsClientCheckLimit));
}

export interface TlsEnforcementClients {
  efs: (region: string) => EFSClient;
  ecs: (region: string) => ECSClient;
}

/**
 * The caller's policy text in a PutFileSystemPolicy event already enforces TLS: a hint that the live policy is
 * compliant, so it is read at once with the file system and the ECS lookup waits until it is known to be needed.
 * Only the order of the reads depends on it, never the decision (which is the live policy's).
 */
function hintsCompliant(origin: Origin | undefined, fileSystemId: string): boolean {
  if (origin?.kind !== "event") return false;
  const { event } = origin;
  if (`${event.eventSource}:${event.eventName}` !== `${SOURCES.efs}:PutFileSystemPolicy`) return false;
  const text = event.requestParameters.policy;
  // The ARN as the aws partition spells it: elsewhere the hint misses, and the reads keep the lookup-first order.
  const arn = `arn:aws:elasticfilesystem:${event.region}:${event.account}:file-system/${fileSystemId}`;
  return typeof text === "string" && mergeTlsDeny(text, arn).status === "compliant";
}

/**
 * efs-tls-enforced on its events while tlsEnforcement is "unless-clients-break" (the file-system function leaves it
 * to this guard then): run in the ecs-clients function, the one that already carries the ECS client. A file system
 * with mount targets may have ECS clients that mount it without TLS, which the deny would cut off: the region's
 * ACTIVE task definitions are looked up first and the deny is written only when none of them does (or alerted with
 * their ARNs instead). The policy is read last, after the lookup, so that its read is the one just before the
 * write: DescribeFileSystems, the lookup (only with mount targets), DescribeFileSystemPolicy, PutFileSystemPolicy.
 * When the event's own policy already enforces TLS, DescribeFileSystemPolicy goes out with DescribeFileSystems and
 * a compliant policy costs no ECS call; should the live policy need the deny after all, it is re-read before the write.
 */
export function tlsEnforcementGuard(clients: TlsEnforcementClients): Guard {
  return {
    name: "tls-enforcement",
    events: TLS_ENFORCEMENT_EVENTS,
    async assess(trigger, region, config, clock, origin) {
      if (trigger.type !== "file-system" || config.modes[tls.CONTROL] === "off") return [];
      if (config.tlsEnforcement !== "unless-clients-break") return [];
      const efs = clients.efs(region);
      const { fileSystemId } = trigger;
      const early = hintsCompliant(origin, fileSystemId) ? fileSystemPolicy(efs, fileSystemId) : undefined;
      // Settled later: a rejection of the early read must not go unhandled while DescribeFileSystems is out.
      early?.catch(() => undefined);
      let fs = await describeFileSystem(efs, fileSystemId, region);
      try {
        if (isGone(fs)) return [notApplicable(tls.CONTROL, fs)];
        let policy: string | undefined;
        let check: tls.TlsClientCheck | undefined;
        let fresh = true;
        const lookup = ecsClientLookup(clients.ecs(region), region, config);
        if (early) {
          policy = await early;
          if (tls.needsClientCheck(fs, policy, config)) {
            check = await lookup(fileSystemId);
            fresh = false;
          }
        } else {
          // Only with mount targets: a new file system is written without any ECS call.
          if (fs.numberOfMountTargets !== 0) check = await lookup(fileSystemId);
          policy = await fileSystemPolicy(efs, fileSystemId);
        }
        const finding = tls.evaluate({ fileSystem: fs, policy, ...(check ? { clients: check } : {}) }, config, clock);
        if (finding.plan?.kind === "put-file-system-policy" && fresh) {
          return [{ ...finding, plan: { ...finding.plan, fresh: true } }];
        }
        return [finding];
      } catch (error) {
        // Deleted between two reads: nothing to evaluate any more.
        if (!isFileSystemNotFound(error)) throw error;
        fs = { fileSystemId, region, lifeCycleState: "missing" };
        return [notApplicable(tls.CONTROL, fs)];
      }
    },
    async inventory() {
      // The sweep and scan assess efs-tls-enforced in the file-system guard, with the same lookup.
      return [];
    },
    async remediate(plan, region) {
      if (plan.kind !== "put-file-system-policy") {
        throw new Error(`the tls-enforcement guard cannot execute ${plan.kind}`);
      }
      return enforceTls(clients.efs(region), plan, { fresh: plan.fresh === true });
    },
  };
}

/**
 * The ecs-clients function's guard: efs-clients-use-tls on task definitions, efs-tls-enforced (above) on file
 * systems. Each trigger goes to the guard of its type; only the TLS guard has a remediation.
 */
export function withTlsEnforcement(clients: Guard, enforcement: Guard): Guard {
  return {
    name: clients.name,
    events: { ...clients.events, ...enforcement.events },
    assess: (trigger, ...rest) => (trigger.type === "file-system" ? enforcement : clients).assess(trigger, ...rest),
    inventory: (region, config) => clients.inventory(region, config),
    remediate: (plan, ...rest) => enforcement.remediate(plan, ...rest),
  };
}
