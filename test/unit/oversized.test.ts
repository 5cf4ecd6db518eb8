import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALL_EVENTS } from "../../events/all.js";
import { NFS_INGRESS_EVENTS } from "../../events/patterns.js";
import { parseConfig } from "../../shared/config/schema.js";
import { evaluate, type IngressRule } from "../../shared/controls/nfs-ingress-restricted.js";
import { assessTls, MAX_POLICY_LENGTH, mergeTlsDeny, parsePolicy } from "../../shared/controls/policy.js";
import * as tlsEnforced from "../../shared/controls/tls-enforced.js";
import type { RemediationPlan } from "../../shared/controls/types.js";
import { toTriggers } from "../../shared/events/triggers.js";
import { buildMessage } from "../../shared/notify/message.js";
import { messageStructure } from "../../shared/notify/publish.js";
import { decide } from "../../shared/pipeline/decide.js";
import { fixedClock } from "../../shared/runtime/clock.js";

/** The rule ids of a revoke plan (the only plan kind these tests can produce). */
const ruleIdsOf = (plan: RemediationPlan | undefined) => (plan?.kind === "revoke-ingress" ? plan.ruleIds : undefined);

/**
 * Oversized inputs stay within a function's memory (256 MB) and time (60 s) with a wide margin, and the alert
 * stays within SNS's 256 KB message limit. Sizes are AWS's own limits: 60 inbound rules per security group by
 * default and 1,000 at most; EventBridge events up to 256 KB; EFS file system policies up to 20,000 characters.
 */
const SAMPLES = join(import.meta.dirname, "../../events/samples");
const sample = (name: string) => JSON.parse(readFileSync(join(SAMPLES, name), "utf8"));
const clock = fixedClock("2026-11-26T12:00:00Z");
const SNS_LIMIT = 256 * 1024;

function measure<T>(fn: () => T): { value: T; ms: number; heapMb: number } {
  globalThis.gc?.();
  const heap = process.memoryUsage().heapUsed;
  const started = performance.now();
  const value = fn();
  const ms = performance.now() - started;
  return { value, ms, heapMb: (process.memoryUsage().heapUsed - heap) / 2 ** 20 };
}

