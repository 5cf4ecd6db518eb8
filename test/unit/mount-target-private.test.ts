import { describe, expect, it } from "vitest";
import { effectiveTables, type RouteTableInfo, toRouteTableInfo } from "../../shared/aws/ec2.js";
import { parseConfig } from "../../shared/config/schema.js";
import {
  evaluate,
  type MountTargetPrivacyState,
  type RouteTableFacts,
  type SubnetFacts,
} from "../../shared/controls/mount-target-private.js";
import { fileSystemTriggers, findingsOf, sweepPlacements } from "../../shared/guards/mount-targets.js";
import { decide } from "../../shared/pipeline/decide.js";
import { fixedClock } from "../../shared/runtime/clock.js";

const config = parseConfig({});
const clock = fixedClock("2026-11-26T12:00:00Z");
const FS = { fileSystemId: "fs-0123456789abcdef0", region: "us-east-1" };
const MT = { mountTargetId: "fsmt-0123456789abcdef0", subnetId: "subnet-0aaaaaaaaaaaaaaaa" };
const LOCAL = { destination: "10.0.0.0/16", target: "local", state: "active" };

function state(
  subnet: Partial<SubnetFacts> = {},
  table: Partial<RouteTableFacts> = {},
  extra: Partial<MountTargetPrivacyState> = {},
): MountTargetPrivacyState {
  return {
    fileSystem: FS,
    mountTargets: [MT],
    subnets: { [MT.subnetId]: { subnetId: MT.subnetId, mapPublicIpOnLaunch: false, tags: {}, ...subnet } },
    routeTables: { [MT.subnetId]: { routeTableId: "rtb-0aaaaaaaaaaaaaaaa", main: false, routes: [LOCAL], ...table } },
    ...extra,
  };
}

