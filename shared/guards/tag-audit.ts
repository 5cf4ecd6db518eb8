import type { EC2Client } from "@aws-sdk/client-ec2";
import type { EFSClient } from "@aws-sdk/client-efs";
import type { KMSClient } from "@aws-sdk/client-kms";
import { TAG_EVENTS } from "../../events/patterns.js";
import { describeSubnets, ec2Client, securityGroupTags } from "../aws/ec2.js";
import { describeFileSystem, efsClient } from "../aws/efs.js";
import { describeAccessPoint } from "../aws/efs-access-points.js";
import { keyTags, kmsClient } from "../aws/kms.js";
import type { GuardConfig } from "../config/schema.js";
import { isGone } from "../controls/file-system.js";
import { CONTROL, evaluate } from "../controls/tags-audited.js";
import type { Finding, ResourceRef } from "../controls/types.js";
import { tagChanges } from "../events/tag-changes.js";
import type { Trigger } from "../events/triggers.js";
import type { Guard, Origin } from "../pipeline/types.js";
import type { Clock } from "../runtime/clock.js";
import { AwsCallError } from "../runtime/errors.js";

export interface TagAuditClients {
  ec2: (region: string) => EC2Client;
  efs: (region: string) => EFSClient;
  kms: (region: string) => KMSClient;
}

const defaultClients: TagAuditClients = { ec2: ec2Client, efs: efsClient, kms: kmsClient };

/** The service's answer for a resource deleted since the tag call: report the change, say it is gone. */
const NOT_FOUND = new Set(["InvalidGroup.NotFound", "NotFoundException", "FileSystemNotFound"]);

async function currentTags(
  clients: TagAuditClients,
  trigger: Trigger,
  region: string,
): Promise<{ resource: ResourceRef; tags?: Record<string, string> } | undefined> {
  try {
    switch (trigger.type) {
      case "security-group": {
        const resource: ResourceRef = { type: "security-group", id: trigger.groupId, region };
        return { resource, tags: await securityGroupTags(clients.ec2(region), trigger.groupId) };
      }
      case "subnet": {
        const resource: ResourceRef = { type: "subnet", id: trigger.subnetId, region };
        // By filter: a subnet deleted since the tag call is absent (reported as gone), not an error.
        const [subnet] = await describeSubnets(clients.ec2(region), { subnetIds: [trigger.subnetId] });
        return subnet ? { resource, tags: subnet.tags } : { resource };
      }
      case "file-system": {
        const fs = await describeFileSystem(clients.efs(region), trigger.fileSystemId, region);
        const resource: ResourceRef = {
          type: "file-system",
          id: trigger.fileSystemId,
          region,
          ...(fs.arn ? { arn: fs.arn } : {}),
        };
        return isGone(fs) ? { resource } : { resource, tags: fs.tags ?? {} };
      }
      case "access-point": {
        const ap = await describeAccessPoint(clients.efs(region), trigger.accessPointId, region);
        const resource: ResourceRef = {
          type: "access-point",
          id: trigger.accessPointId,
          region,
          ...(ap.arn ? { arn: ap.arn } : {}),
        };
        return ap.lifeCycleState === "missing" ? { resource } : { resource, tags: ap.tags ?? {} };
      }
      case "kms-key": {
        const arn = trigger.keyId.startsWith("arn:") ? trigger.keyId : undefined;
        const id = arn ? (arn.split("/").at(-1) ?? trigger.keyId) : trigger.keyId;
        const resource: ResourceRef = { type: "kms-key", id, region, ...(arn ? { arn } : {}) };
        return { resource, tags: await keyTags(clients.kms(region), trigger.keyId) };
      }
      default:
        return undefined;
    }
  } catch (error) {
    if (error instanceof AwsCallError && NOT_FOUND.has(error.awsCode)) {
      const id = trigger.type === "security-group" ? trigger.groupId : trigger.type === "kms-key" ? trigger.keyId : "";
      const type = trigger.type === "security-group" ? "security-group" : "kms-key";
      return { resource: { type, id, region } };
    }
    throw error;
  }
}

/**
 * efs-guard-tags-audited: every add, change or removal of an efs-guard:* tag on a security group, subnet,
 * file system, access point or key is alerted, with what the exemption now means. The event says what changed (the request); the resource's
 * tags are re-read for what holds now. Whether the resource is guarded at this moment is not asked: an exemption
 * put on a group before it is attached to a mount target is the dormant form of the same off-switch.
 * Read only: no remediation, no inventory (a tag change is only ever seen as an event; what exemptions are in
 * force is reported by each control's own exempt findings, in every sweep).
 */
export function tagAuditGuard(clients: TagAuditClients = defaultClients): Guard {
  return {
    name: "tag-audit",
    events: TAG_EVENTS,
    async assess(trigger: Trigger, region: string, config: GuardConfig, clock: Clock, origin?: Origin) {
      if (config.modes[CONTROL] === "off" || origin?.kind !== "event") return [];
      const changes = tagChanges(origin.event);
      if (changes.length === 0) return [];
      const read = await currentTags(clients, trigger, region);
      if (!read) return [];
      const finding: Finding = evaluate(
        {
          resource: { ...read.resource, account: origin.event.account },
          eventName: origin.event.eventName,
          changes,
          ...(read.tags ? { current: read.tags } : {}),
        },
        config,
        clock,
      );
      return [finding];
    },
    async inventory() {
      return [];
    },
    async remediate(plan) {
      throw new Error(`tag-audit has no remediation (asked for ${plan.kind})`);
    },
  };
}
