import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import { type FileSystemFacts, fileSystemResource, isGone, label, notApplicable } from "./file-system.js";
import type { Finding } from "./types.js";

/**
 * efs-mount-target-private: no mount target of the file system sits in a public subnet: one that assigns public
 * IPv4 addresses on launch (MapPublicIpOnLaunch, Security Hub EFS.6), or whose route table (the explicitly
 * associated one, else the VPC's main table) routes to an internet gateway. The issue names 0.0.0.0/0 and ::/0;
 * the Amazon VPC User Guide calls a subnet public when it has any route to an internet gateway, so a narrower
 * destination (203.0.113.0/24 -> igw-...) counts too, and a default route is called out as such. An egress-only
 * internet gateway (eigw-) is not one: it admits no inbound connection. Alert only: moving a mount target means
 * deleting and recreating it, which interrupts every client.
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

export interface MountTargetPrivacyState {
  fileSystem: FileSystemFacts;
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

/** Why a mount target's subnet is public (empty: it is private). */
export function publicReasons(
  mt: MountTargetPlacement,
  subnet: SubnetFacts | undefined,
  table: RouteTableFacts | undefined,
): string[] {
  const reasons: string[] = [];
  if (subnet?.mapPublicIpOnLaunch) reasons.push(`subnet ${mt.subnetId} assigns public IPv4 addresses on launch`);
  for (const route of table?.routes ?? []) {
    if (!route.target.startsWith("igw-") || route.state === "blackhole") continue;
    const kind = DEFAULT_ROUTES.has(route.destination) ? "the default route" : "a route";
    reasons.push(
      `${kind} ${route.destination} of ${table?.main ? "the main route table " : "route table "}${table?.routeTableId} goes to internet gateway ${route.target}`,
    );
  }
  return reasons;
}

export function evaluate(state: MountTargetPrivacyState, _config: GuardConfig, _clock: Clock): Finding {
  const fs = state.fileSystem;
  if (isGone(fs)) return notApplicable(CONTROL, fs);
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
  for (const mt of state.mountTargets) {
    const reasons = publicReasons(mt, state.subnets[mt.subnetId], state.routeTables[mt.subnetId]);
    if (reasons.length > 0) exposed.push({ mountTargetId: mt.mountTargetId, subnetId: mt.subnetId, reasons });
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
  return {
    ...base,
    verdict: "non-compliant",
    severity: "medium",
    summary: `${exposed.length} mount target(s) of ${label(fs)} sit in a public subnet: ${exposed.map((e) => `${e.mountTargetId} (${e.reasons.join("; ")})`).join(", ")}`,
    evidence: { publicMountTargets: exposed, mountTargets: placements },
    ...(fs.tags ? { tags: fs.tags } : {}),
  };
}
