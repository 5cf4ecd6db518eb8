import type { EFSClient } from "@aws-sdk/client-efs";
import type { KMSClient } from "@aws-sdk/client-kms";
import { EFS_ACCESS_EVENTS } from "../../events/patterns.js";
import { describeFileSystem, efsClient, fileSystemPolicy, isFileSystemNotFound, listFileSystems } from "../aws/efs.js";
import { describeAccessPoint, listAccessPoints } from "../aws/efs-access-points.js";
import { destinationFacts, type ReplicationDestination, replicationOf } from "../aws/efs-replication.js";
import { keyPolicy, keyTags, unreadable } from "../aws/kms.js";
import { kmsDescribeClient } from "../aws/kms-describe.js";
import type { ControlId } from "../config/controls.js";
import type { GuardConfig } from "../config/schema.js";
import * as accessPoint from "../controls/access-point-enforced.js";
import { type FileSystemFacts, isGone, notApplicable } from "../controls/file-system.js";
import * as iam from "../controls/iam-authorization-required.js";
import * as keyPolicyControl from "../controls/key-policy-restricted.js";
import { accountOfKeyArn, keyIdOf, notAssessable } from "../controls/kms-key-state.js";
import * as replica from "../controls/replica-encrypted.js";
import * as root from "../controls/root-access-restricted.js";
import type { Finding } from "../controls/types.js";
import type { Trigger } from "../events/triggers.js";
import { settle, unwrap } from "../pipeline/concurrency.js";
import type { Guard, Origin } from "../pipeline/types.js";
import type { Clock } from "../runtime/clock.js";

/**
 * Who may reach a file system's data, and as whom: efs-iam-authorization-required and efs-root-access-restricted
 * (both read from the file system policy), efs-access-point-enforced (the access points) and efs-replica-encrypted
 * (where the data is copied to). A function of its own rather than the file-system guard: its role reads and never
 * writes (all four are alert only), it needs no Step Functions, and the file-system bundle has no byte left under its
 * budget (docs/controls.md). Its KMS calls: DescribeKey on a replica's key, in the replica's region, and on
 * CreateFileSystem the new file system's key policy and tags (efs-key-policy-restricted, assessNewFileSystemKey).
 */
export interface EfsAccessClients {
  efs: (region: string) => EFSClient;
  kms: (region: string) => KMSClient;
}

export const POLICY_CONTROLS: ControlId[] = [iam.CONTROL, root.CONTROL];
const ALL_CONTROLS: ControlId[] = [...POLICY_CONTROLS, accessPoint.CONTROL, replica.CONTROL];
const REPLICATION_EVENT = "elasticfilesystem.amazonaws.com:CreateReplicationConfiguration";
const CREATE_EVENT = "elasticfilesystem.amazonaws.com:CreateFileSystem";

/**
 * efs-key-policy-restricted for the key of a file system just created (issue 15's trigger): this function already
 * reads the file system (DescribeFileSystems, which names its key) for its policy controls, so GetKeyPolicy is its
 * third read, where the key function's CreateFileSystem path would need a fourth (bench/budgets.json). The key's
 * tags (ListResourceTags, exemption) only for a non-compliant finding, as in the key function.
 *
 * Who manages the key is not read (DescribeKey would be a fourth read): the policy is judged as it is. An AWS managed
 * key's policy is AWS's and narrows its one grant to everyone by kms:CallerAccount and kms:ViaService, so it can only
 * be found compliant; a policy that opens the key is a customer's. Another account's key is not read (KMS serves
 * GetKeyPolicy to its owner only): the key function reports it on this event, the sweep as not assessable.
 */
