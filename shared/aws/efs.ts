import {
  DeleteFileSystemPolicyCommand,
  DescribeBackupPolicyCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
  type FileSystemDescription,
  PutBackupPolicyCommand,
  PutFileSystemPolicyCommand,
} from "@aws-sdk/client-efs";
import type { FileSystemFacts } from "../controls/file-system.js";
import { AwsCallError } from "../runtime/errors.js";
import { awsErrorCode, call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const efsClient = perRegion((region) => new EFSClient(clientConfig(region)));

/** The security groups on a mount target now; undefined when the mount target no longer exists. */
export async function mountTargetSecurityGroups(efs: EFSClient, mountTargetId: string): Promise<string[] | undefined> {
  try {
    const out = await call("efs:DescribeMountTargetSecurityGroups", () =>
      efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: mountTargetId })),
    );
    return out.SecurityGroups ?? [];
  } catch (error) {
    if (awsErrorCode((error as { cause?: unknown }).cause) === "MountTargetNotFound") return undefined;
    throw error;
  }
}

/**
 * EFS's own record of a file system's mount targets: mount target id -> the network interface EFS created for it
 * (DescribeMountTargets, "NetworkInterfaceId: the ID of the network interface that Amazon EFS created when it
 * created the mount target"). Nobody but EFS writes it, so it is what tells a mount target's interface from one
 * that only carries its description. Undefined when the file system does not exist. One call per file system
 * (a file system has at most one mount target per Availability Zone; pages are followed all the same).
 */
export async function mountTargetInterfaceIds(
  efs: EFSClient,
  fileSystemId: string,
): Promise<Map<string, string> | undefined> {
  const out = new Map<string, string>();
  let Marker: string | undefined;
  try {
    do {
      const page = await call("efs:DescribeMountTargets", () =>
        efs.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId, Marker })),
      );
      for (const mt of page.MountTargets ?? []) {
        if (mt.MountTargetId && mt.NetworkInterfaceId) out.set(mt.MountTargetId, mt.NetworkInterfaceId);
      }
      Marker = page.NextMarker;
    } while (Marker);
  } catch (error) {
    if (isFileSystemNotFound(error)) return undefined;
    throw error;
  }
  return out;
}

/** True when the error says the file system does not exist (deleted after the event that named it). */
export function isFileSystemNotFound(error: unknown): boolean {
  return error instanceof AwsCallError && error.awsCode === "FileSystemNotFound";
}

export function toFacts(fs: FileSystemDescription, region: string): FileSystemFacts {
  const tags: Record<string, string> = {};
  for (const tag of fs.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? "";
  const facts: FileSystemFacts = {
    fileSystemId: fs.FileSystemId ?? "",
    region,
    lifeCycleState: fs.LifeCycleState ?? "available",
    encrypted: fs.Encrypted === true,
    tags,
  };
  if (fs.OwnerId) facts.account = fs.OwnerId;
  if (fs.FileSystemArn) facts.arn = fs.FileSystemArn;
  if (fs.Name) facts.name = fs.Name;
  if (fs.KmsKeyId) facts.kmsKeyId = fs.KmsKeyId;
  if (fs.NumberOfMountTargets !== undefined) facts.numberOfMountTargets = fs.NumberOfMountTargets;
  return facts;
}

/** One file system as DescribeFileSystems shows it (with its tags); lifeCycleState "missing" when it is gone. */
export async function describeFileSystem(
  efs: EFSClient,
  fileSystemId: string,
  region: string,
): Promise<FileSystemFacts> {
  try {
    const out = await call("efs:DescribeFileSystems", () =>
      efs.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId })),
    );
    const fs = out.FileSystems?.[0];
    if (fs) return toFacts(fs, region);
  } catch (error) {
    if (!isFileSystemNotFound(error)) throw error;
  }
  return { fileSystemId, region, lifeCycleState: "missing" };
}

/** Every file system of the region (DescribeFileSystems, all pages). */
export async function listFileSystems(efs: EFSClient, region: string): Promise<FileSystemFacts[]> {
  const all: FileSystemFacts[] = [];
  let Marker: string | undefined;
  do {
    const page = await call("efs:DescribeFileSystems", () =>
      efs.send(new DescribeFileSystemsCommand({ Marker, MaxItems: 100 })),
    );
    for (const fs of page.FileSystems ?? []) all.push(toFacts(fs, region));
    Marker = page.NextMarker;
  } while (Marker);
  return all;
}

