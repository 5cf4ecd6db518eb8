import {
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  CreateReplicationConfigurationCommand,
  DescribeAccessPointsCommand,
  DescribeBackupPolicyCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  DescribeLifecycleConfigurationCommand,
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  DescribeReplicationConfigurationsCommand,
  type EFSClient,
  FileSystemAlreadyExists,
  type FileSystemDescription,
  type LifecyclePolicy,
  type MountTargetDescription,
  PutBackupPolicyCommand,
  PutFileSystemPolicyCommand,
  PutLifecycleConfigurationCommand,
  type ReplicationConfigurationDescription,
  TagResourceCommand,
  type ThroughputMode,
  UpdateFileSystemCommand,
  UpdateFileSystemProtectionCommand,
} from "@aws-sdk/client-efs";
import type { CapturedAccessPoint, CapturedMountTarget } from "../migration/types.js";
import { awsErrorCode, call } from "./errors.js";

/** EFS reads and writes of the migration workflow. Absent things (no policy, no backup policy) are undefined. */

function causeCode(error: unknown): string {
  return awsErrorCode((error as { cause?: unknown }).cause ?? error);
}

export function tagsToRecord(tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key!, t.Value ?? ""]));
}

export async function describeFileSystem(
  efs: EFSClient,
  fileSystemId: string,
): Promise<FileSystemDescription | undefined> {
  try {
    const out = await call("elasticfilesystem:DescribeFileSystems", () =>
      efs.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId })),
    );
    return out.FileSystems?.[0];
  } catch (error) {
    if (causeCode(error) === "FileSystemNotFound") return undefined;
    throw error;
  }
}

export async function mountTargets(efs: EFSClient, fileSystemId: string): Promise<MountTargetDescription[]> {
  const all: MountTargetDescription[] = [];
  let Marker: string | undefined;
  do {
    const out = await call("elasticfilesystem:DescribeMountTargets", () =>
      efs.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId, ...(Marker ? { Marker } : {}) })),
    );
    all.push(...(out.MountTargets ?? []));
    Marker = out.NextMarker;
  } while (Marker);
  return all;
}

export async function capturedMountTargets(efs: EFSClient, fileSystemId: string): Promise<CapturedMountTarget[]> {
  const out: CapturedMountTarget[] = [];
  for (const mt of await mountTargets(efs, fileSystemId)) {
    const groups = await call("elasticfilesystem:DescribeMountTargetSecurityGroups", () =>
      efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: mt.MountTargetId })),
    );
    out.push({
      mountTargetId: mt.MountTargetId!,
      subnetId: mt.SubnetId!,
      securityGroups: groups.SecurityGroups ?? [],
      ...(mt.AvailabilityZoneName ? { availabilityZoneName: mt.AvailabilityZoneName } : {}),
      ...(mt.IpAddress ? { ipAddress: mt.IpAddress } : {}),
    });
  }
  return out;
}

export async function fileSystemPolicy(efs: EFSClient, fileSystemId: string): Promise<string | undefined> {
  try {
    const out = await call("elasticfilesystem:DescribeFileSystemPolicy", () =>
      efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: fileSystemId })),
    );
    return out.Policy ?? undefined;
  } catch (error) {
    if (causeCode(error) === "PolicyNotFound") return undefined;
    throw error;
  }
}