export async function assessNewFileSystemKey(
  kms: KMSClient,
  fs: FileSystemFacts,
  account: string | undefined,
  config: GuardConfig,
  clock: Clock,
): Promise<Finding[]> {
  if (config.modes[keyPolicyControl.CONTROL] === "off" || isGone(fs) || !fs.encrypted || !fs.kmsKeyId) return [];
  const arn = fs.kmsKeyId;
  const keyAccount = accountOfKeyArn(arn);
  const home = fs.account ?? account;
  if (!keyAccount || (home !== undefined && keyAccount !== home)) return [];
  const key = { arn, account: keyAccount, region: fs.region, fileSystems: [fs.fileSystemId] };
  const read = await settle(keyPolicy(kms, arn));
  if ("error" in read) {
    const why = unreadable(read.error);
    if (!why) throw read.error;
    return [notAssessable(keyPolicyControl.CONTROL, key, why)];
  }
  const state = { ...key, keyId: keyIdOf(arn), keyManager: "unread", keyState: "unread" };
  const finding = keyPolicyControl.evaluate({ ...state, ...(read.value ? { policy: read.value } : {}) }, config, clock);
  if (finding.verdict === "non-compliant") finding.tags = await keyTags(kms, state.keyId);
  return [finding];
}

/**
 * efs-replica-encrypted for one source file system: its replication as EFS holds it now (DescribeReplicationConfigurations;
 * the destination in the event is the caller's text), each destination read in its own region, and the source's
 * own DescribeFileSystems (name, exemption tags) only for a finding to report. A file system that replicates
 * nowhere is not applicable.
 */
export async function assessReplica(
  clients: EfsAccessClients,
  fileSystemId: string,
  region: string,
  config: GuardConfig,
  clock: Clock,
  options: {
    /** The sweep's: the region's one listing of replications. */
    destinations?: Promise<ReplicationDestination[] | undefined>;
    /** The sweep's listing entry, instead of a DescribeFileSystems of its own. */
    listed?: Promise<FileSystemFacts>;
    account?: string | undefined;
  } = {},
): Promise<Finding> {
  let destinations: ReplicationDestination[] | undefined;
  try {
    destinations = await (options.destinations ?? replicationOf(clients.efs(region), fileSystemId));
  } catch (error) {
    if (!isFileSystemNotFound(error)) throw error;
    return notApplicable(replica.CONTROL, { fileSystemId, region, lifeCycleState: "missing" });
  }
  // DescribeReplicationConfigurations found it: it exists. Its other facts are read only when they are reported.
  const known: FileSystemFacts = { fileSystemId, region, lifeCycleState: "available" };
  if (!destinations) return replica.evaluate({ source: known }, config, clock);
  const facts = await Promise.all(
    destinations.map((d) =>
      destinationFacts(clients, d, options.account, config.requireCustomerManagedKey, [
        // The home region (the function's own), the source's and the configured others.
        ...(process.env.AWS_REGION ? [process.env.AWS_REGION] : []),
        region,
        ...config.regions,
      ]),
    ),
  );
  const first = replica.evaluate({ source: known, destinations: facts }, config, clock);
  if (first.verdict !== "non-compliant") return first;
  const source = await (options.listed ?? describeFileSystem(clients.efs(region), fileSystemId, region));
  return replica.evaluate({ source: isGone(source) ? known : source, destinations: facts }, config, clock);
}

/** A file system that replicates nowhere gives no sweep finding (its event does: not applicable, in the log). */
export const replicates = (f: Finding) => !(f.verdict === "not-applicable" && f.evidence.destinations === 0);

function accountOf(origin: Origin | undefined): string | undefined {
  return origin?.kind === "event" ? origin.event.account : origin?.account;
}

/**
 * Both policy controls of one file system from two reads sent together: DescribeFileSystems (state, ARN, tags) and
 * DescribeFileSystemPolicy. The policy is attacker-written text: it is only parsed, never echoed unescaped.
 */
