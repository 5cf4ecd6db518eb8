import {
  AssociateRouteTableCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  DescribeRouteTablesCommand,
  ModifySubnetAttributeCommand,
  ReplaceRouteTableAssociationCommand,
} from "@aws-sdk/client-ec2";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { REGION } from "../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import {
  associateRouteTableEvent,
  cloudTrailEnvelope,
  createMountTargetEvent,
  createRouteEvent,
  modifySubnetAttributeEvent,
  replaceRouteTableAssociationEvent,
} from "../../events/build.js";
import { allGuards } from "../../shared/guards/index.js";
import { sweepRegion } from "../../shared/pipeline/sweep.js";
import { runCli } from "../support/cli.js";
import { testDeps } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";
import { type Account, account, internetTable, mountTarget } from "../support/public-subnets.js";

const ENTRY = "functions/mount-targets/handler.ts";

let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

async function deliver(host: FunctionHost, event: unknown) {
  await host.putEvents([event as Parameters<FunctionHost["putEvents"]>[0][number]]);
  const invocations = (await host.drain()).filter((i) => i.entry === ENTRY);
  expect(invocations.map((i) => i.error)).toEqual([undefined]);
  return invocations[0]?.result as {
    outcome: string;
    reason?: string;
    findings: { outcome: string; resource: string }[];
  };
}

