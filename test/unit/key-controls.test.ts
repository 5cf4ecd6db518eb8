import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/schema.js";
import * as rotation from "../../shared/controls/key-rotation-enabled.js";
import * as usable from "../../shared/controls/key-usable.js";
import type { KmsKeyState } from "../../shared/controls/kms-key-state.js";
import { decide } from "../../shared/pipeline/decide.js";
import { fixedClock } from "../../shared/runtime/clock.js";

const clock = fixedClock("2026-11-26T12:00:00Z");
const config = parseConfig({});
const KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";
const ARN = `arn:aws:kms:us-east-1:123456789012:key/${KEY}`;

function key(overrides: Partial<KmsKeyState> = {}): KmsKeyState {
  return {
    keyId: KEY,
    arn: ARN,
    region: "us-east-1",
    account: "123456789012",
    keyManager: "CUSTOMER",
    keyState: "Enabled",
    keySpec: "SYMMETRIC_DEFAULT",
    origin: "AWS_KMS",
    fileSystems: ["fs-0a", "fs-0b"],
    rotation: { enabled: true, periodInDays: 365 },
    ...overrides,
  };
}

describe("efs-key-rotation-enabled", () => {
  it("is compliant when rotation is on with the configured period or a shorter one", () => {
    expect(rotation.evaluate(key(), config, clock).verdict).toBe("compliant");
    expect(rotation.evaluate(key({ rotation: { enabled: true, periodInDays: 90 } }), config, clock).verdict).toBe(
      "compliant",
    );
    // GetKeyRotationStatus may omit the period for keys enabled before custom periods existed: that is 365.
    expect(rotation.evaluate(key({ rotation: { enabled: true } }), config, clock).verdict).toBe("compliant");
  });

  it("flags rotation off (medium) and plans EnableKeyRotation with the configured period", () => {
    const f = rotation.evaluate(
      key({ rotation: { enabled: false } }),
      parseConfig({ rotationPeriodInDays: 180 }),
      clock,
    );
    expect(f).toMatchObject({
      verdict: "non-compliant",
      severity: "medium",
      resource: { type: "kms-key", id: KEY, arn: ARN },
      plan: { kind: "enable-key-rotation", keyId: KEY, keyArn: ARN, rotationPeriodInDays: 180 },
    });
    expect(f.summary).toContain("fs-0a, fs-0b");
    expect(f.plan?.undo).toContain("disable-key-rotation");
  });

  it("flags a period longer than configured (low) and plans to shorten it; says how to restore the old one", () => {
    const f = rotation.evaluate(key({ rotation: { enabled: true, periodInDays: 730 } }), config, clock);
    expect(f).toMatchObject({
      verdict: "non-compliant",
      severity: "low",
      plan: { kind: "enable-key-rotation", rotationPeriodInDays: 365, previousPeriodInDays: 730 },
      evidence: { rotationPeriodInDays: 730, requiredRotationPeriodInDays: 365 },
    });
    expect(f.plan?.undo).toContain("--rotation-period-in-days 730");
  });

  it.each([
    [{ fileSystems: [] }, "encrypts no EFS file system"],
    [{ keyManager: "AWS" }, "AWS managed"],
    [{ keySpec: "RSA_2048" }, "symmetric"],
    [{ origin: "EXTERNAL" }, "EXTERNAL"],
    [{ multiRegionKeyType: "REPLICA" }, "primary"],
    [{ keyState: "Disabled" }, "Disabled"],
    [{ keyState: "PendingDeletion" }, "PendingDeletion"],
  ] as [Partial<KmsKeyState>, string][])("is not applicable for %j", (overrides, why) => {
    const state = key({ ...overrides, rotation: { enabled: false } });
    expect(rotation.rotationNotApplicable(state)).toContain(why);
    const f = rotation.evaluate(state, config, clock);
    expect(f.verdict).toBe("not-applicable");
    expect(f.plan).toBeUndefined();
  });

  it("an exemption tag on the key exempts it; an expired one does not", () => {
    const f = rotation.evaluate(
      key({
        rotation: { enabled: false },
        tags: { "efs-guard:exempt": "efs-key-rotation-enabled", "efs-guard:exempt-until": "2026-12-31" },
      }),
      config,
      clock,
    );
    expect(decide(f, config, clock).intent).toBe("exempt");
    const expired = rotation.evaluate(
      key({
        rotation: { enabled: false },
        tags: { "efs-guard:exempt": "all", "efs-guard:exempt-until": "2026-01-01" },
      }),
      config,
      clock,
    );
    expect(decide(expired, config, clock)).toMatchObject({ intent: "remediate", exemption: { status: "expired" } });
  });
});

