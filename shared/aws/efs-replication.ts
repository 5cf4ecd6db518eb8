import {
  DescribeReplicationConfigurationsCommand,
  type EFSClient,
  type ReplicationConfigurationDescription,
} from "@aws-sdk/client-efs";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { ReplicaFacts } from "../controls/replica-encrypted.js";
import { AwsCallError } from "../runtime/errors.js";
import { describeFileSystem } from "./efs.js";
import { call } from "./errors.js";
import { describeKeyFacts } from "./kms-describe.js";

/** A destination as DescribeReplicationConfigurations names it (the source's region answers). */
export interface ReplicationDestination {
  fileSystemId: string;
  region: string;
  status: string;
  ownerId?: string;
}

function destinationsOf(config: ReplicationConfigurationDescription): ReplicationDestination[] {
  return (config.Destinations ?? []).flatMap((d) =>
    d.FileSystemId && d.Region
      ? [
          {
            fileSystemId: d.FileSystemId,
            region: d.Region,
            status: d.Status ?? "UNKNOWN",
            ...(d.OwnerId ? { ownerId: d.OwnerId } : {}),
          },
        ]
      : [],
  );
}

/**
 * The destinations of the replication whose source is this file system, as EFS holds it now (the destination named
 * in a CreateReplicationConfiguration record is the caller's text). Undefined when it replicates nowhere: EFS answers
 * ReplicationNotFound, or the configuration it answers has this file system as its destination, not its source.
 */
export async function replicationOf(
  efs: EFSClient,
  fileSystemId: string,
): Promise<ReplicationDestination[] | undefined> {
  try {
    const out = await call("efs:DescribeReplicationConfigurations", () =>
      efs.send(new DescribeReplicationConfigurationsCommand({ FileSystemId: fileSystemId })),
    );
    const own = (out.Replications ?? []).find((r) => r.SourceFileSystemId === fileSystemId);
    return own ? destinationsOf(own) : undefined;
  } catch (error) {
    if (error instanceof AwsCallError && error.awsCode === "ReplicationNotFound") return undefined;
    throw error;
  }
}

/** Every replication of the region whose source is here, by source id: one call per page of 100 (the sweep's). */
export async function listReplications(efs: EFSClient): Promise<Map<string, ReplicationDestination[]>> {
  const out = new Map<string, ReplicationDestination[]>();
  let NextToken: string | undefined;
  do {
    const page = await call("efs:DescribeReplicationConfigurations", () =>
      efs.send(new DescribeReplicationConfigurationsCommand({ MaxResults: 100, NextToken })),
    );
    for (const r of page.Replications ?? []) {
      if (r.SourceFileSystemId) out.set(r.SourceFileSystemId, destinationsOf(r));
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/**
 * What the destination is, read in its own region: DescribeFileSystems there (Encrypted, KmsKeyId) and, when a
 * customer managed key is required, DescribeKey there (KeyManager), as efs-encrypted-at-rest decides it. A
 * destination in another account, or one EFS Guard may not read, is reported as unverified, never assumed
 * encrypted.
 */
export async function destinationFacts(
  clients: { efs: (region: string) => EFSClient; kms: (region: string) => KMSClient },
  destination: ReplicationDestination,
  sourceAccount: string | undefined,
  requireCustomerManagedKey: boolean,
  /** The regions the deployment guards: the roles' region fence denies every call elsewhere, so none is made. */
  guardedRegions?: readonly string[],
): Promise<ReplicaFacts> {
  const base: ReplicaFacts = {
    fileSystemId: destination.fileSystemId,
    region: destination.region,
    status: destination.status,
    ...(destination.ownerId ? { ownerId: destination.ownerId } : {}),
  };
  if (destination.ownerId && sourceAccount && destination.ownerId !== sourceAccount) {
    return { ...base, unreadable: `it belongs to account ${destination.ownerId}` };
  }
  if (guardedRegions && !guardedRegions.includes(destination.region)) {
    return {
      ...base,
      unreadable: `${destination.region} is not among the guarded regions (add it to \`regions\`): the roles' region fence denies every call there`,
    };
  }
  let fs: Awaited<ReturnType<typeof describeFileSystem>>;
  try {
    fs = await describeFileSystem(clients.efs(destination.region), destination.fileSystemId, destination.region);
  } catch (error) {
    if (error instanceof AwsCallError && !error.retryable) {
      // The roles' region fence (infra/iam.ts) denies every call outside the guarded regions.
      const why = /AccessDenied/.test(error.awsCode)
        ? `${error.awsCode} in ${destination.region} (is it among the guarded regions, \`regions\`?)`
        : error.awsCode;
      return { ...base, unreadable: why };
    }
    throw error;
  }
  if (fs.lifeCycleState === "missing") return { ...base, unreadable: "EFS does not find it in its region" };
  const facts: ReplicaFacts = { ...base, encrypted: fs.encrypted === true };
  if (fs.kmsKeyId) facts.kmsKeyId = fs.kmsKeyId;
  if (!requireCustomerManagedKey || !facts.encrypted || !fs.kmsKeyId) return facts;
  const key = await describeKeyFacts(clients.kms(destination.region), fs.kmsKeyId);
  if ("error" in key) return { ...facts, unreadable: `its key ${fs.kmsKeyId} cannot be described (${key.error})` };
  return { ...facts, keyManager: key.keyManager };
}
