import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NFS_INGRESS_EVENTS, patternsFor } from "../../events/patterns.js";
import { items, parseCloudTrail } from "../../shared/events/cloudtrail.js";
import { toTriggers } from "../../shared/events/triggers.js";
import { matchesPattern } from "../support/event-pattern.js";

const SAMPLES = join(import.meta.dirname, "../../events/samples");
const sample = (name: string) => JSON.parse(readFileSync(join(SAMPLES, name), "utf8"));

describe("CloudTrail parsing", () => {
  it("reads the actor, region and account of a real record", () => {
    const parsed = parseCloudTrail(sample("ec2-authorize-security-group-ingress.json"));
    expect(parsed.kind).toBe("event");
    if (parsed.kind !== "event") return;
    expect(parsed.event).toMatchObject({
      eventId: "0d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
      region: "us-east-1",
      account: "123456789012",
      actor: {
        arn: "arn:aws:sts::123456789012:assumed-role/Admin/alice",
        sessionIssuerArn: "arn:aws:iam::123456789012:role/Admin",
        sourceIPAddress: "203.0.113.10",
      },
    });
  });

  it("accepts a bare record (no EventBridge envelope), as replay does", () => {
    const parsed = parseCloudTrail(sample("ec2-authorize-security-group-ingress.json").detail);
    expect(parsed.kind).toBe("event");
  });

  it("uses the envelope's account when recipientAccountId is missing", () => {
    const parsed = parseCloudTrail(sample("efs-modify-mount-target-security-groups.json"));
    expect(parsed.kind === "event" && parsed.event.account).toBe("123456789012");
  });

  it("unwraps EC2 lists", () => {
    expect(items({ items: [1, 2] })).toEqual([1, 2]);
    expect(items({})).toEqual([]);
    expect(items([3])).toEqual([3]);
    expect(items({ a: 1 })).toEqual([{ a: 1 }]);
    expect(items(null)).toEqual([]);
  });

  it.each([
    null,
    42,
    "x",
    [],
    { "detail-type": "Scheduled Event", detail: {} },
    { detail: "x", "detail-type": "AWS API Call via CloudTrail" },
  ])("%j is malformed", (input) => {
    const parsed = parseCloudTrail(input);
    expect(parsed).toMatchObject({ kind: "ignored", reason: "malformed" });
  });
});

describe("triggers", () => {
  it.each([
    ["ec2-authorize-security-group-ingress.json", { type: "security-group", groupId: "sg-0123456789abcdef0" }],
    ["ec2-modify-security-group-rules.json", { type: "security-group", groupId: "sg-0123456789abcdef0" }],
    [
      "efs-create-mount-target.json",
      { type: "mount-target", mountTargetId: "fsmt-0123456789abcdef0", fileSystemId: "fs-0123456789abcdef0" },
    ],
    ["efs-modify-mount-target-security-groups.json", { type: "mount-target", mountTargetId: "fsmt-0123456789abcdef0" }],
  ])("%s -> %j", (file, trigger) => {
    const result = toTriggers(sample(file), NFS_INGRESS_EVENTS);
    expect(result).toMatchObject({ kind: "triggers", triggers: [trigger] });
  });

  it("ignores failed calls, foreign sources and events it does not handle, saying why", () => {
    expect(toTriggers(sample("ec2-authorize-security-group-ingress-failed.json"), NFS_INGRESS_EVENTS)).toMatchObject({
      kind: "ignored",
      reason: "failed-call",
      eventId: "5b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
    });
    expect(toTriggers(sample("s3files-create-mount-target.json"), NFS_INGRESS_EVENTS)).toMatchObject({
      kind: "ignored",
      reason: "foreign-source",
    });
    const egress = sample("ec2-authorize-security-group-ingress.json");
    egress.detail.eventName = "AuthorizeSecurityGroupEgress";
    expect(toTriggers(egress, NFS_INGRESS_EVENTS)).toMatchObject({ kind: "ignored", reason: "unsupported-event" });
  });

  it("a handled event without its resource id is malformed, not a crash", () => {
    const e = sample("ec2-authorize-security-group-ingress.json");
    e.detail.requestParameters = {};
    e.detail.responseElements = null;
    expect(toTriggers(e, NFS_INGRESS_EVENTS)).toMatchObject({ kind: "ignored", reason: "malformed" });
  });

  it("accepts requestParameters sent as a JSON string", () => {
    const e = sample("ec2-authorize-security-group-ingress.json");
    e.detail.requestParameters = JSON.stringify(e.detail.requestParameters);
    expect(toTriggers(e, NFS_INGRESS_EVENTS)).toMatchObject({ kind: "triggers" });
  });
});

describe("EventBridge patterns", () => {
  const patterns = patternsFor(NFS_INGRESS_EVENTS);
  const match = (event: any) => patterns.some((p) => matchesPattern(p, event));

  it("matches every sample the handler acts on and none it ignores", () => {
    for (const file of readdirSync(SAMPLES).filter((f) => f.endsWith(".json"))) {
      const event = sample(file);
      const handled = toTriggers(event, NFS_INGRESS_EVENTS).kind === "triggers";
      expect(match(event), file).toBe(handled);
    }
  });

  it("has one pattern per source and filters failed calls", () => {
    expect(patterns.map((p) => p.source[0]).sort()).toEqual(["aws.ec2", "aws.elasticfilesystem"]);
    for (const p of patterns) expect(p.detail.errorCode).toEqual([{ exists: false }]);
  });
});
