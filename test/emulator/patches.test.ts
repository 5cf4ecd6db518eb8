import { DescribeNetworkInterfacesCommand } from "@aws-sdk/client-ec2";
import { beforeEach, expect, it } from "vitest";
import { resetEmulator } from "../support/emulator.js";
import { Seeder } from "../support/seed.js";

beforeEach(resetEmulator);

it("efs_mount_target_eni: a mount target's interface is described as AWS describes it and carries its groups", async () => {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc();
  const groupId = await seed.securityGroup(vpcId);
  const fileSystemId = await seed.fileSystem();
  const mountTargetId = await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
  const out = await seed.ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [
        { Name: "group-id", Values: [groupId] },
        { Name: "description", Values: ["EFS mount target for *"] },
      ],
    }),
  );
  expect(out.NetworkInterfaces?.map((n) => n.Description)).toEqual([
    `EFS mount target for ${fileSystemId} (${mountTargetId})`,
  ]);
});

it("ec2_security_group_atomic: of 8 concurrent revokes of one rule, exactly one succeeds, the others find it gone", async () => {
  const { RevokeSecurityGroupIngressCommand } = await import("@aws-sdk/client-ec2");
  const seed = new Seeder();
  const { vpcId } = await seed.vpc();
  for (let round = 0; round < 5; round++) {
    const groupId = await seed.securityGroup(vpcId);
    const rule = await seed.nfsFrom(groupId, "0.0.0.0/0");
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () =>
        seed.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [rule] })).then(
          () => "revoked",
          (e: Error) => e.name,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "revoked")).toHaveLength(1);
    expect(outcomes.filter((o) => o !== "revoked").every((o) => o.endsWith(".NotFound"))).toBe(true);
  }
});
