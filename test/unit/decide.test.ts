import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/schema.js";
import { exemptionFor } from "../../shared/controls/exemptions.js";
import type { Finding } from "../../shared/controls/types.js";
import { decide } from "../../shared/pipeline/decide.js";
import { needsDeployTime, observePeriod, observingUntil } from "../../shared/pipeline/observe.js";
import { fixedClock } from "../../shared/runtime/clock.js";

const clock = fixedClock("2026-11-26T12:00:00Z");
const keys = parseConfig({});

function finding(tags?: Record<string, string>, verdict: Finding["verdict"] = "non-compliant"): Finding {
  return {
    control: "efs-nfs-ingress-restricted",
    resource: { type: "security-group", id: "sg-1", region: "us-east-1" },
    verdict,
    severity: "critical",
    summary: "open",
    evidence: {},
    ...(tags ? { tags } : {}),
    plan: {
      kind: "revoke-ingress",
      groupId: "sg-1",
      ruleIds: ["sgr-1"],
      rules: ["sgr-1"],
      describe: "revoke",
      done: "revoked",
    },
  };
}

describe("exemptionFor", () => {
  it.each([
    [undefined, "none"],
    [{ "efs-guard:exempt": "efs-tls-enforced" }, "none"],
    [{ "efs-guard:exempt": "efs-nfs-ingress-restricted" }, "active"],
    [{ "efs-guard:exempt": " efs-tls-enforced , EFS-NFS-INGRESS-RESTRICTED" }, "active"],
    [{ "efs-guard:exempt": "all" }, "active"],
    [{ "efs-guard:exempt": "all", "efs-guard:exempt-until": "2026-11-26" }, "active"],
    [{ "efs-guard:exempt": "all", "efs-guard:exempt-until": "2026-11-25" }, "expired"],
    [{ "efs-guard:exempt": "all", "efs-guard:exempt-until": "2026-11-26T11:00:00Z" }, "expired"],
    [{ "efs-guard:exempt": "all", "efs-guard:exempt-until": "next tuesday" }, "invalid"],
  ])("%j -> %s", (tags, status) => {
    expect(exemptionFor("efs-nfs-ingress-restricted", tags, keys, clock).status).toBe(status);
  });
});

describe("decide", () => {
  it("compliant and not-applicable findings need nothing", () => {
    expect(decide(finding(undefined, "compliant"), keys, clock).intent).toBe("none");
    expect(decide(finding(undefined, "not-applicable"), keys, clock).intent).toBe("none");
  });
  it("remediate mode remediates; dry run only says so; alert mode alerts; off does nothing", () => {
    expect(decide(finding(), keys, clock).intent).toBe("remediate");
    expect(decide(finding(), parseConfig({ dryRun: true }), clock).intent).toBe("would-remediate");
    expect(decide(finding(), parseConfig({ modes: { "efs-nfs-ingress-restricted": "alert" } }), clock).intent).toBe(
      "alert",
    );
    expect(decide(finding(), parseConfig({ modes: { "efs-nfs-ingress-restricted": "off" } }), clock).intent).toBe(
      "none",
    );
  });
  it("an exemption wins over remediation, and an expired one says it expired", () => {
    expect(decide(finding({ "efs-guard:exempt": "all" }), keys, clock).intent).toBe("exempt");
    const expired = decide(finding({ "efs-guard:exempt": "all", "efs-guard:exempt-until": "2026-01-01" }), keys, clock);
    expect(expired.intent).toBe("remediate");
    expect(expired.why).toContain("expired on 2026-01-01");
  });
  it("a finding without a plan can only be alerted", () => {
    const f = finding();
    delete f.plan;
    expect(decide(f, keys, clock).intent).toBe("alert");
  });
});

describe("observe period", () => {
  it("turns a sweep's remediation into a report, and says until when; alerts and exemptions are unchanged", () => {
    const d = decide(finding(), keys, clock, "2026-12-01T00:00:00.000Z");
    expect(d.intent).toBe("would-remediate");
    expect(d.why).toContain("observe period after the first deploy (until 2026-12-01)");
    expect(decide(finding(), keys, clock).intent).toBe("remediate");
    expect(decide(finding({ "efs-guard:exempt": "all" }), keys, clock, "2026-12-01T00:00:00.000Z").intent).toBe(
      "exempt",
    );
    expect(decide(finding(), keys, clock, "unknown").why).toContain("until the deploy time is known");
  });

  it("ends observeDays after the stack's creation, at observeUntil when set, never with observeDays 0", () => {
    const created = new Date("2026-11-20T10:00:00Z");
    const week = observePeriod(parseConfig({}), created);
    expect(week).toEqual({ status: "until", until: new Date("2026-11-27T10:00:00Z"), source: "stack-creation" });
    expect(observingUntil(week, new Date("2026-11-26T12:00:00Z"))).toBe("2026-11-27T10:00:00.000Z");
    expect(observingUntil(week, new Date("2026-11-27T10:00:00Z"))).toBeUndefined();
    expect(observePeriod(parseConfig({ observeUntil: "2027-01-15" }), created)).toMatchObject({
      until: new Date("2027-01-15T00:00:00Z"),
      source: "observeUntil",
    });
    expect(observePeriod(parseConfig({ observeDays: 0 }), created)).toEqual({ status: "off" });
    expect(observePeriod(parseConfig({}), { error: "AccessDenied" })).toEqual({
      status: "unknown",
      reason: "AccessDenied",
    });
    expect(needsDeployTime(parseConfig({}))).toBe(true);
    expect(needsDeployTime(parseConfig({ observeUntil: "2027-01-15" }))).toBe(false);
  });

  it("accepts only ISO 8601 dates for observeUntil", () => {
    expect(() => parseConfig({ observeUntil: "Tue Dec 31 2099" })).toThrow(/observeUntil/);
    expect(() => parseConfig({ observeUntil: "2026-02-30" })).toThrow(/observeUntil/);
    expect(parseConfig({ observeUntil: "2026-07-01T09:00:00Z" }).observeUntil).toBe("2026-07-01T09:00:00Z");
  });
});