describe("efs-mount-target-private evaluator", () => {
  it("a private subnet (local and NAT routes only) is compliant, on the file system", () => {
    const f = evaluate(
      state({}, { routes: [LOCAL, { destination: "0.0.0.0/0", target: "nat-0aaaaaaaaaaaaaaaa" }] }),
      config,
      clock,
    );
    expect(f).toMatchObject({ verdict: "compliant", resource: { type: "file-system", id: FS.fileSystemId } });
  });

  it("public by MapPublicIpOnLaunch (Security Hub EFS.6)", () => {
    const f = evaluate(state({ mapPublicIpOnLaunch: true }), config, clock);
    expect(f.verdict).toBe("non-compliant");
    expect(f.severity).toBe("medium");
    expect(f.evidence.publicMountTargets).toEqual([
      { ...MT, reasons: [`subnet ${MT.subnetId} assigns public IPv4 addresses on launch`] },
    ]);
    expect(f.summary).toContain(MT.mountTargetId);
  });

  it("public by 0.0.0.0/0 to an internet gateway", () => {
    const f = evaluate(
      state({}, { routes: [LOCAL, { destination: "0.0.0.0/0", target: "igw-0aaaaaaaaaaaaaaaa", state: "active" }] }),
      config,
      clock,
    );
    expect(f.verdict).toBe("non-compliant");
    expect(f.summary).toContain(
      "the default route 0.0.0.0/0 of route table rtb-0aaaaaaaaaaaaaaaa goes to internet gateway igw-0aaaaaaaaaaaaaaaa",
    );
  });

  it("public by ::/0 to an internet gateway", () => {
    const f = evaluate(
      state({}, { routes: [{ destination: "::/0", target: "igw-0aaaaaaaaaaaaaaaa" }] }),
      config,
      clock,
    );
    expect(f.verdict).toBe("non-compliant");
    expect(f.summary).toContain("the default route ::/0");
  });

  it("::/0 to an egress-only internet gateway is not public", () => {
    const f = evaluate(
      state({}, { routes: [{ destination: "::/0", target: "eigw-0aaaaaaaaaaaaaaaa" }] }),
      config,
      clock,
    );
    expect(f.verdict).toBe("compliant");
  });

  it("a blackhole route to a deleted internet gateway is not public", () => {
    const routes = [{ destination: "0.0.0.0/0", target: "igw-0aaaaaaaaaaaaaaaa", state: "blackhole" }];
    expect(evaluate(state({}, { routes }), config, clock).verdict).toBe("compliant");
  });

  it("the main table's route, for a subnet without an explicit association (effectiveTables)", () => {
    const tables: RouteTableInfo[] = [
      {
        routeTableId: "rtb-0main000000000000",
        vpcId: "vpc-1",
        main: true,
        subnetIds: [],
        associations: {},
        routes: [{ destination: "0.0.0.0/0", target: "igw-0aaaaaaaaaaaaaaaa", state: "active" }],
      },
      {
        routeTableId: "rtb-0private000000000",
        vpcId: "vpc-1",
        main: false,
        subnetIds: ["subnet-0bbbbbbbbbbbbbbbb"],
        associations: {},
        routes: [LOCAL],
      },
    ];
    const effective = effectiveTables(tables, [
      { subnetId: MT.subnetId, vpcId: "vpc-1" },
      { subnetId: "subnet-0bbbbbbbbbbbbbbbb", vpcId: "vpc-1" },
    ]);
    expect(effective.get(MT.subnetId)?.routeTableId).toBe("rtb-0main000000000000");
    expect(effective.get("subnet-0bbbbbbbbbbbbbbbb")?.routeTableId).toBe("rtb-0private000000000");
    const main = effective.get(MT.subnetId) as RouteTableInfo;
    const f = evaluate(state({}, { routeTableId: main.routeTableId, main: true, routes: main.routes }), config, clock);
    expect(f.summary).toContain("of the main route table rtb-0main000000000000");
  });

  it("a subnet exempt by its own tags: the finding is exempt, and says until when", () => {
    const tags = { "efs-guard:exempt": "efs-mount-target-private", "efs-guard:exempt-until": "2026-12-01" };
    const f = evaluate(state({ mapPublicIpOnLaunch: true, tags }), config, clock);
    expect(f.verdict).toBe("non-compliant");
    expect(f.evidence.publicMountTargets).toEqual([]);
    expect(f.evidence.exemptMountTargets).toEqual([
      { ...MT, reasons: [expect.any(String)], exemptUntil: "2026-12-01" },
    ]);
    expect(decide(f, config, clock)).toMatchObject({ intent: "exempt", exemption: { status: "active" } });
  });

  it("an expired exemption on the subnet: alerted, naming the expiry", () => {
    const tags = { "efs-guard:exempt": "all", "efs-guard:exempt-until": "2026-11-01" };
    const f = evaluate(state({ mapPublicIpOnLaunch: true, tags }), config, clock);
    const d = decide(f, config, clock);
    expect(d.intent).toBe("alert");
    expect(d.why).toBe("control is in alert mode (exemption expired on 2026-11-01)");
  });

  it("the file system's own tags do not exempt it: only the subnet's do", () => {
    const f = evaluate(state({ mapPublicIpOnLaunch: true }), config, clock);
    expect(f.tags).toEqual({});
    expect(decide(f, config, clock).intent).toBe("alert");
  });

  it("one exempt and one public mount target: alerted for the public one, the exempt one listed", () => {
    const other = { mountTargetId: "fsmt-0bbbbbbbbbbbbbbbb", subnetId: "subnet-0bbbbbbbbbbbbbbbb" };
    const tags = { "efs-guard:exempt": "all", "efs-guard:exempt-until": "2026-12-01" };
    const s = state({ mapPublicIpOnLaunch: true, tags });
    s.mountTargets.push(other);
    s.subnets[other.subnetId] = { subnetId: other.subnetId, mapPublicIpOnLaunch: true, tags: {} };
    const f = evaluate(s, config, clock);
    expect((f.evidence.publicMountTargets as { mountTargetId: string }[]).map((p) => p.mountTargetId)).toEqual([
      other.mountTargetId,
    ]);
    expect((f.evidence.exemptMountTargets as { mountTargetId: string }[]).map((p) => p.mountTargetId)).toEqual([
      MT.mountTargetId,
    ]);
    expect(decide(f, config, clock).intent).toBe("alert");
  });

  it("no mount target: not applicable", () => {
    expect(evaluate(state({}, {}, { mountTargets: [] }), config, clock).verdict).toBe("not-applicable");
  });
});

