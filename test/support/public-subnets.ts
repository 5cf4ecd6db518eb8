import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
} from "@aws-sdk/client-ec2";
import { Seeder } from "../../emulator/seed.js";

/**
 * The account of the efs-mount-target-private tests (test/integration/mount-target-private.test.ts,
 * mount-targets-faults.test.ts), seeded on the emulator.
 */
/** A VPC with three subnets, each on its own private table (no internet route), a group and an attached gateway. */
export async function account() {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId, "efs");
  const igw = await seed.ec2.send(new CreateInternetGatewayCommand({}));
  const igwId = igw.InternetGateway!.InternetGatewayId!;
  await seed.ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
  const tables: string[] = [];
  for (const subnetId of subnets) {
    const t = await seed.ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    const routeTableId = t.RouteTable!.RouteTableId!;
    await seed.ec2.send(new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: subnetId }));
    tables.push(routeTableId);
  }
  return { seed, vpcId, subnets, groupId, igwId, tables };
}

export type Account = Awaited<ReturnType<typeof account>>;

/** A new table of the VPC whose ::/0 goes to the internet gateway. */
export async function internetTable(a: Account) {
  const t = await a.seed.ec2.send(new CreateRouteTableCommand({ VpcId: a.vpcId }));
  const id = t.RouteTable!.RouteTableId!;
  await a.seed.ec2.send(
    new CreateRouteCommand({ RouteTableId: id, DestinationIpv6CidrBlock: "::/0", GatewayId: a.igwId }),
  );
  return id;
}

export async function mountTarget(a: Account, subnet: number) {
  const fileSystemId = await a.seed.fileSystem({ encrypted: true });
  const subnetId = a.subnets[subnet]!;
  const mountTargetId = await a.seed.mountTarget(fileSystemId, subnetId, [a.groupId]);
  return { fileSystemId, mountTargetId, subnetId };
}
