import { describe, expect, it } from "vitest";
import { authorizeIngressEvent, cloudTrailEnvelope } from "../../events/build.js";
import { NFS_INGRESS_EVENTS } from "../../events/patterns.js";
import type { Finding } from "../../shared/controls/types.js";
import { ingressAuthorized } from "../../shared/events/extractors.js";
import type { EventSpecs } from "../../shared/events/triggers.js";
import { routeEvent } from "../../shared/pipeline/replay.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { logger } from "../../shared/runtime/logger.js";
import { testDeps } from "../support/deps.js";

logger.setLogLevel("SILENT");

/** A guard that finds every triggered resource compliant, under its own control id. */
function guard(name: string, control: Finding["control"], events: EventSpecs): Guard {
  return {
    name,
    events,
    async assess(trigger, region) {
      const id = trigger.type === "security-group" ? trigger.groupId : trigger.type;
      return [
        {
          control,
          resource: { type: "security-group", id, region },
          verdict: "compliant",
          severity: "info",
          summary: "fine",
          evidence: {},
        },
      ];
    },
    async inventory() {
      return [];
    },
    async remediate() {
      throw new Error("not expected");
    },
  };
}

describe("routeEvent: one event, every guard that handles it", () => {
  const nfs = guard("nfs", "efs-nfs-ingress-restricted", NFS_INGRESS_EVENTS);
  const other = guard("other", "efs-policy-not-public", {
    "ec2.amazonaws.com:AuthorizeSecurityGroupIngress": ingressAuthorized,
  });
  const event = authorizeIngressEvent({ groupId: "sg-1", ruleId: "sgr-1", cidr: "0.0.0.0/0" });

  it("merges the findings of every guard that handles the event", async () => {
    const report = await routeEvent(event, [nfs, other], testDeps());
    expect(report.outcome).toBe("evaluated");
    expect(report.findings.map((f) => f.control)).toEqual(["efs-nfs-ingress-restricted", "efs-policy-not-public"]);
  });

  it("gives the reason the functions would: unsupported, foreign source, failed call, malformed", async () => {
    const unsupported = cloudTrailEnvelope({ eventSource: "ec2.amazonaws.com", eventName: "RunInstances" });
    const foreign = cloudTrailEnvelope({
      eventSource: "s3files.amazonaws.com",
      eventName: "CreateMountTarget",
      responseElements: { mountTargetId: "fsmt-1" },
    });
    const failed = authorizeIngressEvent(
      { groupId: "sg-1", ruleId: "sgr-1", cidr: "0.0.0.0/0" },
      { errorCode: "Client.UnauthorizedOperation" },
    );
    const reasons = [];
    for (const raw of [unsupported, foreign, failed, { hello: "world" }]) {
      const r = await routeEvent(raw, [nfs, other], testDeps());
      reasons.push([r.outcome, r.reason, r.findings.length]);
    }
    expect(reasons).toEqual([
      ["ignored", "unsupported-event", 0],
      ["ignored", "foreign-source", 0],
      ["ignored", "failed-call", 0],
      ["ignored", "malformed", 0],
    ]);
  });
});
