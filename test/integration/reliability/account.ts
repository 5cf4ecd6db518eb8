import { DescribeSecurityGroupRulesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { inject } from "vitest";
import type { Invocation } from "../../../emulator/host.js";
import { REGION, Seeder } from "../../../emulator/seed.js";
import { authorizeIngressEvent, createMountTargetEvent, modifyRulesEvent } from "../../../events/build.js";

/**
 * A test account for the reliability runs: `groups` security groups on the mount targets of groups/5 file systems
 * (five groups per mount target), each with two rules that must stay (NFS from inside the VPC, SSH) and four that
 * open NFS (0.0.0.0/0, ::/0, all traffic from 192.168.0.0/16, TCP 2000-2100 from 172.16.0.0/12), and the
 * CloudTrail events those changes produce: one AuthorizeSecurityGroupIngress per open rule, a
 * ModifySecurityGroupRules for every fifth group, and one CreateMountTarget per file system.
 */
export interface ReliabilityAccount {
  groups: string[];
  /** Which groups each event points at (CreateMountTarget: all five of its mount target). */
  groupsOf: Map<string, string[]>;
  events: any[];
}

export const OPEN_SHAPES = [
  "tcp:2049-2049:0.0.0.0/0",
  "tcp:2049-2049:::/0",
  "-1:all:192.168.0.0/16",
  "tcp:2000-2100:172.16.0.0/12",
];
export const KEPT_SHAPES = ["tcp:2049-2049:10.0.0.0/16", "tcp:22-22:0.0.0.0/0"];

export async function buildAccount(groupCount: number): Promise<ReliabilityAccount> {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groups: string[] = [];
  const groupsOf = new Map<string, string[]>();
  const events: any[] = [];
  const remember = (event: any, ids: string[]) => {
    groupsOf.set(event.detail.eventID, ids);
    events.push(event);
  };
  for (let fsIndex = 0; fsIndex * 5 < groupCount; fsIndex++) {
    const mine: string[] = [];
    for (let g = 0; g < 5 && groups.length < groupCount; g++) {
      const groupId = await seed.securityGroup(vpcId, `rel-${fsIndex}-${g}`);
      groups.push(groupId);
      mine.push(groupId);
      await seed.nfsFrom(groupId, "10.0.0.0/16");
      await seed.nfsFrom(groupId, "0.0.0.0/0", { from: 22, to: 22 });
      const world = await seed.nfsFrom(groupId, "0.0.0.0/0");
      const v6 = await seed.nfsFrom(groupId, "::/0");
      const all = await seed.nfsFrom(groupId, "192.168.0.0/16", { protocol: "-1" });
      const range = await seed.nfsFrom(groupId, "172.16.0.0/12", { from: 2000, to: 2100 });
      remember(authorizeIngressEvent({ groupId, ruleId: world, cidr: "0.0.0.0/0" }), [groupId]);
      remember(authorizeIngressEvent({ groupId, ruleId: v6, cidr: "::/0" }), [groupId]);
      remember(authorizeIngressEvent({ groupId, ruleId: all, cidr: "192.168.0.0/16", protocol: "-1" }), [groupId]);
      remember(authorizeIngressEvent({ groupId, ruleId: range, cidr: "172.16.0.0/12", fromPort: 2000, toPort: 2100 }), [
        groupId,
      ]);
      if (groups.length % 5 === 1) {
        remember(
          modifyRulesEvent(groupId, world, { IpProtocol: "tcp", FromPort: 2049, ToPort: 2049, CidrIpv4: "0.0.0.0/0" }),
          [groupId],
        );
      }
    }
    const fileSystemId = await seed.fileSystem();
    const subnetId = subnets[fsIndex % subnets.length]!;
    const mountTargetId = await seed.mountTarget(fileSystemId, subnetId, mine);
    remember(createMountTargetEvent({ fileSystemId, mountTargetId, subnetId, securityGroups: mine }), mine);
  }
  // Interleave the groups, as a real burst would: no two consecutive events for the same group.
  events.sort((a, b) => (a.detail.eventID < b.detail.eventID ? -1 : 1));
  return { groups, groupsOf, events };
}

/** A client that reads the emulator directly, never through the fault proxy: the ground truth. */
export function directEc2(): EC2Client {
  return new EC2Client({ region: REGION, endpoint: inject("emulatorEndpoint") });
}

export function shapeOf(rule: {
  IpProtocol?: string | undefined;
  FromPort?: number | undefined;
  ToPort?: number | undefined;
  CidrIpv4?: string | undefined;
  CidrIpv6?: string | undefined;
}): string {
  const ports = rule.IpProtocol === "-1" ? "all" : `${rule.FromPort}-${rule.ToPort}`;
  return `${rule.IpProtocol}:${ports}:${rule.CidrIpv4 ?? rule.CidrIpv6}`;
}

/** Every group's ingress rules, by position (rule ids differ between runs; shapes do not), read directly. */
export async function snapshot(groups: string[]): Promise<{ shapes: string[][]; ids: Map<string, Set<string>> }> {
  const ec2 = directEc2();
  const shapes: string[][] = [];
  const ids = new Map<string, Set<string>>();
  for (const groupId of groups) {
    const out = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [groupId] }] }),
    );
    const ingress = (out.SecurityGroupRules ?? []).filter((r) => !r.IsEgress);
    shapes.push(ingress.map(shapeOf).sort());
    ids.set(groupId, new Set(ingress.map((r) => r.SecurityGroupRuleId ?? "")));
  }
  return { shapes, ids };
}

export function eventIdOf(invocation: Invocation): string {
  return invocation.event?.detail?.eventID;
}

export function count<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}
