import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/schema.js";
import {
  classifyRule,
  coversNfs,
  evaluate,
  type IngressRule,
  needsVpcCidrs,
  type SecurityGroupState,
} from "../../shared/controls/nfs-ingress-restricted.js";
import { fixedClock } from "../../shared/runtime/clock.js";

const clock = fixedClock("2026-11-26T00:00:00Z");
const config = parseConfig({});

function state(rules: Partial<IngressRule>[], extra: Partial<SecurityGroupState> = {}): SecurityGroupState {
  return {
    groupId: "sg-0123456789abcdef0",
    region: "us-east-1",
    vpcId: "vpc-1",
    vpcCidrs: ["10.0.0.0/16", "2600:1f18:abcd:1200::/56"],
    mountTargets: [{ mountTargetId: "fsmt-1", fileSystemId: "fs-1" }],
    rules: rules.map((r, i) => ({ ruleId: `sgr-${i}`, protocol: "tcp", fromPort: 2049, toPort: 2049, ...r })),
    ...extra,
  };
}

describe("coversNfs", () => {
  it.each([
    [{ protocol: "tcp", fromPort: 2049, toPort: 2049 }, true],
    [{ protocol: "tcp", fromPort: 2000, toPort: 3000 }, true],
    [{ protocol: "tcp", fromPort: 0, toPort: 65535 }, true],
    [{ protocol: "tcp", fromPort: 2050, toPort: 3000 }, false],
    [{ protocol: "tcp", fromPort: 22, toPort: 22 }, false],
    [{ protocol: "6", fromPort: 2049, toPort: 2049 }, true],
    [{ protocol: "-1" }, true],
    [{ protocol: "-1", fromPort: 0, toPort: 65535 }, true],
    [{ protocol: "all" }, true],
    [{ protocol: "tcp", fromPort: -1, toPort: -1 }, true],
    [{ protocol: "udp", fromPort: 2049, toPort: 2049 }, false],
    [{ protocol: "icmp", fromPort: -1, toPort: -1 }, false],
  ])("%j -> %s", (rule, expected) => {
    expect(coversNfs(rule)).toBe(expected);
  });
});

describe("classifyRule", () => {
  const allowed = ["10.0.0.0/16", "2600:1f18:abcd:1200::/56", "pl-0123456789abcdef0"];
  it.each([
    [{ cidrIpv4: "0.0.0.0/0" }, "world-open"],
    [{ cidrIpv6: "::/0" }, "world-open"],
    [{ cidrIpv4: "0.0.0.0/16" }, "outside-allowed"],
    [{ cidrIpv4: "10.0.0.0/8" }, "outside-allowed"],
    [{ cidrIpv4: "10.0.3.0/24" }, undefined],
    [{ cidrIpv4: "10.0.0.5/32" }, undefined],
    [{ cidrIpv4: "10.1.0.0/24" }, "outside-allowed"],
    [{ cidrIpv6: "2600:1f18:abcd:1234::/64" }, undefined],
    [{ cidrIpv6: "2600:1f18::/32" }, "outside-allowed"],
    [{ prefixListId: "pl-0123456789abcdef0" }, undefined],
    [{ prefixListId: "pl-0fffffffffffffff0" }, "outside-allowed"],
    [{ referencedGroupId: "sg-0aaaaaaaaaaaaaaaa" }, undefined],
    [{ cidrIpv4: "0.0.0.0/0", fromPort: 22, toPort: 22 }, undefined],
  ])("%j -> %s", (source, expected) => {
    expect(classifyRule({ ruleId: "sgr-1", protocol: "tcp", fromPort: 2049, toPort: 2049, ...source }, allowed)).toBe(
      expected,
    );
  });
});