/** The file system policy text; undefined when there is none (the default policy applies). */
export async function fileSystemPolicy(efs: EFSClient, fileSystemId: string): Promise<string | undefined> {
  try {
    const out = await call("efs:DescribeFileSystemPolicy", () =>
      efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: fileSystemId })),
    );
    return out.Policy ?? undefined;
  } catch (error) {
    if (error instanceof AwsCallError && error.awsCode === "PolicyNotFound") return undefined;
    throw error;
  }
}

/**
 * A write to a file system that is still "creating" (the CreateFileSystem event can arrive before it is available)
 * fails with IncorrectFileSystemLifeCycleState; waiting helps, so it is marked retryable and the event comes back.
 */
async function write<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await call(operation, fn);
  } catch (error) {
    if (error instanceof AwsCallError && error.awsCode === "IncorrectFileSystemLifeCycleState") {
      throw new AwsCallError(operation, error.awsCode, (error.cause as Error | undefined)?.message ?? error.message, {
        cause: error.cause,
        retryable: true,
      });
    }
    throw error;
  }
}

/** Writes the policy and returns the policy EFS says it now has. The lockout safety check stays on. */
export async function putFileSystemPolicy(efs: EFSClient, fileSystemId: string, policy: string): Promise<string> {
  const out = await write("efs:PutFileSystemPolicy", () =>
    efs.send(
      new PutFileSystemPolicyCommand({
        FileSystemId: fileSystemId,
        Policy: policy,
        BypassPolicyLockoutSafetyCheck: false,
      }),
    ),
  );
  return out.Policy ?? "";
}

export async function deleteFileSystemPolicy(efs: EFSClient, fileSystemId: string): Promise<void> {
  await call("efs:DeleteFileSystemPolicy", () =>
    efs.send(new DeleteFileSystemPolicyCommand({ FileSystemId: fileSystemId })),
  );
}

/** The backup policy status (ENABLED, ENABLING, DISABLED, DISABLING); undefined when there is no backup policy. */
export async function backupPolicyStatus(efs: EFSClient, fileSystemId: string): Promise<string | undefined> {
  try {
    const out = await call("efs:DescribeBackupPolicy", () =>
      efs.send(new DescribeBackupPolicyCommand({ FileSystemId: fileSystemId })),
    );
    return out.BackupPolicy?.Status ?? undefined;
  } catch (error) {
    if (error instanceof AwsCallError && error.awsCode === "PolicyNotFound") return undefined;
    throw error;
  }
}

/** PutBackupPolicy ENABLED; returns the status EFS reports afterwards (ENABLED or ENABLING). */
export async function enableBackups(efs: EFSClient, fileSystemId: string): Promise<string | undefined> {
  const out = await write("efs:PutBackupPolicy", () =>
    efs.send(new PutBackupPolicyCommand({ FileSystemId: fileSystemId, BackupPolicy: { Status: "ENABLED" } })),
  );
  return out.BackupPolicy?.Status;
}

/** A mount target where EFS reports it: its file system, subnet and VPC (efs-mount-target-private). */
export interface MountTargetWhere {
  mountTargetId: string;
  fileSystemId: string;
  subnetId: string;
  vpcId?: string;
  availabilityZone?: string;
}

/**
 * Every mount target of a file system (by `fileSystemId`), or one mount target (by `mountTargetId`), as EFS
 * reports them; empty when the file system or mount target no longer exists. A file system has at most one mount
 * target per Availability Zone, all in one VPC: one page (pages are followed all the same).
 */
export async function mountTargetsWhere(
  efs: EFSClient,
  by: { fileSystemId: string } | { mountTargetId: string },
): Promise<MountTargetWhere[]> {
  const out: MountTargetWhere[] = [];
  let Marker: string | undefined;
  const what = "fileSystemId" in by ? { FileSystemId: by.fileSystemId } : { MountTargetId: by.mountTargetId };
  try {
    do {
      const page = await call("efs:DescribeMountTargets", () =>
        efs.send(new DescribeMountTargetsCommand({ ...what, Marker })),
      );
      for (const mt of page.MountTargets ?? []) {
        if (!mt.MountTargetId || !mt.FileSystemId || !mt.SubnetId) continue;
        out.push({
          mountTargetId: mt.MountTargetId,
          fileSystemId: mt.FileSystemId,
          subnetId: mt.SubnetId,
          ...(mt.VpcId ? { vpcId: mt.VpcId } : {}),
          ...(mt.AvailabilityZoneName ? { availabilityZone: mt.AvailabilityZoneName } : {}),
        });
      }
      Marker = page.NextMarker;
    } while (Marker);
  } catch (error) {
    if (isFileSystemNotFound(error)) return [];
    if (error instanceof AwsCallError && error.awsCode === "MountTargetNotFound") return [];
    throw error;
  }
  return out;
}