describe("findingsOf: a partial view reports only what is public", () => {
  const subnets = [{ subnetId: MT.subnetId, vpcId: "vpc-1", mapPublicIpOnLaunch: false, tags: {} }];
  const table = (routes: RouteTableInfo["routes"]): Map<string, RouteTableInfo> =>
    new Map([
      [MT.subnetId, { routeTableId: "rtb-1", vpcId: "vpc-1", main: false, subnetIds: [], associations: {}, routes }],
    ]);
  const mountTargets = [{ ...MT, fileSystemId: FS.fileSystemId }];

  it("an EC2 event's view of a private subnet gives no finding (never a compliant one from a partial view)", () => {
    expect(
      findingsOf({ mountTargets, subnets, tables: table([LOCAL]), complete: false }, "us-east-1", config, clock),
    ).toEqual([]);
  });

  it("a complete view (CreateMountTarget) reports the compliant file system", () => {
    const out = findingsOf(
      { mountTargets, subnets, tables: table([LOCAL]), complete: true },
      "us-east-1",
      config,
      clock,
    );
    expect(out.map((f) => f.verdict)).toEqual(["compliant"]);
  });

  it("a public one is reported from either view", () => {
    const routes = [{ destination: "0.0.0.0/0", target: "igw-1" }];
    const out = findingsOf(
      { mountTargets, subnets, tables: table(routes), complete: false },
      "us-east-1",
      config,
      clock,
    );
    expect(out.map((f) => [f.verdict, f.resource.id])).toEqual([["non-compliant", FS.fileSystemId]]);
  });
});

describe("toRouteTableInfo", () => {
  it("reads the main flag, explicit associations and route targets as EC2 answers them", () => {
    const info = toRouteTableInfo({
      RouteTableId: "rtb-1",
      VpcId: "vpc-1",
      Associations: [
        { Main: true, RouteTableAssociationId: "rtbassoc-main", AssociationState: { State: "associated" } },
        { SubnetId: "subnet-1", RouteTableAssociationId: "rtbassoc-1", AssociationState: { State: "associated" } },
        { SubnetId: "subnet-2", RouteTableAssociationId: "rtbassoc-2", AssociationState: { State: "disassociated" } },
      ],
      Routes: [
        { DestinationCidrBlock: "0.0.0.0/0", GatewayId: "igw-1", State: "active" },
        { DestinationIpv6CidrBlock: "::/0", EgressOnlyInternetGatewayId: "eigw-1", State: "active" },
      ],
    });
    expect(info).toEqual({
      routeTableId: "rtb-1",
      vpcId: "vpc-1",
      main: true,
      subnetIds: ["subnet-1"],
      associations: { "rtbassoc-main": "main", "rtbassoc-1": "subnet-1" },
      routes: [
        { destination: "0.0.0.0/0", target: "igw-1", state: "active" },
        { destination: "::/0", target: "eigw-1", state: "active" },
      ],
    });
  });
});

describe("the sweep's view: from the region's interfaces, subnets and tables", () => {
  const eni = (fs: string, mt: string, subnetId: string, requesterManaged = true) => ({
    networkInterfaceId: `eni-${mt}`,
    vpcId: "vpc-1",
    subnetId,
    groupIds: [],
    requesterManaged,
    describedAs: { fileSystemId: fs, mountTargetId: mt },
  });
  const interfaces = [
    eni("fs-2", "fsmt-b", "subnet-b"),
    eni("fs-1", "fsmt-a", "subnet-a"),
    eni("fs-1", "fsmt-c", "subnet-c"),
  ];
  const subnets = ["subnet-a", "subnet-b", "subnet-c"].map((subnetId) => ({
    subnetId,
    vpcId: "vpc-1",
    mapPublicIpOnLaunch: subnetId === "subnet-c",
    tags: {},
  }));
  const main: RouteTableInfo = {
    routeTableId: "rtb-m",
    vpcId: "vpc-1",
    main: true,
    subnetIds: [],
    associations: {},
    routes: [LOCAL],
  };

  it("one trigger per file system, in id order", () => {
    expect(fileSystemTriggers(interfaces)).toEqual([
      { type: "file-system", fileSystemId: "fs-1" },
      { type: "file-system", fileSystemId: "fs-2" },
    ]);
  });

  it("every mount target of the file system, complete: one public one makes the finding", () => {
    const placements = sweepPlacements("fs-1", interfaces, subnets, [main]);
    expect(placements.mountTargets.map((m) => m.mountTargetId)).toEqual(["fsmt-a", "fsmt-c"]);
    expect(placements.complete).toBe(true);
    const [finding] = findingsOf(placements, "us-east-1", config, clock);
    expect(finding?.verdict).toBe("non-compliant");
    expect((finding!.evidence.publicMountTargets as { mountTargetId: string }[]).map((p) => p.mountTargetId)).toEqual([
      "fsmt-c",
    ]);
    expect(
      findingsOf(sweepPlacements("fs-2", interfaces, subnets, [main]), "us-east-1", config, clock)[0]?.verdict,
    ).toBe("compliant");
  });
});
