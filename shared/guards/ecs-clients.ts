import type { ECSClient } from "@aws-sdk/client-ecs";
import { CLIENT_TLS_EVENTS } from "../../events/patterns.js";
import { activeTaskDefinitionArns, describeTaskDefinition, ecsClient } from "../aws/ecs.js";
import { CONTROL, evaluate } from "../controls/clients-use-tls.js";
import type { Guard } from "../pipeline/types.js";

export interface EcsClientsClients {
  ecs: (region: string) => ECSClient;
}

/**
 * efs-clients-use-tls: every task definition revision ECS registers is re-read (DescribeTaskDefinition: the event's
 * copy of the volumes is the caller's text) and alerted when it mounts an EFS volume without TLS. Alert only: a
 * revision is immutable, the fix is a new one with transitEncryption ENABLED, which only its owner can roll out.
 * The sweep and scan describe the region's ACTIVE revisions, newest first, at most tlsClientCheckLimit.
 */
export function ecsClientsGuard(clients: EcsClientsClients = { ecs: ecsClient }): Guard {
  return {
    name: "ecs-clients",
    // No `controls`: the listing stops at tlsClientCheckLimit, so a sweep never covers every revision, and the
    // Security Hub archive must not close the findings of the (oldest) revisions it did not list.
    events: CLIENT_TLS_EVENTS,
    async assess(trigger, region, config, clock) {
      if (config.modes[CONTROL] === "off" || trigger.type !== "task-definition") return [];
      const td = await describeTaskDefinition(clients.ecs(region), trigger.taskDefinition, region);
      return [evaluate(td, config, clock)];
    },
    async inventory(region, config) {
      if (config.modes[CONTROL] === "off") return [];
      const { arns } = await activeTaskDefinitionArns(clients.ecs(region), config.tlsClientCheckLimit);
      return arns.map((taskDefinition) => ({ type: "task-definition" as const, taskDefinition }));
    },
    async remediate(plan) {
      throw new Error(`ecs-clients has no remediation (asked for ${plan.kind})`);
    },
  };
}
