import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NFS_INGRESS_EVENTS } from "../../events/patterns.js";
import { toTriggers } from "../../shared/events/triggers.js";

const sample = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../events/samples/${file}`, import.meta.url), "utf8"));

describe("mount-target triggers carry the requested security groups as a hint", () => {
  it.each([
    ["efs-create-mount-target.json", ["sg-0123456789abcdef0"]],
    ["efs-modify-mount-target-security-groups.json", ["sg-0123456789abcdef0", "sg-0aaaaaaaaaaaaaaaa"]],
  ])("%s", (file, groups) => {
    expect(toTriggers(sample(file), NFS_INGRESS_EVENTS)).toMatchObject({
      kind: "triggers",
      triggers: [{ type: "mount-target", securityGroups: groups }],
    });
  });

  it("has no hint when the request names no groups (the VPC's default group is used)", () => {
    const event = sample("efs-create-mount-target.json");
    delete event.detail.requestParameters.securityGroups;
    const parsed = toTriggers(event, NFS_INGRESS_EVENTS);
    expect(parsed.kind === "triggers" && parsed.triggers[0]).not.toHaveProperty("securityGroups");
  });
});
