import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import { type Exemption, exemptionFor } from "./exemptions.js";
import { fileSystemResource, label } from "./file-system.js";
import type { Finding } from "./types.js";

/**
 * efs-mount-target-private: no mount target of the file system sits in a public subnet: one that assigns public
 * IPv4 addresses on launch (MapPublicIpOnLaunch, Security Hub EFS.6), or whose route table (the explicitly
 * associated one, else the VPC's main table) routes to an internet gateway. The issue names 0.0.0.0/0 and ::/0;
 * the Amazon VPC User Guide calls a subnet public when it has any route to an internet gateway, so a narrower
 * destination (203.0.113.0/24 -> igw-...) counts too, and a default route is called out as such. An egress-only
 * internet gateway (eigw-) is not one: it admits no inbound connection. Alert only: moving a mount target means
 * deleting and recreating it, which interrupts every client.
 *
 * The finding is on the file system and names its public mount targets, but the exemption is the subnet's
 * (`efs-guard:exempt` on the subnet, like a security group's for efs-nfs-ingress-restricted): the subnet is what
 * is public, and DescribeSubnets, read anyway for MapPublicIpOnLaunch, returns its tags, so the exemption costs no
 * read (the file system's tags would be a fourth read on the event paths, over the budget of 3).
 */
export const CONTROL = "efs-mount-target-private" as const;

export interface MountTargetPlacement {
  mountTargetId: string;
  subnetId: string;
  vpcId?: string;
  availabilityZone?: string;
}

export interface SubnetFacts {
  subnetId: string;
  mapPublicIpOnLaunch: boolean;
  tags?: Record<string, string>;
}

export interface RouteFacts {
  /** Destination CIDR (IPv4 or IPv6) or prefix list id. */
  destination: string;
  /** The target's id: igw-..., eigw-..., nat-..., local, pcx-..., tgw-..., eni-... */
  target: string;
  /** active or blackhole (a blackhole route carries no traffic). */
  state?: string;
}

export interface RouteTableFacts {
  routeTableId: string;
  /** The VPC's main route table, used by every subnet without an explicit association. */
  main: boolean;
  routes: RouteFacts[];
}

/** The file system the finding is on, as the reads that found its mount targets name it. */
export interface FileSystemRef {
  fileSystemId: string;
  region: string;
  account?: string;
  arn?: string;
  name?: string;
}

export interface MountTargetPrivacyState {
  fileSystem: FileSystemRef;
  mountTargets: MountTargetPlacement[];
  /** By subnet id; a subnet missing here could not be found (deleted with its mount target). */
  subnets: Record<string, SubnetFacts>;
  /** The effective route table of each subnet, by subnet id. */
  routeTables: Record<string, RouteTableFacts>;
}

const DEFAULT_ROUTES = new Set(["0.0.0.0/0", "::/0"]);

export interface PublicPlacement {
  mountTargetId: string;
  subnetId: string;
  reasons: string[];
}

/** True when the table has a route that can carry traffic to an internet gateway. */
export function hasInternetGatewayRoute(table: RouteTableFacts): boolean {
  return table.routes.some(isInternetGatewayRoute);
}

function isInternetGatewayRoute(route: RouteFacts): boolean {
  return route.target.startsWith("igw-") && route.state !== "blackhole";
}

/** Why a mount target's subnet is public (empty: it is private). */
export function publicReasons(
  mt: MountTargetPlacement,
  subnet: SubnetFacts | undefined,
  table: RouteTableFacts | undefined,
): string[] {
  const reasons: string[] = [];
  if (subnet?.mapPublicIpOnLaunch) reasons.push(`subnet ${mt.subnetId} assigns public IPv4 addresses on launch`);
  for (const route of table?.routes ?? []) {
    if (!isInternetGatewayRoute(route)) continue;
    const kind = DEFAULT_ROUTES.has(route.destination) ? "the default route" : "a route";
    reasons.push(
      `${kind} ${route.destination} of ${table?.main ? "the main route table " : "route table "}${table?.routeTableId} goes to internet gateway ${route.target}`,
    );
  }
  return reasons;
}

