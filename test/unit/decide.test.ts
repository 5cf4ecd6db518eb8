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
  const until = (date: string) => ({ "efs-guard:exempt": "all", "efs-guard:exempt-until": date });
  it.each([
    [undefined, "none"],
    [{ "efs-guard:exempt": "efs-tls-enforced" }, "none"],
    [{ "efs-guard:exempt": "efs-nfs-ingress-restricted", "efs-guard:exempt-until": "2026-12-01" }, "active"],
    [
      { "efs-guard:exempt": " efs-tls-enforced , EFS-NFS-INGRESS-RESTRICTED", "efs-guard:exempt-until": "2026-12-01" },
      "active",
    ],
    [until("2026-11-26"), "active"],
    [until("2026-11-25"), "expired"],
    [until("2026-11-26T11:00:00Z"), "expired"],
    [until("2026-11-26T13:00:00+02:00"), "expired"],
    [until("2026-11-26T13:00:00+00:00"), "active"],
    [until("2027-02-24"), "active"],
    // The attack of issue 11: Date.parse reads all of these; none is an ISO 8601 date.
    [until("Tue Dec 31 2099 (anything)"), "invalid"],
    [until("Dec 31, 2099"), "invalid"],
    [until("12/31/2099"), "invalid"],
    [until("2099"), "invalid"],
    [until("2026-12-01T12:00:00"), "invalid"],
    [until("2026-02-30"), "invalid"],
    [until("next tuesday"), "invalid"],
    // Beyond maxExemptionDays (default 90), or no end at all: not honoured.
    [until("2099-12-31"), "too-long"],
    [until("2027-02-25"), "too-long"],
    [{ "efs-guard:exempt": "all" }, "too-long"],
    [{ "efs-guard:exempt": "all", "efs-guard:exempt-until": "  " }, "too-long"],
  ])("%j -> %s", (tags, status) => {
    expect(exemptionFor("efs-nfs-ingress-restricted", tags, keys, clock).status).toBe(status);
  });

  it("says exactly why an exemption is not honoured", () => {
    expect(exemptionFor("efs-tls-enforced", until("Tue Dec 31 2099 (anything)"), keys, clock)).toEqual({
      status: "invalid",
      detail:
        "efs-guard:exempt-until=Tue Dec 31 2099 (anything) is not an ISO 8601 date (YYYY-MM-DD, or YYYY-MM-DDThh:mm:ssZ)",
    });
    expect(exemptionFor("efs-tls-enforced", until("2099-12-31"), keys, clock)).toEqual({
      status: "too-long",
      detail: "efs-guard:exempt-until=2099-12-31 is more than 90 days away (maxExemptionDays)",
    });
    expect(exemptionFor("efs-tls-enforced", { "efs-guard:exempt": "all" }, keys, clock)).toEqual({
      status: "too-long",
      detail: "efs-guard:exempt has no efs-guard:exempt-until; an exemption must end within 90 days (maxExemptionDays)",
    });
  });

  it("honours the configured maximum", () => {
    const long = parseConfig({ maxExemptionDays: 3650 });
    expect(exemptionFor("efs-tls-enforced", until("2030-01-01"), long, clock).status).toBe("active");
    const short = parseConfig({ maxExemptionDays: 1 });
    expect(exemptionFor("efs-tls-enforced", until("2026-11-27"), short, clock).status).toBe("active");
    expect(exemptionFor("efs-tls-enforced", until("2026-11-27T23:59:59Z"), short, clock).status).toBe("active");
    expect(exemptionFor("efs-tls-enforced", until("2026-11-28T00:00:00Z"), short, clock).status).toBe("too-long");
    expect(exemptionFor("efs-tls-enforced", until("2026-11-28"), short, clock).status).toBe("too-long");
  });

  it("the configuration bounds the maximum and keeps the keys in the efs-guard: namespace", () => {
    expect(() => parseConfig({ maxExemptionDays: 0 })).toThrow(/maxExemptionDays/);
    expect(() => parseConfig({ maxExemptionDays: 3651 })).toThrow(/maxExemptionDays/);
    expect(() => parseConfig({ exemptTagKey: "security:exempt" })).toThrow(/efs-guard: namespace/);
    expect(() => parseConfig({ exemptUntilTagKey: "efs-guard:" })).toThrow(/exemptUntilTagKey/);
    expect(parseConfig({ exemptTagKey: "efs-guard:skip" }).exemptTagKey).toBe("efs-guard:skip");
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
    expect(
      decide(finding({ "efs-guard:exempt": "all", "efs-guard:exempt-until": "2026-12-31" }), keys, clock).intent,
    ).toBe("exempt");
    const expired = decide(finding({ "efs-guard:exempt": "all", "efs-guard:exempt-until": "2026-01-01" }), keys, clock);
    expect(expired.intent).toBe("remediate");
    expect(expired.why).toContain("expired on 2026-01-01");
  });
  it("an exemption that is too long or unreadable is not honoured, and the alert says why", () => {
    const forever = decide(finding({ "efs-guard:exempt": "all" }), keys, clock);
    expect(forever.intent).toBe("remediate");
    expect(forever.why).toBe(
      "control is in remediate mode (exemption not honoured: efs-guard:exempt has no efs-guard:exempt-until; an exemption must end within 90 days (maxExemptionDays))",
    );
    const forged = decide(
      finding({ "efs-guard:exempt": "all", "efs-guard:exempt-until": "Tue Dec 31 2099 (anything)" }),
      keys,
      clock,
    );
    expect(forged.intent).toBe("remediate");
    expect(forged.exemption.status).toBe("invalid");
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
    const exempt = finding({ "efs-guard:exempt": "all", "efs-guard:exempt-until": "2026-12-20" });
    expect(decide(exempt, keys, clock, "2026-12-01T00:00:00.000Z").intent).toBe("exempt");
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
