import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ECSClient } from "@aws-sdk/client-ecs";
import { DescribeFileSystemPolicyCommand, type EFSClient } from "@aws-sdk/client-efs";
import { DescribeKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { ec2Client } from "../aws/ec2.js";
import { activeTaskDefinitions, clientsWithoutTls, ecsClient, type TaskDefinitionsRead } from "../aws/ecs.js";
import { describeFileSystem, efsClient } from "../aws/efs.js";
import { call } from "../aws/errors.js";
import type { RegionInventory } from "../aws/inventory.js";
import { keyDescriptionOf, kmsClient } from "../aws/kms.js";
import { kmsDescribeClient } from "../aws/kms-describe.js";
import type { GuardConfig } from "../config/schema.js";
import { CONTROL as ACCESS_POINT_CONTROL, evaluate as accessPointEvaluate } from "../controls/access-point-enforced.js";
import { isGone } from "../controls/file-system.js";
import { CONTROL as MOUNT_TARGET_CONTROL } from "../controls/mount-target-private.js";
import { CONTROL as NFS_CONTROL } from "../controls/nfs-ingress-restricted.js";
import { CONTROL as REPLICA_CONTROL } from "../controls/replica-encrypted.js";
import type { Trigger } from "../events/triggers.js";
import type { Guard, GuardSweep } from "../pipeline/types.js";
import { assessFileSystemAccess, assessReplica, efsAccessGuard, POLICY_CONTROLS } from "./efs-access.js";
import { assessFileSystem, controlsFor, defaultFileSystemClients } from "./file-system.js";
import { assessKey, keyTriggers } from "./kms-key.js";
import { fileSystemTriggers, findingsOf, sweepPlacements } from "./mount-targets.js";
import { assessSecurityGroup } from "./nfs-ingress.js";

/**
 * The guards' sweep paths (Guard.sweep): the same assess functions as the event path, with the reads that the
 * region's inventory already made (or batches) passed in instead of read again per resource. Kept out of the guard
 * modules so that the event functions' bundles do not carry them; allGuards() attaches them.
 */

/**
 * The clients a sweep path reads and writes with, per region: the deployment's own by default; an organization
 * sweep's child passes a member account's (shared/aws/accounts.ts, its member role), created once per account.
 */
export interface SweepClients {
  efs: (region: string) => EFSClient;
  ec2: (region: string) => EC2Client;
  kms: (region: string) => KMSClient;
  /** The DescribeKey-only client of the file-system and efs-access guards (the same service). */
  kmsDescribe: (region: string) => KMSClient;
  /** ECS: efs-clients-use-tls, and the lookup before efs-tls-enforced writes its deny (tlsEnforcement). */
  ecs: (region: string) => ECSClient;
}

export const defaultSweepClients: SweepClients = {
  efs: efsClient,
  ec2: ec2Client,
  kms: kmsClient,
  kmsDescribe: kmsDescribeClient,
  ecs: ecsClient,
};

/**
 * The region's ACTIVE task definitions, read once per sweep of the region and only when a TLS deny is about to be
 * written into a file system with mount targets (tlsEnforcement "unless-clients-break"): each such file system is
 * then checked against the same reading.
 */
const taskDefinitionReads = new WeakMap<RegionInventory, Promise<TaskDefinitionsRead>>();

function sweepTlsClients(inventory: RegionInventory, ecs: ECSClient, config: GuardConfig) {
  return async (fileSystemId: string) => {
    let read = taskDefinitionReads.get(inventory);
    if (!read) {
      read = activeTaskDefinitions(ecs, inventory.region, config.tlsClientCheckLimit);
      taskDefinitionReads.set(inventory, read);
    }
    return clientsWithoutTls(fileSystemId, await read);
  };
}

const off = (guard: Guard, config: GuardConfig) => (guard.controls ?? []).every((c) => config.modes[c] === "off");

/** The key guard's DescribeKey, answered by the inventory's one read per key. */
const keyDescription = (inventory: RegionInventory) => (_: unknown, keyId: string) =>
  keyDescriptionOf(call("kms:DescribeKey", () => inventory.describeKey(keyId)));

/**
 * A guard's client for the sweep: the commands `shared` answers come from the inventory's one read, every other
 * command is sent as is. A client rather than a parameter, so that the event functions' bundles (file-system at its
 * size budget) carry nothing of the sweep.
 */
function withSharedReads<T extends KMSClient | EFSClient>(client: T, shared: (command: unknown) => unknown): T {
  const send = (command: unknown) => shared(command) ?? (client.send as (c: unknown) => Promise<unknown>)(command);
  return { send } as unknown as T;
}

/** The file-system guard's DescribeKey from the inventory's one read per key (VerifyMac is sent as is). */
const sharedKeyReads = (inventory: RegionInventory, kms: KMSClient) =>
  withSharedReads(kms, (c) =>
    c instanceof DescribeKeyCommand && c.input.KeyId ? inventory.describeKey(c.input.KeyId) : undefined,
  );

/**
 * DescribeFileSystemPolicy from the inventory's one read per file system (file-system and efs-access both read each
 * policy). Assessment only: a remediation goes through the guard's own client, so the TLS merge re-reads the policy
 * just before its write.
 */
const sharedPolicyReads = (inventory: RegionInventory, efs: EFSClient) =>
  withSharedReads(efs, (c) =>
    c instanceof DescribeFileSystemPolicyCommand && c.input.FileSystemId
      ? inventory.fileSystemPolicy(c.input.FileSystemId)
      : undefined,
  );

/**
 * Per file system: the listing's entry (no DescribeFileSystems of its own), DescribeFileSystemPolicy and
 * DescribeBackupPolicy (no batch form), and the key's DescribeKey shared with every file system on that key.
 */
export function fileSystemSweep(
  guard: Guard,
  recordKeyArn: string | undefined,
  clients: SweepClients = defaultSweepClients,
): GuardSweep {
  return {
    service: "efs",
    async inventory(inventory, config) {
      if (off(guard, config)) return [];
      return (await inventory.fileSystems())
        .filter((fs) => !isGone(fs))
        .map((fs) => ({ type: "file-system" as const, fileSystemId: fs.fileSystemId }));
    },
    async assess(trigger, inventory, config, clock, origin) {
      if (trigger.type !== "file-system") return [];
      const controls = controlsFor(origin, config).filter((c) => config.modes[c] !== "off");
      if (controls.length === 0) return [];
      const { region } = inventory;
      const reads = {
        ...defaultFileSystemClients,
        efs: (r: string) => sharedPolicyReads(inventory, clients.efs(r)),
        kms: (r: string) => sharedKeyReads(inventory, clients.kmsDescribe(r)),
        tlsClients: (r: string) => sweepTlsClients(inventory, clients.ecs(r), config),
      };
      return assessFileSystem(reads, trigger.fileSystemId, region, controls, config, clock, {
        homeAccount: origin.kind === "sweep" ? origin.account : undefined,
        recordKeyArn,
        // Listed by this very inventory (the trigger comes from it); gone from it since: EFS is asked.
        listed: inventory
          .fileSystem(trigger.fileSystemId)
          .then((fs) => fs ?? describeFileSystem(clients.efs(region), trigger.fileSystemId, region)),
      });
    },
  };
}

/**
 * The distinct keys of the listing, each described, its rotation and its key policy read once (DescribeKey shared
 * with the file systems).
 */
export function kmsKeySweep(guard: Guard, clients: SweepClients = defaultSweepClients): GuardSweep {
  return {
    service: "kms",
    async inventory(inventory, config) {
      if (off(guard, config)) return [];
      return keyTriggers(await inventory.fileSystemKeys(), (arn) => keyDescription(inventory)(undefined, arn));
    },
    async assess(trigger, inventory, config, clock, origin) {
      if (trigger.type !== "kms-key") return [];
      const { region } = inventory;
      return assessKey({ kms: clients.kms(region), efs: clients.efs(region) }, trigger.keyId, region, config, clock, {
        homeAccount: trigger.homeAccount ?? (origin.kind === "sweep" ? origin.account : undefined),
        rotationLikely: true,
        fileSystems: inventory.fileSystemKeys(),
        describe: keyDescription(inventory),
        rotation: (_, arn) => inventory.rotation(arn),
        policy: (_, arn) => inventory.keyPolicy(arn),
      });
    },
  };
}

/**
 * The groups on the region's mount-target interfaces, their interfaces, rules and VPC CIDRs read in batches. The
 * confirmation by EFS (DescribeMountTargets) and the exemption tags stay per group and only for a non-compliant
 * one, exactly as on the event path: nothing is reported or revoked on an interface EFS has not confirmed.
 */
export function nfsIngressSweep(clients: SweepClients = defaultSweepClients): GuardSweep {
  return {
    service: "ec2",
    async inventory(inventory, config) {
      if (config.modes[NFS_CONTROL] === "off") return [];
      const groups = new Set<string>();
      for (const eni of await inventory.mountTargetInterfaces()) for (const g of eni.groupIds) groups.add(g);
      return [...groups].sort().map((groupId) => ({ type: "security-group" as const, groupId }));
    },
    async assess(trigger, inventory, config, clock) {
      if (config.modes[NFS_CONTROL] === "off" || trigger.type !== "security-group") return [];
      const { region } = inventory;
      const known = await inventory.groupInterfaces(trigger.groupId);
      const finding = await assessSecurityGroup(
        { ec2: clients.ec2(region), efs: clients.efs(region) },
        trigger.groupId,
        region,
        config,
        clock,
        known,
        { rules: (_, id) => inventory.ingressRules(id), cidrs: (_, id) => inventory.vpcCidrs(id) },
      );
      return [finding];
    },
  };
}

/**
 * The file systems of the listing (no DescribeFileSystems of their own) with the policy read shared with the
 * file-system guard, the region's access points and replications each from one paginated listing (a replica's
 * destination is then read only for the file systems that replicate).
 */
export function efsAccessSweep(
  guard: Guard = efsAccessGuard(),
  clients: SweepClients = defaultSweepClients,
): GuardSweep {
  return {
    service: "efs",
    async inventory(inventory, config) {
      if (off(guard, config)) return [];
      const triggers: Trigger[] = [];
      if ([...POLICY_CONTROLS, REPLICA_CONTROL].some((c) => config.modes[c] !== "off")) {
        for (const fs of await inventory.fileSystems()) {
          if (!isGone(fs)) triggers.push({ type: "file-system", fileSystemId: fs.fileSystemId });
        }
      }
      if (config.modes[ACCESS_POINT_CONTROL] !== "off") {
        for (const ap of await inventory.accessPoints()) {
          if (ap.lifeCycleState !== "deleting" && ap.lifeCycleState !== "deleted") {
            triggers.push({ type: "access-point", accessPointId: ap.accessPointId });
          }
        }
      }
      return triggers;
    },
    async assess(trigger, inventory, config, clock, origin) {
      const { region } = inventory;
      if (trigger.type === "access-point") {
        if (config.modes[ACCESS_POINT_CONTROL] === "off") return [];
        const listed = (await inventory.accessPoints()).find((ap) => ap.accessPointId === trigger.accessPointId);
        // Gone from the listing since: the guard's own read says what it is now.
        if (!listed) return guard.assess(trigger, region, config, clock);
        return [accessPointEvaluate(listed, config, clock)];
      }
      if (trigger.type !== "file-system") return [];
      const controls = POLICY_CONTROLS.filter((c) => config.modes[c] !== "off");
      const listed = () =>
        inventory
          .fileSystem(trigger.fileSystemId)
          .then((fs) => fs ?? describeFileSystem(clients.efs(region), trigger.fileSystemId, region));
      const findings =
        controls.length > 0
          ? await assessFileSystemAccess(
              sharedPolicyReads(inventory, clients.efs(region)),
              trigger.fileSystemId,
              region,
              controls,
              config,
              clock,
              listed(),
            )
          : [];
      if (config.modes[REPLICA_CONTROL] !== "off") {
        const destinations = (await inventory.replications()).get(trigger.fileSystemId);
        // Not a source in the region's listing: it replicates nowhere, no finding (as the guard's own sweep).
        if (destinations) {
          findings.push(
            await assessReplica(
              { efs: clients.efs, kms: clients.kmsDescribe },
              trigger.fileSystemId,
              region,
              config,
              clock,
              {
                destinations: Promise.resolve(destinations),
                listed: listed(),
                account: origin.kind === "sweep" ? origin.account : undefined,
              },
            ),
          );
        }
      }
      return findings;
    },
  };
}

/**
 * efs-mount-target-private: one trigger per file system behind the region's mount-target interfaces (the listing
 * the NFS path reads anyway), each judged from the region's subnets and route tables, each listed once
 * (DescribeSubnets, DescribeRouteTables, paginated): two calls per region, none per file system. The interfaces are
 * requester-managed (only EFS creates them), so the view of each file system is complete and a compliant finding
 * is reported.
 */
export function mountTargetsSweep(): GuardSweep {
  return {
    service: "ec2",
    async inventory(inventory, config) {
      if (config.modes[MOUNT_TARGET_CONTROL] === "off") return [];
      return fileSystemTriggers(await inventory.mountTargetInterfaces());
    },
    async assess(trigger, inventory, config, clock) {
      if (config.modes[MOUNT_TARGET_CONTROL] === "off" || trigger.type !== "file-system") return [];
      const [interfaces, subnets, tables] = await Promise.all([
        inventory.mountTargetInterfaces(),
        inventory.subnets(),
        inventory.routeTables(),
      ]);
      const placements = sweepPlacements(trigger.fileSystemId, interfaces, subnets, tables);
      return findingsOf(placements, inventory.region, config, clock);
    },
  };
}
