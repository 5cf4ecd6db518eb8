import {
  AuthorizeSecurityGroupIngressCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  type Filter,
  ModifyNetworkInterfaceAttributeCommand,
} from "@aws-sdk/client-ec2";
import {
  DeleteMountTargetCommand,
  DescribeMountTargetsCommand,
  ModifyMountTargetSecurityGroupsCommand,
} from "@aws-sdk/client-efs";
import { beforeEach, describe, expect, it } from "vitest";
import { Seeder } from "../../emulator/seed.js";
import { resetEmulator } from "../support/emulator.js";
import { errorName } from "../support/errors.js";

beforeEach(resetEmulator);

const ACCOUNT = "123456789012";

async function account() {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc();
  const groupId = await seed.securityGroup(vpcId);
  const other = await seed.securityGroup(vpcId);
  const fileSystemId = await seed.fileSystem();
  const mountTargetId = await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
  const [record] = (await seed.efs.send(new DescribeMountTargetsCommand({ MountTargetId: mountTargetId })))
    .MountTargets!;
  const description = `EFS mount target for ${fileSystemId} (${mountTargetId})`;
  const forged = await seed.ec2.send(
    new CreateNetworkInterfaceCommand({ SubnetId: subnets[1]!, Groups: [groupId], Description: description }),
  );
  return {
    seed,
    groupId,
    other,
    mountTargetId,
    description,
    eniId: record!.NetworkInterfaceId!,
    forgedId: forged.NetworkInterface!.NetworkInterfaceId!,
  };
}

async function interfaces(seed: Seeder, Filters: Filter[]) {
  return (await seed.ec2.send(new DescribeNetworkInterfacesCommand({ Filters }))).NetworkInterfaces ?? [];
}

describe("ec2_requester_managed_interfaces", () => {
  it("a mount target's interface is requester-managed by EFS (not the account), in use, of type interface", async () => {
    const { seed, eniId, description, groupId } = await account();
    const [eni] = (await seed.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] })))
      .NetworkInterfaces!;
    expect(eni).toMatchObject({
      Description: description,
      RequesterManaged: true,
      InterfaceType: "interface",
      Status: "in-use",
      Groups: [expect.objectContaining({ GroupId: groupId })],
    });
    expect(eni!.RequesterId).toMatch(/^\d{12}$/);
    expect(eni!.RequesterId).not.toBe(ACCOUNT);
  });

  it("an interface a caller creates is not requester-managed, whatever its description", async () => {
    const { seed, forgedId, description, eniId } = await account();
    const [forged] = (await seed.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [forgedId] })))
      .NetworkInterfaces!;
    expect(forged).toMatchObject({ Description: description, RequesterManaged: false });
    const [real] = (await seed.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] })))
      .NetworkInterfaces!;
    expect(forged!.RequesterId).not.toBe(real!.RequesterId);
  });

  it("DescribeNetworkInterfaces filters on requester-managed, requester-id and interface-type", async () => {
    const { seed, groupId, eniId, forgedId } = await account();
    const ids = (list: { NetworkInterfaceId?: string }[]) => list.map((n) => n.NetworkInterfaceId).sort();
    const group = { Name: "group-id", Values: [groupId] };
    expect(ids(await interfaces(seed, [group]))).toEqual([eniId, forgedId].sort());
    expect(ids(await interfaces(seed, [group, { Name: "requester-managed", Values: ["true"] }]))).toEqual([eniId]);
    expect(ids(await interfaces(seed, [group, { Name: "requester-managed", Values: ["false"] }]))).toEqual([forgedId]);
    const [real] = await interfaces(seed, [{ Name: "network-interface-id", Values: [eniId] }]);
    expect(ids(await interfaces(seed, [{ Name: "requester-id", Values: [real!.RequesterId!] }]))).toEqual([eniId]);
    expect(ids(await interfaces(seed, [group, { Name: "interface-type", Values: ["interface"] }]))).toEqual(
      [eniId, forgedId].sort(),
    );
  });

  it("a caller can change neither the description nor the groups of a mount target's interface, nor delete it", async () => {
    const { seed, eniId, description, groupId, other, forgedId } = await account();
    const NetworkInterfaceId = eniId;
    expect(
      await errorName(
        seed.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId, Description: { Value: "x" } })),
      ),
    ).toBe("OperationNotPermitted");
    expect(
      await errorName(
        seed.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId, Groups: [other] })),
      ),
    ).toBe("OperationNotPermitted");
    expect(await errorName(seed.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId })))).toBe(
      "OperationNotPermitted",
    );
    const [eni] = await interfaces(seed, [{ Name: "network-interface-id", Values: [eniId] }]);
    expect(eni).toMatchObject({ Description: description, Groups: [expect.objectContaining({ GroupId: groupId })] });
    // The caller's own interface is theirs to change.
    await seed.ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: forgedId, Description: { Value: "mine" } }),
    );
    await seed.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: forgedId }));
  });

  it("EFS itself still changes the interface's groups and deletes it with the mount target", async () => {
    const { seed, eniId, mountTargetId, other } = await account();
    await seed.efs.send(
      new ModifyMountTargetSecurityGroupsCommand({ MountTargetId: mountTargetId, SecurityGroups: [other] }),
    );
    const [eni] = await interfaces(seed, [{ Name: "network-interface-id", Values: [eniId] }]);
    expect(eni!.Groups!.map((g) => g.GroupId)).toEqual([other]);
    await seed.efs.send(new DeleteMountTargetCommand({ MountTargetId: mountTargetId }));
    expect(await interfaces(seed, [{ Name: "requester-managed", Values: ["true"] }])).toEqual([]);
  });
});

describe("ec2_authorize_ingress_rule_set", () => {
  const tcp = (from: number, to: number) => ({
    IpProtocol: "tcp",
    FromPort: from,
    ToPort: to,
    IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "x" }],
  });

  it("answers with every rule it added, one per permission", async () => {
    const seed = new Seeder();
    const { vpcId } = await seed.vpc();
    const groupId = await seed.securityGroup(vpcId);
    const out = await seed.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [tcp(0, 2048), tcp(2050, 65535)] }),
    );
    const ids = (out.SecurityGroupRules ?? []).map((r) => r.SecurityGroupRuleId);
    expect((out.SecurityGroupRules ?? []).map((r) => [r.FromPort, r.ToPort])).toEqual([
      [0, 2048],
      [2050, 65535],
    ]);
    expect((await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId).sort()).toEqual(ids.sort());
  });

  it("adds none of its rules when one is a duplicate, or when the group's quota would be passed", async () => {
    const seed = new Seeder();
    const { vpcId } = await seed.vpc();
    const groupId = await seed.securityGroup(vpcId);
    const existing = await seed.ingress(groupId, tcp(2050, 65535));
    expect(
      await errorName(
        seed.ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: groupId,
            IpPermissions: [tcp(0, 2048), tcp(2050, 65535)],
          }),
        ),
      ),
    ).toBe("InvalidPermission.Duplicate");
    expect((await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([existing]);
    for (let i = 1; i < 59; i++) await seed.ingress(groupId, tcp(10000 + i, 10000 + i));
    expect(await seed.ingressRules(groupId)).toHaveLength(59);
    expect(
      await errorName(
        seed.ec2.send(
          new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [tcp(1, 1), tcp(2, 2)] }),
        ),
      ),
    ).toBe("RulesPerSecurityGroupLimitExceeded");
    expect(await seed.ingressRules(groupId)).toHaveLength(59);
  });
});