describe("evaluate", () => {
  it("is not applicable to a group on no mount target", () => {
    const finding = evaluate(state([{ cidrIpv4: "0.0.0.0/0" }], { mountTargets: [] }), config, clock);
    expect(finding.verdict).toBe("not-applicable");
    expect(finding.plan).toBeUndefined();
  });

  it("is compliant with NFS from inside the VPC, from referenced groups, and with other ports open", () => {
    const finding = evaluate(
      state([
        { cidrIpv4: "10.0.0.0/16" },
        { referencedGroupId: "sg-0bbbbbbbbbbbbbbbb" },
        { cidrIpv4: "0.0.0.0/0", fromPort: 443, toPort: 443 },
        { cidrIpv6: "2600:1f18:abcd:1200::/56" },
      ]),
      config,
      clock,
    );
    expect(finding.verdict).toBe("compliant");
  });

  it("flags exactly the offending rules, critical when world-open", () => {
    const finding = evaluate(
      state([
        { cidrIpv4: "10.0.0.0/16" },
        { cidrIpv4: "0.0.0.0/0" },
        { cidrIpv6: "::/0", protocol: "-1", fromPort: undefined, toPort: undefined },
        { cidrIpv4: "192.168.0.0/16", fromPort: 0, toPort: 65535 },
      ]),
      config,
      clock,
    );
    expect(finding.verdict).toBe("non-compliant");
    expect(finding.severity).toBe("critical");
    expect(finding.plan).toMatchObject({
      kind: "revoke-ingress",
      groupId: "sg-0123456789abcdef0",
      ruleIds: ["sgr-1", "sgr-2", "sgr-3"],
    });
    expect(finding.summary).toContain("the internet");
  });

  it("is high, not critical, for a private range outside the VPC; 0.0.0.0/16 is not world-open", () => {
    for (const cidr of ["172.16.0.0/12", "0.0.0.0/16"]) {
      const finding = evaluate(state([{ cidrIpv4: cidr }]), config, clock);
      expect(finding.verdict).toBe("non-compliant");
      expect(finding.severity).toBe("high");
    }
  });

  it("uses an explicit allowedNfsSources instead of the VPC", () => {
    const explicit = parseConfig({ allowedNfsSources: ["10.0.1.0/24", "pl-0123456789abcdef0"] });
    expect(evaluate(state([{ cidrIpv4: "10.0.1.0/25" }]), explicit, clock).verdict).toBe("compliant");
    expect(evaluate(state([{ cidrIpv4: "10.0.2.0/24" }]), explicit, clock).verdict).toBe("non-compliant");
    expect(evaluate(state([{ prefixListId: "pl-0123456789abcdef0" }]), explicit, clock).verdict).toBe("compliant");
  });

  it("treats an unknown VPC range as nothing allowed (fails closed)", () => {
    const finding = evaluate(state([{ cidrIpv4: "10.0.0.0/16" }], { vpcCidrs: undefined }), config, clock);
    expect(finding.verdict).toBe("non-compliant");
  });
});

describe("needsVpcCidrs", () => {
  it("is false when only world-open, referenced-group or non-NFS rules exist, or sources are explicit", () => {
    const rules: IngressRule[] = [
      { ruleId: "a", protocol: "tcp", fromPort: 2049, toPort: 2049, cidrIpv4: "0.0.0.0/0" },
      { ruleId: "b", protocol: "tcp", fromPort: 2049, toPort: 2049, referencedGroupId: "sg-1" },
      { ruleId: "c", protocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "10.0.0.0/8" },
    ];
    expect(needsVpcCidrs(rules, config)).toBe(false);
    const withPrivate = [
      ...rules,
      { ruleId: "d", protocol: "tcp", fromPort: 2049, toPort: 2049, cidrIpv4: "10.0.0.0/8" },
    ];
    expect(needsVpcCidrs(withPrivate, config)).toBe(true);
    expect(needsVpcCidrs(withPrivate, parseConfig({ allowedNfsSources: ["10.0.0.0/8"] }))).toBe(false);
  });
});