function describe(p: PublicPlacement): string {
  return `${p.mountTargetId} (${p.reasons.join("; ")})`;
}

/** The soonest-ending exemption among those given: what the decision reports for a finding exempt everywhere. */
function soonest(exempt: { tags: Record<string, string>; exemption: Exemption }[]) {
  const until = (e: Exemption) => (e.status === "active" ? e.until : "");
  return [...exempt].sort((a, b) => until(a.exemption).localeCompare(until(b.exemption)))[0];
}

/**
 * Per file system. A public mount target whose subnet carries an active exemption for this control is reported
 * as exempt (evidence `exemptMountTargets`); the finding is exempt when every public one is (its `tags` are then
 * the exempt subnet's, so the decision says until when), and alerts otherwise (its `tags` are those of the first
 * non-exempt public subnet, so an expired or invalid exemption there is named in the alert).
 */
export function evaluate(state: MountTargetPrivacyState, config: GuardConfig, clock: Clock): Finding {
  const fs = state.fileSystem;
  const base = { control: CONTROL, resource: fileSystemResource(fs) };
  if (state.mountTargets.length === 0) {
    return {
      ...base,
      verdict: "not-applicable",
      severity: "info",
      summary: `${label(fs)} has no mount target`,
      evidence: { mountTargets: 0 },
    };
  }
  const exposed: PublicPlacement[] = [];
  const exempt: (PublicPlacement & { until: string; tags: Record<string, string>; exemption: Exemption })[] = [];
  const alerted: (PublicPlacement & { tags: Record<string, string> })[] = [];
  for (const mt of state.mountTargets) {
    const subnet = state.subnets[mt.subnetId];
    const reasons = publicReasons(mt, subnet, state.routeTables[mt.subnetId]);
    if (reasons.length === 0) continue;
    const placement = { mountTargetId: mt.mountTargetId, subnetId: mt.subnetId, reasons };
    exposed.push(placement);
    const tags = subnet?.tags ?? {};
    const exemption = exemptionFor(CONTROL, tags, config, clock);
    if (exemption.status === "active") exempt.push({ ...placement, until: exemption.until, tags, exemption });
    else alerted.push({ ...placement, tags });
  }
  const placements = state.mountTargets.map((m) => ({ mountTargetId: m.mountTargetId, subnetId: m.subnetId }));
  if (exposed.length === 0) {
    return {
      ...base,
      verdict: "compliant",
      severity: "info",
      summary: `every mount target of ${label(fs)} is in a private subnet`,
      evidence: { mountTargets: placements },
    };
  }
  const exemptEvidence = exempt.map(({ mountTargetId, subnetId, reasons, until }) => ({
    mountTargetId,
    subnetId,
    reasons,
    exemptUntil: until,
  }));
  const exemptText =
    exempt.length > 0
      ? `; exempt by their subnet's tags: ${exempt.map((e) => `${e.mountTargetId} in ${e.subnetId} until ${e.until}`).join(", ")}`
      : "";
  const tags = alerted[0]?.tags ?? soonest(exempt)?.tags ?? {};
  return {
    ...base,
    verdict: "non-compliant",
    severity: "medium",
    summary: `${exposed.length} mount target(s) of ${label(fs)} sit in a public subnet: ${(alerted.length > 0 ? alerted : exposed).map(describe).join(", ")}${alerted.length > 0 ? exemptText : ""}`,
    evidence: {
      publicMountTargets: alerted.map(({ mountTargetId, subnetId, reasons }) => ({ mountTargetId, subnetId, reasons })),
      exemptMountTargets: exemptEvidence,
      mountTargets: placements,
    },
    tags,
  };
}
