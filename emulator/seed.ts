import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  type IpPermission,
} from "@aws-sdk/client-ec2";
import {
  CreateFileSystemCommand,
  type CreateFileSystemCommandInput,
  CreateMountTargetCommand,
  EFSClient,
} from "@aws-sdk/client-efs";

export const REGION = "us-east-1";

/** CreateFileSystem settings a seeded file system may have besides encryption: throughput, One Zone, backups. */
export type SeedFileSystemSettings = Pick<
  CreateFileSystemCommandInput,
  "ThroughputMode" | "ProvisionedThroughputInMibps" | "AvailabilityZoneName" | "Backup" | "PerformanceMode"
>;

/** Seeds the emulator with the resources a test needs, through the real SDK (the same calls a user would make). */
export class Seeder {
  readonly ec2: EC2Client;
  readonly efs: EFSClient;

  constructor(readonly region: string = REGION) {
    this.ec2 = new EC2Client({ region });
    this.efs = new EFSClient({ region });
  }

  async vpc(cidr = "10.0.0.0/16", azs = ["a", "b", "c"].map((zone) => `${this.region}${zone}`)) {
    const vpc = await this.ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
    const vpcId = vpc.Vpc!.VpcId!;
    const base = cidr.split(".").slice(0, 2).join(".");
    const subnets: string[] = [];
    for (const [i, az] of azs.entries()) {
      const subnet = await this.ec2.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `${base}.${i + 1}.0/24`, AvailabilityZone: az }),
      );
      subnets.push(subnet.Subnet!.SubnetId!);
    }
    return { vpcId, subnets };
  }

  async securityGroup(
    vpcId: string,
    name = `efs-${Math.random().toString(36).slice(2, 8)}`,
    tags?: Record<string, string>,
  ) {
    const out = await this.ec2.send(
      new CreateSecurityGroupCommand({
        VpcId: vpcId,
        GroupName: name,
        Description: "mount targets",
        ...(tags
          ? {
              TagSpecifications: [
                { ResourceType: "security-group", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
              ],
            }
          : {}),
      }),
    );
    return out.GroupId!;
  }

  /** Authorizes one ingress permission and returns the new rule's id. */
  async ingress(groupId: string, permission: IpPermission): Promise<string> {
    const out = await this.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [permission] }),
    );
    const id = out.SecurityGroupRules?.[0]?.SecurityGroupRuleId;
    if (id) return id;
    // Older emulator responses omit the rule set; find the rule by its shape instead.
    const rules = await this.ingressRules(groupId);
    const match = rules.at(-1);
    if (!match?.SecurityGroupRuleId) throw new Error("rule not created");
    return match.SecurityGroupRuleId;
  }

  async nfsFrom(groupId: string, cidr: string, ports: { from?: number; to?: number; protocol?: string } = {}) {
    const protocol = ports.protocol ?? "tcp";
    const v6 = cidr.includes(":");
    return this.ingress(groupId, {
      IpProtocol: protocol,
      ...(protocol === "-1" ? {} : { FromPort: ports.from ?? 2049, ToPort: ports.to ?? 2049 }),
      ...(v6 ? { Ipv6Ranges: [{ CidrIpv6: cidr }] } : { IpRanges: [{ CidrIp: cidr }] }),
    });
  }

  async ingressRules(groupId: string) {
    const out = await this.ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [groupId] }] }),
    );
    return (out.SecurityGroupRules ?? []).filter((r) => !r.IsEgress);
  }

  async fileSystem(
    options: {
      encrypted?: boolean;
      kmsKeyId?: string;
      tags?: Record<string, string>;
      settings?: SeedFileSystemSettings;
    } = {},
  ) {
    const out = await this.efs.send(
      new CreateFileSystemCommand({
        CreationToken: `fs-${Math.random().toString(36).slice(2)}`,
        Encrypted: options.encrypted ?? false,
        ...(options.kmsKeyId ? { KmsKeyId: options.kmsKeyId } : {}),
        ...options.settings,
        Tags: Object.entries(options.tags ?? { Name: "shared" }).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return out.FileSystemId!;
  }

  async mountTarget(fileSystemId: string, subnetId: string, securityGroups: string[]) {
    const out = await this.efs.send(
      new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: subnetId, SecurityGroups: securityGroups }),
    );
    return out.MountTargetId!;
  }
}