export async function assessFileSystemAccess(
  efs: EFSClient,
  fileSystemId: string,
  region: string,
  controls: ControlId[],
  config: GuardConfig,
  clock: Clock,
  /** The sweep's listing entry, instead of a DescribeFileSystems of its own. */
  listed?: Promise<FileSystemFacts>,
): Promise<Finding[]> {
  const [fsRead, policyRead] = await Promise.all([
    settle(listed ?? describeFileSystem(efs, fileSystemId, region)),
    settle(fileSystemPolicy(efs, fileSystemId)),
  ]);
  const fs = unwrap(fsRead);
  if (isGone(fs)) return controls.map((c) => notApplicable(c, fs));
  let policy: string | undefined;
  try {
    policy = unwrap(policyRead);
  } catch (error) {
    // Deleted between the two reads: nothing to evaluate any more.
    if (!isFileSystemNotFound(error)) throw error;
    return controls.map((c) => notApplicable(c, { fileSystemId, region, lifeCycleState: "missing" }));
  }
  return controls.map((control) =>
    control === iam.CONTROL
      ? iam.evaluate({ fileSystem: fs, policy }, config, clock)
      : root.evaluate({ fileSystem: fs, policy }, config, clock),
  );
}

export function efsAccessGuard(clients: EfsAccessClients = { efs: efsClient, kms: kmsDescribeClient }): Guard {
  return {
    name: "efs-access",
    controls: ALL_CONTROLS,
    events: EFS_ACCESS_EVENTS,
    async assess(trigger: Trigger, region: string, config: GuardConfig, clock: Clock, origin?: Origin) {
      if (trigger.type === "access-point") {
        if (config.modes[accessPoint.CONTROL] === "off") return [];
        const ap = await describeAccessPoint(clients.efs(region), trigger.accessPointId, region);
        return [accessPoint.evaluate(ap, config, clock)];
      }
      if (trigger.type !== "file-system") return [];
      const event = origin?.kind === "event" ? `${origin.event.eventSource}:${origin.event.eventName}` : undefined;
      const replicaOn = config.modes[replica.CONTROL] !== "off";
      const account = accountOf(origin);
      if (event === REPLICATION_EVENT) {
        return replicaOn
          ? [await assessReplica(clients, trigger.fileSystemId, region, config, clock, { account })]
          : [];
      }
      const controls = POLICY_CONTROLS.filter((c) => config.modes[c] !== "off");
      const efs = clients.efs(region);
      // One DescribeFileSystems for the policy controls and, on CreateFileSystem, the new file system's key.
      const newKey = event === CREATE_EVENT && config.modes[keyPolicyControl.CONTROL] !== "off";
      const read = controls.length > 0 || newKey ? describeFileSystem(efs, trigger.fileSystemId, region) : undefined;
      read?.catch(() => undefined); // awaited below, where a failure is reported
      const findings =
        controls.length > 0
          ? await assessFileSystemAccess(efs, trigger.fileSystemId, region, controls, config, clock, read)
          : [];
      if (newKey && read) {
        findings.push(...(await assessNewFileSystemKey(clients.kms(region), await read, account, config, clock)));
      }
      // The policy events cannot change a replication; the sweep (no event) evaluates it too.
      if (event === undefined && replicaOn) {
        const found = await assessReplica(clients, trigger.fileSystemId, region, config, clock, { account });
        if (replicates(found)) findings.push(found);
      }
      return findings;
    },
    async inventory(region: string, config: GuardConfig) {
      const efs = clients.efs(region);
      const triggers: Trigger[] = [];
      if ([...POLICY_CONTROLS, replica.CONTROL].some((c) => config.modes[c] !== "off")) {
        for (const fs of await listFileSystems(efs, region)) {
          if (!isGone(fs)) triggers.push({ type: "file-system", fileSystemId: fs.fileSystemId });
        }
      }
      if (config.modes[accessPoint.CONTROL] !== "off") {
        for (const ap of await listAccessPoints(efs, region)) {
          if (ap.lifeCycleState !== "deleting" && ap.lifeCycleState !== "deleted") {
            triggers.push({ type: "access-point", accessPointId: ap.accessPointId });
          }
        }
      }
      return triggers;
    },
    async remediate(plan) {
      // All four controls are alert only (REMEDIABLE false): no plan reaches this guard, and its role cannot write.
      throw new Error(`the efs-access guard cannot execute ${plan.kind}`);
    },
  };
}
