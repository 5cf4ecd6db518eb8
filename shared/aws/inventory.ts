import {
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeVpcsCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import {
  DescribeFileSystemPolicyCommand,
  type DescribeFileSystemPolicyCommandOutput,
  DescribeFileSystemsCommand,
  type EFSClient,
} from "@aws-sdk/client-efs";
import { DescribeKeyCommand, type DescribeKeyCommandOutput, type KMSClient } from "@aws-sdk/client-kms";
import type { AccessPointFacts } from "../controls/access-point-enforced.js";
import type { FileSystemFacts } from "../controls/file-system.js";
import type { IngressRule } from "../controls/nfs-ingress-restricted.js";
import {
  describeRouteTables,
  describeSubnets,
  ec2Client,
  type GroupInterface,
  groupInterfaces,
  ingressRules,
  mountTargetInterfaces,
  type RouteTableInfo,
  type SubnetInfo,
  toGroupInterface,
  toIngressRule,
  vpcCidrs,
  vpcCidrsOf,
} from "./ec2.js";
import { efsClient, toFacts } from "./efs.js";
import { listAccessPoints } from "./efs-access-points.js";
import type { FileSystemKey } from "./efs-list.js";
import { listReplications, type ReplicationDestination } from "./efs-replication.js";
import { call } from "./errors.js";
import { keyPolicy, kmsClient, type RotationStatus, rotationStatus } from "./kms.js";

/**
 * EC2 answers FilterLimitExceeded ("The maximum number of filter values specified on a single call is 200") past
 * 200 values in one request's filters, and takes at most 200 ids in one VpcIds list the same way: the batched
 * reads below send at most this many groups or VPCs per call.
 */
export const EC2_BATCH = 200;
/** DescribeSecurityGroupRules returns at most 1,000 rules per page (MaxResults 5 to 1000). */
const RULES_PAGE = 1000;

/**
 * One account and region as the sweep and `scan` read it: every reader is memoised (the first caller starts the
 * read, everyone else awaits the same promise), paginated, and batched where the API has a batch form, so each
 * inventory is read once whatever the number of guards and controls that need it. The event path does not use it:
 * an event names one resource and keeps its own targeted reads.
 *
 * Extending it: a new reader is one memoised function here (`once` for a whole-region listing, `keyed` for a read
 * per id), used by the guard's sweep path (Guard.sweep).
 */
export interface RegionInventory {
  readonly region: string;
  /** Every file system of the region (DescribeFileSystems, 100 per page), with its state, key and tags. */
  fileSystems(): Promise<FileSystemFacts[]>;
  /** One file system of that listing (no call of its own); undefined when the listing did not have it. */
  fileSystem(fileSystemId: string): Promise<FileSystemFacts | undefined>;
  /** The same listing as the key guard needs it: each file system's key (no call of its own). */
  fileSystemKeys(): Promise<FileSystemKey[]>;
  /**
   * The requester-managed interfaces described as a mount target's (one filtered DescribeNetworkInterfaces):
   * which groups the NFS control looks at. Not proof of a mount target: EFS confirms before anything is acted on.
   */
  mountTargetInterfaces(): Promise<GroupInterface[]>;
  /** Every subnet of the region (DescribeSubnets, paginated): efs-mount-target-private's MapPublicIpOnLaunch, tags. */
  subnets(): Promise<SubnetInfo[]>;
  /** Every route table of the region (DescribeRouteTables, paginated): which subnets route to an internet gateway. */
  routeTables(): Promise<RouteTableInfo[]>;
  /** Every interface that carries the group, mount target or not: one call per 200 mount-target groups. */
  groupInterfaces(groupId: string): Promise<GroupInterface[]>;
  /** The group's ingress rules: one DescribeSecurityGroupRules (1,000 per page) per 200 mount-target groups. */
  ingressRules(groupId: string): Promise<IngressRule[]>;
  /** The VPC's associated CIDR blocks: one DescribeVpcs per 200 VPCs behind mount targets. */
  vpcCidrs(vpcId: string): Promise<string[]>;
  /** DescribeKey, once per key (as named: the listing names keys by ARN): the SDK's answer or its raw error. */
  describeKey(keyId: string): Promise<DescribeKeyCommandOutput>;
  /** GetKeyRotationStatus, once per key. */
  rotation(keyArn: string): Promise<RotationStatus>;
  /** GetKeyPolicy, once per key (never per file system on it): efs-key-policy-restricted. */
  keyPolicy(keyArn: string): Promise<string | undefined>;
  /**
   * DescribeFileSystemPolicy, once per file system (EFS has no batch form), shared by every control that reads the
   * policy (efs-tls-enforced, efs-policy-not-public, efs-iam-authorization-required, efs-root-access-restricted):
   * the SDK's answer or its raw error (PolicyNotFound included), as describeKey.
   */
  fileSystemPolicy(fileSystemId: string): Promise<DescribeFileSystemPolicyCommandOutput>;
  /** Every access point of the region (DescribeAccessPoints, 1,000 per page). */
  accessPoints(): Promise<AccessPointFacts[]>;
  /**
   * The Marker that starts each page of fileSystems()' listing (undefined for the first): where each item of a
   * split sweep starts (no call of its own).
   */
  listingMarkers(): Promise<(string | undefined)[]>;
  /** Every replication whose source is in the region, by source id (DescribeReplicationConfigurations, 100 per page). */
  replications(): Promise<Map<string, ReplicationDestination[]>>;
}

/** DescribeFileSystems' page size (MaxItems, at most 100): one item of a split sweep is a whole number of pages. */
export const LISTING_PAGE = 100;

/** Where one item of a split sweep starts in the region's listing, and how many pages of it it covers. */
export interface ListingSlice {
  marker?: string;
  pages?: number;
}

/**
 * The region's file systems from `from.marker` (the start when undefined), at most `from.pages` pages (all when
 * undefined); `markers` gets the Marker of every page read.
 */
export async function listFileSystemPages(
  efs: EFSClient,
  region: string,
  from: ListingSlice = {},
  markers: (string | undefined)[] = [],
) {
  const all: FileSystemFacts[] = [];
  let Marker = from.marker;
  do {
    markers.push(Marker);
    const page = await call("efs:DescribeFileSystems", () =>
      efs.send(new DescribeFileSystemsCommand({ Marker, MaxItems: LISTING_PAGE })),
    );
    for (const fs of page.FileSystems ?? []) all.push(toFacts(fs, region));
    Marker = page.NextMarker;
  } while (Marker && (from.pages === undefined || markers.length < from.pages));
  return all;
}

export interface InventoryClients {
  efs: EFSClient;
  ec2: EC2Client;
  kms: KMSClient;
}

/** A read started on first use and shared; a failure is kept too (every caller sees it), never retried here. */
function once<T>(read: () => Promise<T>): () => Promise<T> {
  let started: Promise<T> | undefined;
  return () => {
    if (!started) {
      started = read();
      started.catch(() => undefined); // each caller handles it; this marks it handled for the unused ones
    }
    return started;
  };
}

function keyed<T>(read: (id: string) => Promise<T>): (id: string) => Promise<T> {
  const reads = new Map<string, Promise<T>>();
  return (id) => {
    let started = reads.get(id);
    if (!started) {
      started = read(id);
      started.catch(() => undefined);
      reads.set(id, started);
    }
    return started;
  };
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Reads every batch at once (the batches are few: one per 200 groups) and groups the answers by id. */
async function batched<T>(
  ids: readonly string[],
  read: (batch: string[]) => Promise<[string, T][]>,
): Promise<Map<string, T[]>> {
  const out = new Map<string, T[]>(ids.map((id) => [id, []]));
  for (const pairs of await Promise.all(chunks(ids, EC2_BATCH).map(read))) {
    for (const [id, item] of pairs) out.get(id)?.push(item);
  }
  return out;
}

export function regionInventory(region: string, clients: InventoryClients): RegionInventory {
  const { efs, ec2, kms } = clients;
  const markers: (string | undefined)[] = [];
  const fileSystems = once(() => listFileSystemPages(efs, region, {}, markers));
  const mountTargets = once(() => mountTargetInterfaces(ec2));
  /** The groups the sweep assesses: those on a requester-managed interface described as a mount target's. */
  const groups = once(async () => {
    const ids = new Set<string>();
    for (const eni of await mountTargets()) for (const g of eni.groupIds) ids.add(g);
    return [...ids].sort();
  });
  const interfacesByGroup = once(async () =>
    batched<GroupInterface>(await groups(), async (batch) => {
      const pairs: [string, GroupInterface][] = [];
      let NextToken: string | undefined;
      do {
        const page = await call("ec2:DescribeNetworkInterfaces", () =>
          ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "group-id", Values: batch }], NextToken })),
        );
        for (const eni of page.NetworkInterfaces ?? []) {
          const found = toGroupInterface(eni);
          if (!found) continue;
          for (const g of found.groupIds) if (batch.includes(g)) pairs.push([g, found]);
        }
        NextToken = page.NextToken;
      } while (NextToken);
      return pairs;
    }),
  );
  const rulesByGroup = once(async () =>
    batched<IngressRule>(await groups(), async (batch) => {
      const pairs: [string, IngressRule][] = [];
      let NextToken: string | undefined;
      do {
        const page = await call("ec2:DescribeSecurityGroupRules", () =>
          ec2.send(
            new DescribeSecurityGroupRulesCommand({
              Filters: [{ Name: "group-id", Values: batch }],
              MaxResults: RULES_PAGE,
              NextToken,
            }),
          ),
        );
        for (const rule of page.SecurityGroupRules ?? []) {
          if (!rule.IsEgress && rule.SecurityGroupRuleId && rule.GroupId)
            pairs.push([rule.GroupId, toIngressRule(rule)]);
        }
        NextToken = page.NextToken;
      } while (NextToken);
      return pairs;
    }),
  );
  const cidrsByVpc = once(async () => {
    const vpcs = new Set<string>();
    for (const list of (await interfacesByGroup()).values()) for (const eni of list) if (eni.vpcId) vpcs.add(eni.vpcId);
    return batched<string>([...vpcs].sort(), async (batch) => {
      const out = await call("ec2:DescribeVpcs", () => ec2.send(new DescribeVpcsCommand({ VpcIds: batch })));
      return (out.Vpcs ?? []).flatMap((vpc) => vpcCidrsOf(vpc).map((c): [string, string] => [vpc.VpcId ?? "", c]));
    });
  });
  // A group or VPC outside the batches (not behind a mount target when the inventory was read) is read alone.
  const single = <T>(byId: () => Promise<Map<string, T[]>>, alone: (id: string) => Promise<T[]>) =>
    keyed(async (id: string) => (await byId()).get(id) ?? alone(id));
  // Raw, as the SDK answers: each reader wraps it as its own read does (call(), shared/aws/errors.ts).
  const describeKey = keyed((KeyId) => kms.send(new DescribeKeyCommand({ KeyId })));
  const byId = once(async () => new Map((await fileSystems()).map((fs) => [fs.fileSystemId, fs])));
  return {
    region,
    fileSystems,
    fileSystem: async (id) => (await byId()).get(id),
    fileSystemKeys: once(async () =>
      (await fileSystems()).map((fs) => ({
        fileSystemId: fs.fileSystemId,
        encrypted: fs.encrypted === true,
        ...(fs.kmsKeyId ? { kmsKeyId: fs.kmsKeyId } : {}),
        ...(fs.account ? { ownerId: fs.account } : {}),
      })),
    ),
    mountTargetInterfaces: mountTargets,
    subnets: once(() => describeSubnets(ec2, { filters: [] })),
    routeTables: once(() => describeRouteTables(ec2, [])),
    groupInterfaces: single(interfacesByGroup, (id) => groupInterfaces(ec2, [id])),
    ingressRules: single(rulesByGroup, (id) => ingressRules(ec2, id)),
    vpcCidrs: single(cidrsByVpc, (id) => vpcCidrs(ec2, id)),
    describeKey,
    rotation: keyed((arn) => rotationStatus(kms, arn)),
    keyPolicy: keyed((arn) => keyPolicy(kms, arn)),
    fileSystemPolicy: keyed((FileSystemId) => efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId }))),
    accessPoints: once(() => listAccessPoints(efs, region)),
    replications: once(() => listReplications(efs)),
    listingMarkers: async () => {
      await fileSystems();
      return markers;
    },
  };
}

