import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/schema.js";
import {
  classifyRule,
  coversNfs,
  describeInterface,
  evaluate,
  type IngressRule,
  needsVpcCidrs,
  type SecurityGroupState,
} from "../../shared/controls/nfs-ingress-restricted.js";
import { shellQuote, withoutNfs } from "../../shared/controls/nfs-rule-split.js";
import type { RemediationPlan } from "../../shared/controls/types.js";
import { fixedClock } from "../../shared/runtime/clock.js";

const clock = fixedClock("2026-11-26T00:00:00Z");
const config = parseConfig({});

/** A group whose only interfaces are mount targets EFS confirmed. */
const ONLY_MOUNT_TARGETS: Partial<SecurityGroupState> = {
  mountTargets: [{ mountTargetId: "fsmt-1", fileSystemId: "fs-1", networkInterfaceId: "eni-1", confirmedByEfs: true }],
  otherInterfaces: [],
};

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
      state(
        [
          { cidrIpv4: "10.0.0.0/16" },
          { cidrIpv4: "0.0.0.0/0" },
          { cidrIpv6: "::/0", protocol: "-1", fromPort: undefined, toPort: undefined },
          { cidrIpv4: "192.168.0.0/16", fromPort: 0, toPort: 65535 },
        ],
        ONLY_MOUNT_TARGETS,
      ),
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

describe("withoutNfs: the same rule minus TCP 2049", () => {
  const tcp = (fromPort: number | undefined, toPort: number | undefined, extra: Partial<IngressRule> = {}) => ({
    ruleId: "sgr-r",
    protocol: "tcp",
    fromPort,
    toPort,
    cidrIpv4: "0.0.0.0/0",
    description: "web",
    ...extra,
  });
  const ports = (rules: { fromPort: number; toPort: number }[] | undefined) =>
    rules?.map((r) => [r.fromPort, r.toPort]);

  it.each([
    [
      0,
      65535,
      [
        [0, 2048],
        [2050, 65535],
      ],
    ],
    [
      -1,
      -1,
      [
        [0, 2048],
        [2050, 65535],
      ],
    ],
    [
      undefined,
      undefined,
      [
        [0, 2048],
        [2050, 65535],
      ],
    ],
    [
      2000,
      2100,
      [
        [2000, 2048],
        [2050, 2100],
      ],
    ],
    [2049, 2050, [[2050, 2050]]],
    [2048, 2049, [[2048, 2048]]],
    [2049, 2049, []],
  ])("TCP %s-%s -> %j", (from, to, expected) => {
    expect(ports(withoutNfs(tcp(from, to)))).toEqual(expected);
    expect(ports(withoutNfs(tcp(from, to, { protocol: "6" })))).toEqual(expected);
  });

  it("keeps the source and the description, for IPv4, IPv6 and prefix lists", () => {
    expect(withoutNfs(tcp(0, 65535))).toEqual([
      { replaces: "sgr-r", fromPort: 0, toPort: 2048, cidrIpv4: "0.0.0.0/0", description: "web" },
      { replaces: "sgr-r", fromPort: 2050, toPort: 65535, cidrIpv4: "0.0.0.0/0", description: "web" },
    ]);
    const v6 = withoutNfs(tcp(2000, 3000, { cidrIpv4: undefined, cidrIpv6: "::/0", description: undefined }));
    expect(v6).toEqual([
      { replaces: "sgr-r", fromPort: 2000, toPort: 2048, cidrIpv6: "::/0" },
      { replaces: "sgr-r", fromPort: 2050, toPort: 3000, cidrIpv6: "::/0" },
    ]);
    const pl = withoutNfs(tcp(2049, 2050, { cidrIpv4: undefined, prefixListId: "pl-0123456789abcdef0" }));
    expect(pl).toEqual([
      { replaces: "sgr-r", fromPort: 2050, toPort: 2050, prefixListId: "pl-0123456789abcdef0", description: "web" },
    ]);
  });

  it("cannot narrow all traffic: the remainder is every IP protocol besides TCP, one rule each", () => {
    expect(withoutNfs({ ruleId: "sgr-a", protocol: "-1", cidrIpv4: "0.0.0.0/0" })).toBeUndefined();
    expect(withoutNfs({ ruleId: "sgr-a", protocol: "all", cidrIpv4: "0.0.0.0/0" })).toBeUndefined();
  });
});

