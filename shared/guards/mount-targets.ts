import type { EC2Client } from "@aws-sdk/client-ec2";
import type { EFSClient } from "@aws-sdk/client-efs";
import { MOUNT_TARGET_PRIVATE_EVENTS } from "../../events/patterns.js";
import {
  describeRouteTables,
  describeSubnets,
  ec2Client,
  effectiveTables,
  type GroupInterface,
  mountTargetInterfaces,
  type RouteTableInfo,
  type SubnetInfo,
} from "../aws/ec2.js";
import { efsClient, mountTargetsWhere } from "../aws/efs.js";
import type { GuardConfig } from "../config/schema.js";
import {
  CONTROL,
  evaluate,
  hasInternetGatewayRoute,
  type MountTargetPlacement,
  type RouteTableFacts,
  type SubnetFacts,
} from "../controls/mount-target-private.js";
import type { Finding } from "../controls/types.js";
import type { Trigger } from "../events/triggers.js";
import type { Guard, Origin } from "../pipeline/types.js";
import type { Clock } from "../runtime/clock.js";
import { logger } from "../runtime/logger.js";

export interface MountTargetClients {
  ec2: (region: string) => EC2Client;
  efs: (region: string) => EFSClient;
}

const defaultClients: MountTargetClients = { ec2: ec2Client, efs: efsClient };

/** What the reads found: the mount targets to judge, the subnets and the table each subnet uses. */
export interface Placements {
  mountTargets: (MountTargetPlacement & { fileSystemId: string })[];
  subnets: SubnetInfo[];
  tables: Map<string, RouteTableInfo>;
  /** Every mount target of each file system is in `mountTargets` (a CreateMountTarget event, the sweep). */
  complete: boolean;
}

function toTableFacts(table: RouteTableInfo): RouteTableFacts {
  return { routeTableId: table.routeTableId, main: table.main, routes: table.routes };
}

/**
 * One finding per file system from what was read. Pure. A partial view (an EC2 event sees the mount targets of
 * one subnet or one table, not every one of the file system's) reports only what is public: "compliant" would
 * claim what was not read, so it is dropped (the caller logs it).
 */
export function findingsOf(
  placements: Placements,
  region: string,
  config: GuardConfig,
  clock: Clock,
  account?: string,
): Finding[] {
  const subnets: Record<string, SubnetFacts> = {};
  for (const s of placements.subnets) {
    subnets[s.subnetId] = { subnetId: s.subnetId, mapPublicIpOnLaunch: s.mapPublicIpOnLaunch, tags: s.tags };
  }
  const routeTables: Record<string, RouteTableFacts> = {};
  for (const [subnetId, table] of placements.tables) routeTables[subnetId] = toTableFacts(table);
  const byFileSystem = new Map<string, MountTargetPlacement[]>();
  // In id order, whichever listing found them (EFS's or EC2's), so both views give the same evidence.
  const sorted = [...placements.mountTargets].sort((a, b) => a.mountTargetId.localeCompare(b.mountTargetId));
  for (const { fileSystemId, ...mt } of sorted) {
    byFileSystem.set(fileSystemId, [...(byFileSystem.get(fileSystemId) ?? []), mt]);
  }
  const findings: Finding[] = [];
  for (const [fileSystemId, mountTargets] of [...byFileSystem].sort(([a], [b]) => a.localeCompare(b))) {
    const fileSystem = { fileSystemId, region, ...(account ? { account } : {}) };
    const finding = evaluate({ fileSystem, mountTargets, subnets, routeTables }, config, clock);
    if (placements.complete || finding.verdict === "non-compliant") findings.push(finding);
  }
  return findings;
}

function fromInterfaces(interfaces: GroupInterface[]): Placements["mountTargets"] {
  return interfaces.flatMap((eni) =>
    eni.describedAs && eni.subnetId
      ? [
          {
            mountTargetId: eni.describedAs.mountTargetId,
            fileSystemId: eni.describedAs.fileSystemId,
            subnetId: eni.subnetId,
            ...(eni.vpcId ? { vpcId: eni.vpcId } : {}),
          },
        ]
      : [],
  );
}

const EMPTY: Placements = { mountTargets: [], subnets: [], tables: new Map(), complete: false };

