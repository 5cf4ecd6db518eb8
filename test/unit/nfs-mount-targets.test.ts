import { describe, expect, it } from "vitest";
import type { GroupInterface } from "../../shared/aws/ec2.js";
import { confirmAgainst, groupView } from "../../shared/guards/nfs-ingress.js";

/**
 * Which interfaces on a group are mount targets, from data callers cannot write: requester-managed (EC2) and
 * EFS's own record of the mount target with that interface id. The descriptions are the attacker's part.
 */
const mountTarget = (eni: string, fsmt: string, fs = "fs-0123456789abcdef0"): GroupInterface => ({
  networkInterfaceId: eni,
  vpcId: "vpc-1",
  groupIds: ["sg-1"],
  requesterManaged: true,
  interfaceType: "interface",
  describedAs: { fileSystemId: fs, mountTargetId: fsmt },
});

describe("groupView", () => {
  it("takes only requester-managed interfaces with a mount target's description for mount targets", () => {
    const view = groupView(
      [
        mountTarget("eni-a", "fsmt-0000000a"),
        { ...mountTarget("eni-forged", "fsmt-0000000a"), requesterManaged: false },
        { networkInterfaceId: "eni-web", groupIds: ["sg-1"], requesterManaged: false, instanceId: "i-1" },
        { networkInterfaceId: "eni-lambda", groupIds: ["sg-1"], requesterManaged: true, interfaceType: "lambda" },
        mountTarget("eni-other-group", "fsmt-0000000b"),
      ].map((eni) => (eni.networkInterfaceId === "eni-other-group" ? { ...eni, groupIds: ["sg-2"] } : eni)),
      "sg-1",
    );
    expect(view.vpcId).toBe("vpc-1");
    expect(view.mountTargets).toEqual([
      { fileSystemId: "fs-0123456789abcdef0", mountTargetId: "fsmt-0000000a", networkInterfaceId: "eni-a" },
    ]);
    expect(view.others).toEqual([
      {
        networkInterfaceId: "eni-forged",
        interfaceType: "interface",
        claims: {
          fileSystemId: "fs-0123456789abcdef0",
          mountTargetId: "fsmt-0000000a",
          why: "it is not requester-managed: a caller created it",
        },
      },
      { networkInterfaceId: "eni-web", instanceId: "i-1" },
      { networkInterfaceId: "eni-lambda", interfaceType: "lambda" },
    ]);
  });
});

describe("confirmAgainst EFS's record", () => {
  const claims = groupView(
    [
      mountTarget("eni-a", "fsmt-0000000a"),
      mountTarget("eni-b", "fsmt-0000000b"),
      mountTarget("eni-c", "fsmt-0000000c"),
    ],
    "sg-1",
  ).mountTargets;

  it("confirms a mount target only with the very interface EFS reports for it", () => {
    const record = new Map([
      ["fsmt-0000000a", "eni-a"],
      ["fsmt-0000000b", "eni-zzz"],
    ]);
    const { confirmed, refuted } = confirmAgainst(claims, "fs-0123456789abcdef0", record);
    expect(confirmed).toEqual([{ ...claims[0], confirmedByEfs: true }]);
    expect(refuted.map((r) => [r.networkInterfaceId, r.claims?.why])).toEqual([
      ["eni-b", "EFS reports fsmt-0000000b with interface eni-zzz"],
      ["eni-c", "EFS reports no mount target fsmt-0000000c for fs-0123456789abcdef0"],
    ]);
  });

  it("refutes every claim on a file system EFS does not have", () => {
    const { confirmed, refuted } = confirmAgainst(claims, "fs-0123456789abcdef0", undefined);
    expect(confirmed).toEqual([]);
    expect(refuted.map((r) => r.claims?.why)).toEqual(Array(3).fill("EFS has no file system fs-0123456789abcdef0"));
  });
});