describe("evaluate: never more than the NFS exposure", () => {
  const rules: Partial<IngressRule>[] = [
    { cidrIpv4: "10.0.0.0/16" },
    { cidrIpv4: "0.0.0.0/0", description: "nfs" },
    { cidrIpv4: "0.0.0.0/0", protocol: "-1", fromPort: -1, toPort: -1, description: "all" },
    { cidrIpv4: "192.168.0.0/16", fromPort: 0, toPort: 65535, description: "office" },
    { cidrIpv4: "0.0.0.0/0", fromPort: 443, toPort: 443 },
  ];
  const instance = { networkInterfaceId: "eni-web", interfaceType: "interface", instanceId: "i-0abc" };

  it("a group that serves only mount targets EFS confirmed: every offending rule is revoked whole", () => {
    const finding = evaluate(state(rules, ONLY_MOUNT_TARGETS), config, clock);
    expect(finding.plan).toMatchObject({ ruleIds: ["sgr-1", "sgr-2", "sgr-3"] });
    expect(finding.plan?.kind === "revoke-ingress" && finding.plan.add).toBeUndefined();
    expect((finding.evidence.offendingRules as { action: string }[]).map((r) => r.action)).toEqual([
      "revoke",
      "revoke",
      "revoke",
    ]);
  });

  it("a group that also serves an instance: TCP 2049 revoked, the TCP range replaced, all traffic left", () => {
    const finding = evaluate(state(rules, { ...ONLY_MOUNT_TARGETS, otherInterfaces: [instance] }), config, clock);
    expect(finding.verdict).toBe("non-compliant");
    expect(finding.severity).toBe("critical");
    const plan = finding.plan as Extract<RemediationPlan, { kind: "revoke-ingress" }>;
    expect(plan.ruleIds).toEqual(["sgr-1", "sgr-3"]);
    expect(plan.add).toEqual([
      { replaces: "sgr-3", fromPort: 0, toPort: 2048, cidrIpv4: "192.168.0.0/16", description: "office" },
      { replaces: "sgr-3", fromPort: 2050, toPort: 65535, cidrIpv4: "192.168.0.0/16", description: "office" },
    ]);
    expect(plan.added).toEqual(["TCP ports 0-2048 from 192.168.0.0/16", "TCP ports 2050-65535 from 192.168.0.0/16"]);
    expect(
      (finding.evidence.offendingRules as { ruleId: string; action: string }[]).map((r) => [r.ruleId, r.action]),
    ).toEqual([
      ["sgr-1", "revoke"],
      ["sgr-2", "leave"],
      ["sgr-3", "replace"],
    ]);
    expect(finding.summary).toContain("left in place: sgr-2: all traffic from 0.0.0.0/0");
    expect(plan.describe).toMatch(
      /^add 2 rule\(s\) in place of sgr-3 .*, then revoke 2 rule\(s\) on sg-\w+: sgr-1: TCP port 2049 from 0\.0\.0\.0\/0; sgr-3: TCP ports 0-65535 from 192\.168\.0\.0\/16; left in place: sgr-2/,
    );
    expect(plan.done).toContain("The group also serves eni-web (instance i-0abc)");
    expect(finding.evidence.otherInterfaces).toEqual({ count: 1, named: ["eni-web (instance i-0abc)"] });
  });

  it("the undo hint re-authorizes the originals first, then revokes what was added, quoted for the shell", () => {
    const finding = evaluate(
      state([{ cidrIpv4: "0.0.0.0/0", fromPort: 0, toPort: 65535, description: "it's $(reboot)" }], {
        ...ONLY_MOUNT_TARGETS,
        otherInterfaces: [instance],
      }),
      config,
      clock,
    );
    const undo = finding.plan?.undo ?? "";
    const [authorize, revoke] = undo.split(" ; then ");
    expect(authorize).toContain(
      `aws ec2 authorize-security-group-ingress --region us-east-1 --group-id sg-0123456789abcdef0 --ip-permissions '[{"IpProtocol":"tcp","FromPort":0,"ToPort":65535,"IpRanges":[{"CidrIp":"0.0.0.0/0","Description":"it'\\''s $(reboot)"}]}]'`,
    );
    expect(revoke).toContain(
      `aws ec2 revoke-security-group-ingress --region us-east-1 --group-id sg-0123456789abcdef0 --ip-permissions '[{"IpProtocol":"tcp","FromPort":0,"ToPort":2048,"IpRanges":[{"CidrIp":"0.0.0.0/0","Description":"it'\\''s $(reboot)"}]},{"IpProtocol":"tcp","FromPort":2050,"ToPort":65535,`,
    );
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });

  it("mount targets EFS has not confirmed, or interfaces not read, never allow a whole revoke", () => {
    const broad = [{ cidrIpv4: "0.0.0.0/0", fromPort: 0, toPort: 65535 }];
    const unconfirmed = evaluate(
      state(broad, { mountTargets: [{ mountTargetId: "fsmt-1", fileSystemId: "fs-1" }], otherInterfaces: [] }),
      config,
      clock,
    );
    expect(unconfirmed.plan).toMatchObject({ ruleIds: ["sgr-0"], add: [{ fromPort: 0 }, { fromPort: 2050 }] });
    const unread = evaluate(state(broad, { ...ONLY_MOUNT_TARGETS, otherInterfaces: undefined }), config, clock);
    expect(unread.plan).toMatchObject({ ruleIds: ["sgr-0"], add: [{ fromPort: 0 }, { fromPort: 2050 }] });
  });

  it("only all traffic on a shared group: non-compliant, reported, no plan", () => {
    const finding = evaluate(
      state([{ cidrIpv4: "0.0.0.0/0", protocol: "-1" }], { ...ONLY_MOUNT_TARGETS, otherInterfaces: [instance] }),
      config,
      clock,
    );
    expect(finding.verdict).toBe("non-compliant");
    expect(finding.plan).toBeUndefined();
    expect(finding.summary).toContain("all traffic cannot be narrowed");
  });

  it("names interfaces by what EC2 and EFS write, never their free-text description", () => {
    expect(
      describeInterface({
        networkInterfaceId: "eni-x",
        claims: {
          mountTargetId: "fsmt-1",
          fileSystemId: "fs-1",
          why: "it is not requester-managed: a caller created it",
        },
      }),
    ).toBe("eni-x (described as mount target fsmt-1 of fs-1, but it is not requester-managed: a caller created it)");
    expect(describeInterface({ networkInterfaceId: "eni-y", interfaceType: "lambda" })).toBe("eni-y (lambda)");
  });
});