/** n rules: every third opens NFS to a distinct public /32, the rest are VPC-internal NFS or other ports. */
function rules(n: number): IngressRule[] {
  return Array.from({ length: n }, (_, i) => {
    const ruleId = `sgr-${i.toString(16).padStart(17, "0")}`;
    if (i % 3 === 0) {
      return { ruleId, protocol: "tcp", fromPort: 2049, toPort: 2049, cidrIpv4: `198.51.${i >> 8}.${i & 255}/32` };
    }
    if (i % 3 === 1) return { ruleId, protocol: "tcp", fromPort: 2049, toPort: 2049, cidrIpv4: `10.0.${i & 255}.0/24` };
    return { ruleId, protocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" };
  });
}

describe("oversized events", () => {
  it("AuthorizeSecurityGroupIngress with 500 CIDRs in its permissions and rule set: one trigger, fast", () => {
    const event = sample("ec2-authorize-security-group-ingress.json");
    const cidrs = Array.from({ length: 500 }, (_, i) => `198.51.${i >> 8}.${i & 255}/32`);
    event.detail.requestParameters.ipPermissions.items[0].ipRanges = { items: cidrs.map((cidrIp) => ({ cidrIp })) };
    event.detail.responseElements.securityGroupRuleSet = {
      items: cidrs.map((cidrIpv4, i) => ({
        groupOwnerId: "123456789012",
        groupId: "sg-0123456789abcdef0",
        securityGroupRuleId: `sgr-${i}`,
        isEgress: false,
        ipProtocol: "tcp",
        fromPort: 2049,
        toPort: 2049,
        cidrIpv4,
      })),
    };
    const size = JSON.stringify(event).length;
    expect(size).toBeGreaterThan(80_000);
    expect(size).toBeLessThan(256 * 1024); // what EventBridge accepts
    const { value, ms, heapMb } = measure(() => toTriggers(event, NFS_INGRESS_EVENTS));
    expect(value).toMatchObject({ kind: "triggers", triggers: [{ type: "security-group" }] });
    expect(ms).toBeLessThan(200);
    expect(heapMb).toBeLessThan(32);
  });

  it.each([19_990, 20_000, 20_500])(
    "PutFileSystemPolicy with a %i-character policy: parsed to its file system trigger, fast",
    (length) => {
      const event = sample("efs-put-file-system-policy.json");
      const statement = (i: number) => ({
        Sid: `s${i}`,
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::123456789012:role/app-${i}` },
        Action: "elasticfilesystem:ClientMount",
        Resource: "*",
      });
      const statements = [];
      let policy = "";
      for (let i = 0; policy.length < length; i++) {
        statements.push(statement(i));
        policy = JSON.stringify({ Version: "2012-10-17", Statement: statements });
      }
      event.detail.requestParameters.policy = policy;
      event.detail.responseElements.policy = policy;
      const { value, ms } = measure(() => toTriggers(event, ALL_EVENTS));
      expect(value).toMatchObject({ kind: "triggers", triggers: [{ type: "file-system" }] });
      expect(ms).toBeLessThan(100);
    },
  );

  describe("efs-tls-enforced: the TLS merge near and over EFS's 20,000-character policy limit", () => {
    const FS_ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1";
    const fileSystem = { fileSystemId: "fs-1", region: "us-east-1", arn: FS_ARN, lifeCycleState: "available" };
    const statement = (i: number, sid = `s${i}`) => ({
      Sid: sid,
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::123456789012:role/app-${i}` },
      Action: "elasticfilesystem:ClientMount",
      Resource: FS_ARN,
    });
    /** A compact policy of at least `length` characters, made of distinct Allow statements without the TLS deny. */
    function policyOf(length: number): { policy: string; statements: Record<string, unknown>[] } {
      const statements: Record<string, unknown>[] = [];
      let policy = "";
      for (let i = 0; policy.length < length; i++) {
        statements.push(statement(i));
        policy = JSON.stringify({ Version: "2012-10-17", Statement: statements });
      }
      return { policy, statements };
    }
    /** A policy whose merge is exactly `merged` characters long (compact): the last Sid is padded to fit. */
    function policyMergingTo(merged: number): string {
      const { statements } = policyOf(18_500);
      const lengthWithSid = (sid: string) => {
        const padded = [...statements.slice(0, -1), statement(statements.length - 1, sid)];
        const result = mergeTlsDeny(JSON.stringify({ Version: "2012-10-17", Statement: padded }), FS_ARN);
        return { padded, result };
      };
      const base = lengthWithSid("p");
      if (base.result.status !== "too-large" && base.result.status !== "merged") throw new Error(base.result.status);
      const baseLength = base.result.status === "merged" ? base.result.policy.length : base.result.length;
      const sid = `p${"x".repeat(merged - baseLength)}`;
      return JSON.stringify({ Version: "2012-10-17", Statement: lengthWithSid(sid).padded });
    }
    const config = parseConfig({});

    it.each([12_000, 19_000])(
      "a %i-character policy: merged within the limit, every statement kept, TLS enforced",
      (length) => {
        const { policy, statements } = policyOf(length);
        const { value: finding, ms } = measure(() => tlsEnforced.evaluate({ fileSystem, policy }, config, clock));
        expect(ms).toBeLessThan(200);
        expect(finding.verdict).toBe("non-compliant");
        const plan = finding.plan;
        if (plan?.kind !== "put-file-system-policy") throw new Error(`expected a policy plan, got ${plan?.kind}`);
        expect(plan.policy.length).toBeLessThanOrEqual(MAX_POLICY_LENGTH);
        expect(plan.basedOn).toBe(policy);
        const merged = parsePolicy(plan.policy);
        if (merged.status !== "ok") throw new Error(merged.status);
        // Readable when the pretty-printed form fits, compact (never cut) when only that fits.
        const pretty = JSON.stringify(merged.document, null, 2);
        expect(plan.policy).toBe(pretty.length <= MAX_POLICY_LENGTH ? pretty : JSON.stringify(merged.document));
        expect(merged.statements.slice(0, -1)).toEqual(statements);
        expect(merged.statements).toHaveLength(statements.length + 1);
        expect(assessTls(merged.statements, FS_ARN).enforced).toBe(true);
      },
    );

    it("exactly 20,000 characters after the merge is written; 20,001 is refused", () => {
      const fits = policyMergingTo(MAX_POLICY_LENGTH);
      const merge = mergeTlsDeny(fits, FS_ARN);
      expect(merge.status).toBe("merged");
      expect(merge.status === "merged" && merge.policy.length).toBe(MAX_POLICY_LENGTH);

      const over = policyMergingTo(MAX_POLICY_LENGTH + 1);
      expect(mergeTlsDeny(over, FS_ARN)).toMatchObject({ status: "too-large", length: MAX_POLICY_LENGTH + 1 });
    });

    it.each([19_990, 20_000])(
      "a %i-character policy cannot take the deny: non-compliant, no plan (never truncated or overwritten), the alert says why and fits in SNS",
      (length) => {
        const { policy } = policyOf(length);
        const finding = tlsEnforced.evaluate({ fileSystem, policy }, config, clock);
        expect(finding.verdict).toBe("non-compliant");
        expect(finding.plan).toBeUndefined();
        expect(finding.evidence).toMatchObject({ problem: "too-large", policyLength: policy.length });
        expect(finding.summary).toContain("20000");
        const decision = decide(finding, config, clock);
        expect(decision.intent).not.toBe("remediate");
        const message = buildMessage(
          { finding, decision, action: "none", outcome: "alerted", detail: finding.summary },
          { kind: "sweep", region: "us-east-1" },
        );
        // What is published: the Chatbot JSON and the e-mail text in one message structure.
        expect(Buffer.byteLength(messageStructure(message))).toBeLessThan(SNS_LIMIT);
      },
    );
  });
});

