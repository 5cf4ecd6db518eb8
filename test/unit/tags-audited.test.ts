import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliGuards, replayGuards } from "../../bin/commands/guards.js";
import { parseConfig } from "../../shared/config/schema.js";
import { evaluate } from "../../shared/controls/tags-audited.js";
import { parseCloudTrail } from "../../shared/events/cloudtrail.js";
import { tagChanges } from "../../shared/events/tag-changes.js";
import { decide } from "../../shared/pipeline/decide.js";
import { fixedClock } from "../../shared/runtime/clock.js";

const SAMPLES = join(import.meta.dirname, "../../events/samples");
const changesOf = (name: string) => {
  const parsed = parseCloudTrail(JSON.parse(readFileSync(join(SAMPLES, name), "utf8")));
  if (parsed.kind !== "event") throw new Error(name);
  return tagChanges(parsed.event);
};
const config = parseConfig({});
const clock = fixedClock("2026-11-26T12:00:00Z");

describe("tagChanges: what each tag call changed in the efs-guard: namespace", () => {
  it.each([
    [
      "ec2-create-tags-exempt.json",
      [
        { action: "set", key: "efs-guard:exempt", value: "all" },
        { action: "set", key: "efs-guard:exempt-until", value: "2099-12-31" },
      ],
    ],
    [
      "ec2-create-tags-instance-and-group.json",
      [{ action: "set", key: "efs-guard:exempt", value: "efs-nfs-ingress-restricted" }],
    ],
    ["ec2-create-tags-other-keys.json", []],
    ["ec2-delete-tags.json", [{ action: "removed", key: "efs-guard:exempt" }]],
    ["ec2-delete-tags-all.json", [{ action: "removed-all" }]],
    [
      "efs-untag-resource.json",
      [
        { action: "removed", key: "efs-guard:exempt" },
        { action: "removed", key: "efs-guard:exempt-until" },
      ],
    ],
    ["efs-create-tags.json", [{ action: "set", key: "efs-guard:replacement", value: "fs-0aaaaaaaaaaaaaaaa" }]],
    ["kms-tag-resource.json", [{ action: "set", key: "efs-guard:exempt", value: "efs-key-rotation-enabled" }]],
    ["kms-untag-resource.json", [{ action: "removed", key: "efs-guard:exempt" }]],
  ])("%s", (file, expected) => {
    expect(changesOf(file)).toEqual(expected);
  });
});

describe("efs-guard-tags-audited", () => {
  const resource = { type: "file-system" as const, id: "fs-1", region: "us-east-1" };
  it("setting is high, removing only is medium, and neither can be exempted", () => {
    const set = evaluate(
      {
        resource,
        eventName: "TagResource",
        changes: [{ action: "set", key: "efs-guard:exempt", value: "all" }],
        current: { "efs-guard:exempt": "all", "efs-guard:exempt-until": "2026-12-01" },
      },
      config,
      clock,
    );
    expect(set.severity).toBe("high");
    expect(set.summary).toBe(
      "efs-guard tags changed on fs-1 (TagResource): set efs-guard:exempt=all; now exempts efs-encrypted-at-rest, efs-tls-enforced, efs-backup-enabled, efs-policy-not-public, efs-iam-authorization-required, efs-root-access-restricted, efs-replica-encrypted until 2026-12-01",
    );
    // Tagged exempt=all with a valid end date: the audit finding itself is still alerted.
    expect(
      decide({ ...set, tags: { "efs-guard:exempt": "all", "efs-guard:exempt-until": "2026-12-01" } }, config, clock)
        .intent,
    ).toBe("alert");
    const removed = evaluate(
      { resource, eventName: "UntagResource", changes: [{ action: "removed", key: "efs-guard:exempt" }], current: {} },
      config,
      clock,
    );
    expect(removed.severity).toBe("medium");
    expect(removed.summary).toContain("removed efs-guard:exempt; no exemption is in force now");
  });

  it("a subnet's exemption tags are audited: they switch efs-mount-target-private off for its mount targets", () => {
    expect(changesOf("ec2-create-tags-subnet-exempt.json")).toEqual([
      { action: "set", key: "efs-guard:exempt", value: "efs-mount-target-private" },
      { action: "set", key: "efs-guard:exempt-until", value: "2026-12-15" },
    ]);
    const finding = evaluate(
      {
        resource: { type: "subnet", id: "subnet-1", region: "us-east-1" },
        eventName: "CreateTags",
        changes: changesOf("ec2-create-tags-subnet-exempt.json"),
        current: { "efs-guard:exempt": "efs-mount-target-private", "efs-guard:exempt-until": "2026-12-15" },
      },
      config,
      clock,
    );
    expect(finding.severity).toBe("high");
    expect(finding.summary).toContain("now exempts efs-mount-target-private until 2026-12-15");
  });

  it("a resource deleted since the call is reported from the event alone", () => {
    const gone = evaluate(
      { resource, eventName: "TagResource", changes: [{ action: "set", key: "efs-guard:exempt", value: "all" }] },
      config,
      clock,
    );
    expect(gone.summary).toContain("fs-1 no longer exists");
    expect(gone.evidence.resourceGone).toBe(true);
  });
});

describe("where the tag audit runs", () => {
  it("replay routes tag events to it; the sweep and scan (which inventory) do not run it", () => {
    const tagEvents = (names: string[]) => names.includes("tag-audit");
    expect(tagEvents(replayGuards().map((g) => g.name))).toBe(true);
    expect(tagEvents(cliGuards().map((g) => g.name))).toBe(false);
    const guard = replayGuards().find((g) => g.name === "tag-audit")!;
    expect(Object.keys(guard.events)).toContain("kms.amazonaws.com:TagResource");
  });
});