describe("efs-key-usable", () => {
  it("is compliant when the key is enabled", () => {
    expect(usable.evaluate(key(), config, clock).verdict).toBe("compliant");
  });

  it("flags a disabled key as critical, naming the file systems, and plans to enable it", () => {
    const f = usable.evaluate(key({ keyState: "Disabled" }), config, clock);
    expect(f).toMatchObject({
      verdict: "non-compliant",
      severity: "critical",
      plan: { kind: "restore-key", keyId: KEY, fromState: "Disabled", fileSystems: ["fs-0a", "fs-0b"] },
    });
    expect(f.summary).toContain("fs-0a, fs-0b cannot be read");
    expect(f.plan?.describe).toBe(`enable ${KEY}`);
    expect(f.plan?.undo).toContain("disable-key");
  });

  it("flags a key pending deletion with the deletion date and the days left, and plans cancel + enable", () => {
    const f = usable.evaluate(
      key({ keyState: "PendingDeletion", deletionDate: "2026-12-03T12:00:00.000Z" }),
      config,
      clock,
    );
    expect(f).toMatchObject({
      verdict: "non-compliant",
      severity: "critical",
      evidence: { deletionDate: "2026-12-03T12:00:00.000Z", daysUntilDeletion: 7 },
      plan: { kind: "restore-key", fromState: "PendingDeletion" },
    });
    expect(f.summary).toContain("scheduled for deletion on 2026-12-03T12:00:00.000Z (in 7 days)");
    expect(f.summary).toContain("unrecoverable");
    expect(f.plan?.describe).toBe(`cancel the deletion of and enable ${KEY}`);
  });

  it("reports other unusable states without a plan (nothing the guard can safely do)", () => {
    const f = usable.evaluate(key({ keyState: "PendingImport" }), config, clock);
    expect(f).toMatchObject({ verdict: "non-compliant", severity: "critical" });
    expect(f.plan).toBeUndefined();
    expect(decide(f, parseConfig({ modes: { "efs-key-usable": "remediate" } }), clock).intent).toBe("alert");
  });

  it("is not applicable to a key that encrypts no file system, or to an AWS managed key", () => {
    expect(usable.evaluate(key({ fileSystems: [], keyState: "Disabled" }), config, clock).verdict).toBe(
      "not-applicable",
    );
    expect(usable.evaluate(key({ keyManager: "AWS", keyState: "Disabled" }), config, clock).summary).toContain(
      "AWS managed",
    );
  });

  it("defaults to alert mode: reported, not restored", () => {
    const f = usable.evaluate(key({ keyState: "Disabled" }), config, clock);
    expect(decide(f, config, clock).intent).toBe("alert");
    expect(decide(f, parseConfig({ modes: { "efs-key-usable": "remediate" } }), clock).intent).toBe("remediate");
  });

  it("shortens a long list of file systems in the summary but keeps them all in the evidence", () => {
    const many = Array.from({ length: 8 }, (_, i) => `fs-${i}`);
    const f = usable.evaluate(key({ keyState: "Disabled", fileSystems: many }), config, clock);
    expect(f.summary).toContain("and 3 more");
    expect(f.evidence.fileSystems).toEqual(many);
  });
});