describe("oversized security groups", () => {
  it.each([60, 1000])("%i rules: evaluated, exactly the offending ones planned, the alert fits in SNS", (n) => {
    const config = parseConfig({});
    const state = {
      groupId: "sg-1",
      region: "us-east-1",
      vpcId: "vpc-1",
      vpcCidrs: ["10.0.0.0/16"],
      mountTargets: [{ mountTargetId: "fsmt-1", fileSystemId: "fs-1" }],
      rules: rules(n),
    };
    const { value: finding, ms, heapMb } = measure(() => evaluate(state, config, clock));
    expect(finding.verdict).toBe("non-compliant");
    expect(ruleIdsOf(finding.plan)).toEqual(state.rules.filter((_, i) => i % 3 === 0).map((r) => r.ruleId));
    expect(ms).toBeLessThan(500);
    expect(heapMb).toBeLessThan(64);

    const decision = decide(finding, config, clock);
    for (const outcome of ["remediated", "remediation-failed", "alerted"] as const) {
      const message = buildMessage(
        {
          finding,
          decision,
          action: outcome === "alerted" ? "none" : outcome === "remediated" ? "remediated" : "failed",
          outcome,
          detail: outcome === "remediated" ? (finding.plan?.done ?? "") : "x",
        },
        { kind: "sweep", region: "us-east-1" },
      );
      const bytes = Buffer.byteLength(messageStructure(message));
      expect(bytes, `${outcome} alert for ${n} rules`).toBeLessThan(SNS_LIMIT);
    }
  });
});