/**
 * One item of a split sweep: the file systems of its slice of the listing (listed from its marker) instead of the
 * region's. The region-wide inventories (keys, mount-target groups, access points) are the first item's only, so
 * that each resource of the region is assessed by exactly one item; the other items answer them empty, unread.
 */
export function sliceInventory(
  base: RegionInventory,
  efs: EFSClient,
  slice: ListingSlice,
  first: boolean,
): RegionInventory {
  const fileSystems = once(() => listFileSystemPages(efs, base.region, slice));
  const byId = once(async () => new Map((await fileSystems()).map((fs) => [fs.fileSystemId, fs])));
  const none = async () => [];
  return {
    ...base,
    fileSystems,
    fileSystem: async (id) => (await byId()).get(id),
    fileSystemKeys: first ? base.fileSystemKeys : none,
    mountTargetInterfaces: first ? base.mountTargetInterfaces : none,
    accessPoints: first ? base.accessPoints : none,
    // Looked up per file system (efsAccessSweep): every item needs the region's map, one listing each.
    replications: base.replications,
    listingMarkers: async () => [slice.marker],
  };
}

/** The region's inventory on the guard's own clients (one per region and service for the container's life). */
export function defaultInventory(
  region: string,
  slice?: ListingSlice & { first: boolean },
  /** Another account's clients per region (the organization sweep's child); default the guard's own. */
  clients: { [S in keyof InventoryClients]: (region: string) => InventoryClients[S] } = {
    efs: efsClient,
    ec2: ec2Client,
    kms: kmsClient,
  },
): RegionInventory {
  const efs = clients.efs(region);
  const base = regionInventory(region, { efs, ec2: clients.ec2(region), kms: clients.kms(region) });
  return slice ? sliceInventory(base, efs, slice, slice.first) : base;
}