/**
 * CreateMountTarget: EFS's record of every mount target of the file system (DescribeMountTargets, re-read: the
 * event is a trigger), then its subnets (DescribeSubnets) and its VPC's route tables (DescribeRouteTables) at
 * once: 3 reads, 2 round trips, a complete view of the file system. Without the file system id in EFS's answer,
 * the one mount target is read (a partial view).
 */
async function ofMountTarget(
  clients: { ec2: EC2Client; efs: EFSClient },
  trigger: Extract<Trigger, { type: "mount-target" }> | Extract<Trigger, { type: "file-system" }>,
): Promise<Placements> {
  const by =
    trigger.type === "file-system" || trigger.fileSystemId
      ? { fileSystemId: trigger.fileSystemId as string }
      : { mountTargetId: trigger.mountTargetId };
  const mountTargets = await mountTargetsWhere(clients.efs, by);
  // The event's mount target is gone (deleted since): nothing to judge. A file system (the guard's own inventory,
  // without the sweep's) is judged as EFS reports it.
  if (trigger.type === "mount-target" && !mountTargets.some((mt) => mt.mountTargetId === trigger.mountTargetId)) {
    return EMPTY;
  }
  const vpcId = mountTargets.find((mt) => mt.vpcId)?.vpcId;
  const subnetIds = [...new Set(mountTargets.map((mt) => mt.subnetId))];
  const [subnets, tables] = await Promise.all([
    describeSubnets(clients.ec2, { subnetIds }),
    vpcId ? describeRouteTables(clients.ec2, [{ Name: "vpc-id", Values: [vpcId] }]) : Promise.resolve([]),
  ]);
  return { mountTargets, subnets, tables: effectiveTables(tables, subnets), complete: "fileSystemId" in by };
}

/**
 * ModifySubnetAttribute: the subnet (DescribeSubnets) and the mount-target interfaces in it (requester-managed,
 * described as a mount target's: only EFS creates such an interface) at once, then its VPC's route tables: 3 reads.
 */
async function ofSubnet(ec2: EC2Client, subnetId: string): Promise<Placements> {
  const [subnets, interfaces] = await Promise.all([
    describeSubnets(ec2, { subnetIds: [subnetId] }),
    mountTargetInterfaces(ec2, [{ Name: "subnet-id", Values: [subnetId] }]),
  ]);
  const mountTargets = fromInterfaces(interfaces);
  const vpcId = subnets[0]?.vpcId;
  if (mountTargets.length === 0 || !vpcId) return EMPTY;
  const tables = await describeRouteTables(ec2, [{ Name: "vpc-id", Values: [vpcId] }]);
  return { mountTargets, subnets, tables: effectiveTables(tables, subnets), complete: false };
}

/**
 * The subnets whose table is `table` because of the change: the one the event names (AssociateRouteTable, a
 * subnet's ReplaceRouteTableAssociation), or every subnet that uses the table (a route changed); for the main
 * table (or a main association replaced), that includes the VPC's subnets without an explicit association.
 */
function scopeOf(
  trigger: Extract<Trigger, { type: "route-table" }>,
  table: RouteTableInfo,
): { explicit: string[]; implicit: boolean } {
  if (trigger.subnetId)
    return { explicit: table.subnetIds.includes(trigger.subnetId) ? [trigger.subnetId] : [], implicit: false };
  if (trigger.associationId) {
    const to = table.associations[trigger.associationId];
    if (to === "main") return { explicit: [], implicit: true };
    return { explicit: to ? [to] : [], implicit: false };
  }
  return { explicit: table.subnetIds, implicit: table.main };
}

/**
 * A route or association changed: the region's route tables first (DescribeRouteTables, paginated; the one call
 * that gives the changed table, whether it is its VPC's main table, and every explicit association of that VPC).
 * A table with no route to an internet gateway after the change cannot have made any subnet public through its
 * routes: 1 read, nothing to report. Otherwise the affected subnets (DescribeSubnets: their tags are the
 * exemption) and the mount-target interfaces in them at once: 3 reads, 2 round trips, the main table's case
 * included.
 */
