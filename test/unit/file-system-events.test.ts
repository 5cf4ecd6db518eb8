import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FILE_SYSTEM_EVENTS, patternsFor } from "../../events/patterns.js";
import { parseConfig } from "../../shared/config/schema.js";
import { parseCloudTrail } from "../../shared/events/cloudtrail.js";
import { toTriggers } from "../../shared/events/triggers.js";
import { CONTROLS_BY_EVENT, controlsFor } from "../../shared/guards/file-system.js";
import { matchesPattern } from "../support/event-pattern.js";

const SAMPLES = join(import.meta.dirname, "../../events/samples");
const sample = (name: string) => JSON.parse(readFileSync(join(SAMPLES, name), "utf8"));
const FS = { type: "file-system", fileSystemId: "fs-0123456789abcdef0" };

describe("file-system triggers", () => {
  it.each([
    "efs-create-file-system.json",
    "efs-put-file-system-policy.json",
    "efs-delete-file-system-policy.json",
    "efs-put-backup-policy.json",
  ])("%s names the file system", (file) => {
    expect(toTriggers(sample(file), FILE_SYSTEM_EVENTS)).toMatchObject({ kind: "triggers", triggers: [FS] });
  });

  it("CreateFileSystem from s3files is foreign; a refused PutFileSystemPolicy is a failed call", () => {
    expect(toTriggers(sample("s3files-create-file-system.json"), FILE_SYSTEM_EVENTS)).toMatchObject({
      kind: "ignored",
      reason: "foreign-source",
    });
    expect(toTriggers(sample("efs-put-file-system-policy-failed.json"), FILE_SYSTEM_EVENTS)).toMatchObject({
      kind: "ignored",
      reason: "failed-call",
    });
  });

  it("the policy arrives as a JSON string and is kept as one", () => {
    const parsed = parseCloudTrail(sample("efs-put-file-system-policy.json"));
    expect(parsed.kind === "event" && typeof parsed.event.requestParameters.policy).toBe("string");
  });

  it("CreateFileSystem without a file system id in the response is malformed, not a crash", () => {
    const e = sample("efs-create-file-system.json");
    e.detail.responseElements = null;
    expect(toTriggers(e, FILE_SYSTEM_EVENTS)).toMatchObject({ kind: "ignored", reason: "malformed" });
  });
});

describe("file-system EventBridge pattern", () => {
  const patterns = patternsFor(FILE_SYSTEM_EVENTS);
  const match = (event: any) => patterns.some((p) => matchesPattern(p, event));

  it("is one elasticfilesystem pattern with the four names and no failed calls", () => {
    expect(patterns).toEqual([
      {
        source: ["aws.elasticfilesystem"],
        "detail-type": ["AWS API Call via CloudTrail"],
        detail: {
          eventSource: ["elasticfilesystem.amazonaws.com"],
          eventName: ["CreateFileSystem", "DeleteFileSystemPolicy", "PutBackupPolicy", "PutFileSystemPolicy"],
          errorCode: [{ exists: false }],
        },
      },
    ]);
  });

  it("matches every sample the handler acts on and none it ignores (s3files CreateFileSystem included)", () => {
    for (const file of readdirSync(SAMPLES).filter((f) => f.endsWith(".json"))) {
      const event = sample(file);
      const handled = toTriggers(event, FILE_SYSTEM_EVENTS).kind === "triggers";
      expect(match(event), file).toBe(handled);
    }
    const foreign = sample("s3files-create-file-system.json");
    expect(match(foreign)).toBe(false);
    // Even with the EFS EventBridge source, the eventSource filter keeps s3files out.
    foreign.source = "aws.elasticfilesystem";
    expect(match(foreign)).toBe(false);
  });
});

describe("controls per event", () => {
  it("each handled event names its controls; the sweep evaluates all four", () => {
    expect(Object.keys(CONTROLS_BY_EVENT).sort()).toEqual(Object.keys(FILE_SYSTEM_EVENTS).sort());
    const parsed = parseCloudTrail(sample("efs-put-backup-policy.json"));
    if (parsed.kind !== "event") throw new Error("sample not parsed");
    const config = parseConfig({});
    expect(controlsFor({ kind: "event", event: parsed.event }, config)).toEqual(["efs-backup-enabled"]);
    expect(controlsFor({ kind: "sweep", region: "us-east-1" }, config).sort()).toEqual([
      "efs-backup-enabled",
      "efs-encrypted-at-rest",
      "efs-policy-not-public",
      "efs-tls-enforced",
    ]);
  });

  it("leaves efs-tls-enforced on its events to the ecs-clients function unless tlsEnforcement is always", () => {
    const origin = (name: string) => {
      const parsed = parseCloudTrail(sample(name));
      if (parsed.kind !== "event") throw new Error("sample not parsed");
      return { kind: "event" as const, event: parsed.event };
    };
    const lookup = parseConfig({});
    const always = parseConfig({ tlsEnforcement: "always" });
    expect(controlsFor(origin("efs-put-file-system-policy.json"), lookup)).toEqual(["efs-policy-not-public"]);
    expect(controlsFor(origin("efs-delete-file-system-policy.json"), lookup)).toEqual([]);
    expect(controlsFor(origin("efs-create-file-system.json"), lookup)).toEqual([
      "efs-encrypted-at-rest",
      "efs-backup-enabled",
    ]);
    expect(controlsFor(origin("efs-put-file-system-policy.json"), always)).toEqual([
      "efs-tls-enforced",
      "efs-policy-not-public",
    ]);
    expect(controlsFor(origin("efs-delete-file-system-policy.json"), always)).toEqual(["efs-tls-enforced"]);
    expect(controlsFor(origin("efs-create-file-system.json"), always)).toContain("efs-tls-enforced");
  });
});