describe("efs-mount-target-private end to end on the emulator (issue 15)", () => {
  let host: FunctionHost;
  let a: Account;
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
    a = await account();
  });

  it("a mount target created in a subnet that assigns public IPv4 addresses: one alert naming it", async () => {
    await a.seed.ec2.send(
      new ModifySubnetAttributeCommand({ SubnetId: a.subnets[0]!, MapPublicIpOnLaunch: { Value: true } }),
    );
    const mt = await mountTarget(a, 0);
    const report = await deliver(host, createMountTargetEvent({ ...mt, securityGroups: [a.groupId], vpcId: a.vpcId }));
    expect(report.findings).toEqual([expect.objectContaining({ resource: mt.fileSystemId, outcome: "alerted" })]);
    const alerts = (await host.alerts()).filter((x) => x.attributes.control === "efs-mount-target-private");
    expect(alerts.map((x) => x.attributes)).toEqual([
      { control: "efs-mount-target-private", severity: "medium", outcome: "alerted" },
    ]);
    const text = JSON.stringify(alerts[0]?.message);
    expect(text).toContain(mt.mountTargetId);
    expect(text).toContain(mt.fileSystemId);
    expect(text).toContain(`subnet ${mt.subnetId} assigns public IPv4 addresses on launch`);
  });

  it("a mount target in a private subnet: compliant, no alert", async () => {
    const mt = await mountTarget(a, 0);
    const report = await deliver(host, createMountTargetEvent({ ...mt, securityGroups: [a.groupId] }));
    expect(report.findings).toEqual([expect.objectContaining({ resource: mt.fileSystemId, outcome: "compliant" })]);
    expect((await host.alerts()).filter((x) => x.attributes.control === "efs-mount-target-private")).toEqual([]);
  });

  it("a route 0.0.0.0/0 -> internet gateway added to a private subnet's table: alerted", async () => {
    const mt = await mountTarget(a, 1);
    await a.seed.ec2.send(
      new CreateRouteCommand({ RouteTableId: a.tables[1]!, DestinationCidrBlock: "0.0.0.0/0", GatewayId: a.igwId }),
    );
    const report = await deliver(
      host,
      createRouteEvent(a.tables[1]!, { destinationCidrBlock: "0.0.0.0/0", gatewayId: a.igwId }),
    );
    expect(report.findings).toEqual([expect.objectContaining({ resource: mt.fileSystemId, outcome: "alerted" })]);
    const [alert] = (await host.alerts()).filter((x) => x.attributes.control === "efs-mount-target-private");
    expect(JSON.stringify(alert?.message)).toContain(
      `the default route 0.0.0.0/0 of route table ${a.tables[1]} goes to internet gateway ${a.igwId}`,
    );
  });

  it("a subnet moved to a public table: alerted (ReplaceRouteTableAssociation)", async () => {
    const mt = await mountTarget(a, 2);
    const publicTable = await internetTable(a);
    const [current] = (await a.seed.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [a.tables[2]!] })))
      .RouteTables![0]!.Associations!;
    const out = await a.seed.ec2.send(
      new ReplaceRouteTableAssociationCommand({
        AssociationId: current!.RouteTableAssociationId!,
        RouteTableId: publicTable,
      }),
    );
    const report = await deliver(
      host,
      replaceRouteTableAssociationEvent(current!.RouteTableAssociationId!, publicTable, out.NewAssociationId!),
    );
    expect(report.findings.map((f) => [f.resource, f.outcome])).toEqual([[mt.fileSystemId, "alerted"]]);
  });

  it("a subnet without a table of its own associated with a public one: alerted (AssociateRouteTable)", async () => {
    const subnet = await a.seed.ec2.send(
      new CreateSubnetCommand({ VpcId: a.vpcId, CidrBlock: "10.0.9.0/24", AvailabilityZone: "us-east-1a" }),
    );
    const subnetId = subnet.Subnet!.SubnetId!;
    const fileSystemId = await a.seed.fileSystem({ encrypted: true });
    await a.seed.mountTarget(fileSystemId, subnetId, [a.groupId]);
    const publicTable = await internetTable(a);
    const out = await a.seed.ec2.send(
      new AssociateRouteTableCommand({ RouteTableId: publicTable, SubnetId: subnetId }),
    );
    const report = await deliver(host, associateRouteTableEvent(publicTable, subnetId, out.AssociationId!));
    expect(report.findings.map((f) => [f.resource, f.outcome])).toEqual([[fileSystemId, "alerted"]]);
  });

  it("the main table's internet route: alerted for the subnets without a table of their own, and only them", async () => {
    const subnet = await a.seed.ec2.send(
      new CreateSubnetCommand({ VpcId: a.vpcId, CidrBlock: "10.0.9.0/24", AvailabilityZone: "us-east-1a" }),
    );
    const implicit = await a.seed.fileSystem({ encrypted: true });
    await a.seed.mountTarget(implicit, subnet.Subnet!.SubnetId!, [a.groupId]);
    await mountTarget(a, 1); // on its own private table: not made public by the main table
    const main = await a.seed.ec2.send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: "vpc-id", Values: [a.vpcId] },
          { Name: "association.main", Values: ["true"] },
        ],
      }),
    );
    const mainId = main.RouteTables![0]!.RouteTableId!;
    await a.seed.ec2.send(
      new CreateRouteCommand({ RouteTableId: mainId, DestinationCidrBlock: "0.0.0.0/0", GatewayId: a.igwId }),
    );
    const report = await deliver(
      host,
      createRouteEvent(mainId, { destinationCidrBlock: "0.0.0.0/0", gatewayId: a.igwId }),
    );
    expect(report.findings.map((f) => [f.resource, f.outcome])).toEqual([[implicit, "alerted"]]);
    const [alert] = (await host.alerts()).filter((x) => x.attributes.control === "efs-mount-target-private");
    expect(JSON.stringify(alert?.message)).toContain(`of the main route table ${mainId}`);
  });

  it("a route to a NAT-like target, or a table without an internet route: nothing to report, no finding", async () => {
    await mountTarget(a, 1);
    const report = await deliver(
      host,
      createRouteEvent(a.tables[1]!, { destinationCidrBlock: "0.0.0.0/0", natGatewayId: "nat-0123456789abcdef0" }),
    );
    expect(report).toMatchObject({ outcome: "evaluated", findings: [] });
    expect(await host.alerts()).toEqual([]);
  });

  it("a subnet exempt by its own tags: made public, the finding is exempt, no alert", async () => {
    const mt = await mountTarget(a, 0);
    const until = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    await a.seed.ec2.send(
      new CreateTagsCommand({
        Resources: [mt.subnetId],
        Tags: [
          { Key: "efs-guard:exempt", Value: "efs-mount-target-private" },
          { Key: "efs-guard:exempt-until", Value: until },
        ],
      }),
    );
    await a.seed.ec2.send(
      new ModifySubnetAttributeCommand({ SubnetId: mt.subnetId, MapPublicIpOnLaunch: { Value: true } }),
    );
    const report = await deliver(host, modifySubnetAttributeEvent(mt.subnetId, true));
    expect(report.findings.map((f) => [f.resource, f.outcome])).toEqual([[mt.fileSystemId, "exempt"]]);
    expect((await host.alerts()).filter((x) => x.attributes.outcome === "alerted")).toEqual([]);
  });

  it("a failed call and a foreign source: no action", async () => {
    await mountTarget(a, 0);
    await a.seed.ec2.send(
      new ModifySubnetAttributeCommand({ SubnetId: a.subnets[0]!, MapPublicIpOnLaunch: { Value: true } }),
    );
    const failed = cloudTrailEnvelope({
      eventSource: "ec2.amazonaws.com",
      eventName: "ModifySubnetAttribute",
      requestParameters: { subnetId: a.subnets[0], mapPublicIpOnLaunch: { value: true } },
      responseElements: null,
      errorCode: "Client.UnauthorizedOperation",
      errorMessage: "You are not authorized to perform this operation.",
    });
    // The rule filters failed calls out: nothing is delivered at all.
    await host.putEvents([failed as never]);
    expect((await host.drain()).filter((i) => i.entry === ENTRY)).toEqual([]);
    const foreign = cloudTrailEnvelope({
      eventSource: "s3files.amazonaws.com",
      eventName: "CreateMountTarget",
      requestParameters: { fileSystemId: "fs-0123456789abcdef0", subnetId: a.subnets[0] },
      responseElements: { mountTargetId: "fsmt-0123456789abcdef0", fileSystemId: "fs-0123456789abcdef0" },
    });
    await host.putEvents([foreign as never]);
    expect((await host.drain()).filter((i) => i.entry === ENTRY)).toEqual([]);
    expect(await host.alerts()).toEqual([]);
  });

  it("an interface a caller describes as a mount target's, in a public subnet: no alert for that file system", async () => {
    const fileSystemId = await a.seed.fileSystem({ encrypted: true });
    await a.seed.ec2.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: a.subnets[0]!,
        Groups: [a.groupId],
        Description: `EFS mount target for ${fileSystemId} (fsmt-0123456789abcdef0)`,
      }),
    );
    await a.seed.ec2.send(
      new ModifySubnetAttributeCommand({ SubnetId: a.subnets[0]!, MapPublicIpOnLaunch: { Value: true } }),
    );
    const report = await deliver(host, modifySubnetAttributeEvent(a.subnets[0]!, true));
    expect(report).toMatchObject({ outcome: "evaluated", findings: [] });
    expect(await host.alerts()).toEqual([]);
  });

  it("the sweep and scan: the public mount target's file system alerted, the private one compliant", async () => {
    const open = await mountTarget(a, 0);
    const closed = await mountTarget(a, 1);
    await a.seed.ec2.send(
      new ModifySubnetAttributeCommand({ SubnetId: open.subnetId, MapPublicIpOnLaunch: { Value: true } }),
    );
    const deps = testDeps();
    const guards = allGuards().filter((g) => g.name === "mount-targets");
    const report = await sweepRegion(guards, REGION, deps);
    expect(report.errors).toEqual([]);
    const rows = report.results
      .filter((r) => r.finding.control === "efs-mount-target-private")
      .map((r) => [r.finding.resource.id, r.finding.verdict, r.outcome])
      .sort();
    expect(rows).toEqual(
      [
        [open.fileSystemId, "non-compliant", "alerted"],
        [closed.fileSystemId, "compliant", "compliant"],
      ].sort(),
    );
    const run = await runCli(["scan", "--json", "--region", REGION]);
    expect(run.stderr).toBe("");
    const scan = JSON.parse(run.stdout);
    const scanned = scan.findings
      .filter((f: { control: string }) => f.control === "efs-mount-target-private")
      .map((f: { resource: string; verdict: string }) => [f.resource, f.verdict])
      .sort();
    expect(scanned).toEqual(
      [
        [open.fileSystemId, "non-compliant"],
        [closed.fileSystemId, "compliant"],
      ].sort(),
    );
  });
});