export async function accessPoints(efs: EFSClient, fileSystemId: string): Promise<CapturedAccessPoint[]> {
  const out: CapturedAccessPoint[] = [];
  let NextToken: string | undefined;
  do {
    const page = await call("elasticfilesystem:DescribeAccessPoints", () =>
      efs.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId, ...(NextToken ? { NextToken } : {}) })),
    );
    for (const ap of page.AccessPoints ?? []) {
      out.push({
        accessPointId: ap.AccessPointId!,
        ...(ap.Name ? { name: ap.Name } : {}),
        ...(ap.PosixUser ? { posixUser: ap.PosixUser as CapturedAccessPoint["posixUser"] } : {}),
        ...(ap.RootDirectory ? { rootDirectory: ap.RootDirectory as CapturedAccessPoint["rootDirectory"] } : {}),
        tags: tagsToRecord(ap.Tags),
      });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

export async function lifecyclePolicies(efs: EFSClient, fileSystemId: string): Promise<LifecyclePolicy[]> {
  const out = await call("elasticfilesystem:DescribeLifecycleConfiguration", () =>
    efs.send(new DescribeLifecycleConfigurationCommand({ FileSystemId: fileSystemId })),
  );
  return out.LifecyclePolicies ?? [];
}

export async function backupPolicyStatus(efs: EFSClient, fileSystemId: string): Promise<string | undefined> {
  try {
    const out = await call("elasticfilesystem:DescribeBackupPolicy", () =>
      efs.send(new DescribeBackupPolicyCommand({ FileSystemId: fileSystemId })),
    );
    return out.BackupPolicy?.Status;
  } catch (error) {
    if (causeCode(error) === "PolicyNotFound") return undefined;
    throw error;
  }
}

/**
 * The replication configuration the file system is part of, as source or as destination (AWS allows one), if any.
 * Asked with the file system's id in its own region, EFS answers for either side.
 */
export async function replicationOf(
  efs: EFSClient,
  fileSystemId: string,
): Promise<ReplicationConfigurationDescription | undefined> {
  try {
    const out = await call("elasticfilesystem:DescribeReplicationConfigurations", () =>
      efs.send(new DescribeReplicationConfigurationsCommand({ FileSystemId: fileSystemId })),
    );
    return out.Replications?.[0];
  } catch (error) {
    if (causeCode(error) === "ReplicationNotFound") return undefined;
    throw error;
  }
}

export interface NewFileSystem {
  creationToken: string;
  kmsKeyArn: string;
  performanceMode?: string;
  throughputMode?: string;
  provisionedThroughputInMibps?: number;
  availabilityZoneName?: string;
  backup: boolean;
  tags: Record<string, string>;
}

/**
 * Creates an encrypted file system with its tags in the same request. The creation token makes it idempotent: when
 * a file system with this token exists, EFS answers FileSystemAlreadyExists with its id, returned with
 * `created: false`; the caller must then check that it is the one it created.
 */
export async function createFileSystem(
  efs: EFSClient,
  input: NewFileSystem,
): Promise<{ fileSystemId: string; created: boolean }> {
  try {
    const out = await efs.send(
      new CreateFileSystemCommand({
        CreationToken: input.creationToken,
        Encrypted: true,
        KmsKeyId: input.kmsKeyArn,
        ...(input.performanceMode ? { PerformanceMode: input.performanceMode as "generalPurpose" | "maxIO" } : {}),
        ...(input.throughputMode ? { ThroughputMode: input.throughputMode as ThroughputMode } : {}),
        ...(input.throughputMode === "provisioned" && input.provisionedThroughputInMibps
          ? { ProvisionedThroughputInMibps: input.provisionedThroughputInMibps }
          : {}),
        ...(input.availabilityZoneName ? { AvailabilityZoneName: input.availabilityZoneName } : {}),
        Backup: input.backup,
        Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return { fileSystemId: out.FileSystemId!, created: true };
  } catch (error) {
    if (error instanceof FileSystemAlreadyExists && error.FileSystemId) {
      return { fileSystemId: error.FileSystemId, created: false };
    }
    return call("elasticfilesystem:CreateFileSystem", () => Promise.reject(error));
  }
}

/** DISABLED lets the file system be a replication destination (read-only from then on). */
export async function disableReplicationOverwriteProtection(efs: EFSClient, fileSystemId: string): Promise<void> {
  await call("elasticfilesystem:UpdateFileSystemProtection", () =>
    efs.send(
      new UpdateFileSystemProtectionCommand({ FileSystemId: fileSystemId, ReplicationOverwriteProtection: "DISABLED" }),
    ),
  );
}

/** Replicates the source to an existing file system (the replacement the migration created) in the same region. */
export async function replicateTo(
  efs: EFSClient,
  sourceId: string,
  destination: { fileSystemId: string; region: string },
): Promise<void> {
  await call("elasticfilesystem:CreateReplicationConfiguration", () =>
    efs.send(
      new CreateReplicationConfigurationCommand({
        SourceFileSystemId: sourceId,
        Destinations: [{ Region: destination.region, FileSystemId: destination.fileSystemId }],
      }),
    ),
  );
}

export async function updateThroughput(
  efs: EFSClient,
  fileSystemId: string,
  throughputMode: string,
  provisionedThroughputInMibps?: number,
): Promise<void> {
  await call("elasticfilesystem:UpdateFileSystem", () =>
    efs.send(
      new UpdateFileSystemCommand({
        FileSystemId: fileSystemId,
        ThroughputMode: throughputMode as ThroughputMode,
        ...(throughputMode === "provisioned" ? { ProvisionedThroughputInMibps: provisionedThroughputInMibps } : {}),
      }),
    ),
  );
}

export async function createMountTarget(
  efs: EFSClient,
  fileSystemId: string,
  subnetId: string,
  securityGroups: string[],
): Promise<string> {
  const out = await call("elasticfilesystem:CreateMountTarget", () =>
    efs.send(
      new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: subnetId, SecurityGroups: securityGroups }),
    ),
  );
  return out.MountTargetId!;
}

export async function putFileSystemPolicy(efs: EFSClient, fileSystemId: string, policy: string): Promise<void> {
  await call("elasticfilesystem:PutFileSystemPolicy", () =>
    efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fileSystemId, Policy: policy })),
  );
}

export async function createAccessPoint(
  efs: EFSClient,
  fileSystemId: string,
  source: CapturedAccessPoint,
  clientToken: string,
  tags: Record<string, string>,
): Promise<string> {
  const out = await call("elasticfilesystem:CreateAccessPoint", () =>
    efs.send(
      new CreateAccessPointCommand({
        ClientToken: clientToken,
        FileSystemId: fileSystemId,
        ...(source.posixUser ? { PosixUser: source.posixUser } : {}),
        ...(source.rootDirectory ? { RootDirectory: source.rootDirectory } : {}),
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    ),
  );
  return out.AccessPointId!;
}

export async function putLifecyclePolicies(efs: EFSClient, fileSystemId: string, policies: LifecyclePolicy[]) {
  await call("elasticfilesystem:PutLifecycleConfiguration", () =>
    efs.send(new PutLifecycleConfigurationCommand({ FileSystemId: fileSystemId, LifecyclePolicies: policies })),
  );
}

export async function putBackupPolicy(efs: EFSClient, fileSystemId: string, status: "ENABLED" | "DISABLED") {
  await call("elasticfilesystem:PutBackupPolicy", () =>
    efs.send(new PutBackupPolicyCommand({ FileSystemId: fileSystemId, BackupPolicy: { Status: status } })),
  );
}

export async function tagFileSystem(efs: EFSClient, fileSystemId: string, tags: Record<string, string>) {
  if (Object.keys(tags).length === 0) return;
  await call("elasticfilesystem:TagResource", () =>
    efs.send(
      new TagResourceCommand({
        ResourceId: fileSystemId,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    ),
  );
}