async function ofRouteTable(ec2: EC2Client, trigger: Extract<Trigger, { type: "route-table" }>): Promise<Placements> {
  const all = await describeRouteTables(ec2, []);
  const table = all.find((t) => t.routeTableId === trigger.routeTableId);
  if (!table?.vpcId || !hasInternetGatewayRoute(toTableFacts(table))) return EMPTY;
  const scope = scopeOf(trigger, table);
  if (scope.explicit.length === 0 && !scope.implicit) return EMPTY;
  const vpc = [{ Name: "vpc-id", Values: [table.vpcId] }];
  const [subnets, interfaces] = await Promise.all([
    describeSubnets(ec2, scope.implicit ? { filters: vpc } : { subnetIds: scope.explicit }),
    mountTargetInterfaces(ec2, scope.implicit ? vpc : [{ Name: "subnet-id", Values: scope.explicit }]),
  ]);
  const tables = effectiveTables(all, subnets);
  const served = new Set(subnets.filter((s) => tables.get(s.subnetId) === table).map((s) => s.subnetId));
  const mountTargets = fromInterfaces(interfaces).filter((mt) => served.has(mt.subnetId));
  return { mountTargets, subnets, tables, complete: false };
}

/** One trigger per file system that has a mount-target interface in the region, in id order. */
export function fileSystemTriggers(interfaces: GroupInterface[]): Trigger[] {
  const ids = new Set(interfaces.flatMap((eni) => (eni.describedAs ? [eni.describedAs.fileSystemId] : [])));
  return [...ids].sort().map((fileSystemId) => ({ type: "file-system" as const, fileSystemId }));
}

/**
 * The sweep's and scan's view of one file system, from the region's inventory (no call of its own): its
 * mount-target interfaces (requester-managed, so EFS's), the region's subnets and route tables listed once.
 */
export function sweepPlacements(
  fileSystemId: string,
  interfaces: GroupInterface[],
  allSubnets: SubnetInfo[],
  allTables: RouteTableInfo[],
): Placements {
  const mountTargets = fromInterfaces(interfaces).filter((mt) => mt.fileSystemId === fileSystemId);
  const wanted = new Set(mountTargets.map((mt) => mt.subnetId));
  const subnets = allSubnets.filter((s) => wanted.has(s.subnetId));
  return { mountTargets, subnets, tables: effectiveTables(allTables, subnets), complete: true };
}

function eventIdOf(origin?: Origin): string | undefined {
  return origin?.kind === "event" ? origin.event.eventId : undefined;
}

/**
 * efs-mount-target-private, its own function: CreateMountTarget also triggers efs-nfs-ingress-restricted, whose
 * function is at its 3 reads; here the event costs 3 more in a function of its own, each within the budget.
 * Alert only: nothing is ever written.
 */
export function mountTargetsGuard(clients: MountTargetClients = defaultClients): Guard {
  return {
    name: "mount-targets",
    controls: [CONTROL],
    events: MOUNT_TARGET_PRIVATE_EVENTS,
    async assess(trigger, region, config, clock, origin) {
      if (config.modes[CONTROL] === "off") return [];
      const ec2 = clients.ec2(region);
      let placements: Placements;
      if (trigger.type === "mount-target" || trigger.type === "file-system") {
        placements = await ofMountTarget({ ec2, efs: clients.efs(region) }, trigger);
      } else if (trigger.type === "subnet") placements = await ofSubnet(ec2, trigger.subnetId);
      else if (trigger.type === "route-table") placements = await ofRouteTable(ec2, trigger);
      else return [];
      const findings = findingsOf(placements, region, config, clock);
      if (findings.length === 0) {
        logger.info("nothing to report", {
          control: CONTROL,
          eventId: eventIdOf(origin),
          trigger: trigger.type,
          region,
          mountTargets: placements.mountTargets.map((mt) => mt.mountTargetId),
          detail: "no mount target is in a subnet made public by this change",
        });
      }
      return findings;
    },
    /** Without the sweep's shared inventory: the file systems behind the region's mount-target interfaces. */
    async inventory(region, config) {
      if (config.modes[CONTROL] === "off") return [];
      return fileSystemTriggers(await mountTargetInterfaces(clients.ec2(region)));
    },
    async remediate(plan) {
      throw new Error(`mount-targets has no remediation (asked for ${plan.kind})`);
    },
  };
}
