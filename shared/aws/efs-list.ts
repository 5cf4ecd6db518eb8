import { DescribeFileSystemsCommand, type EFSClient } from "@aws-sdk/client-efs";
import { call } from "./errors.js";

/** What the key controls need to know about a file system. */
export interface FileSystemKey {
  fileSystemId: string;
  encrypted: boolean;
  /** A key ARN: DescribeFileSystems reports the key of an encrypted file system by ARN, whatever the caller sent. */
  kmsKeyId?: string;
  /** The account that owns the file system (OwnerId): the account the guard runs in. */
  ownerId?: string;
}

/** DescribeFileSystems returns at most 100 per page; one call per 100 file systems in the region. */
export const PAGE_SIZE = 100;

function toFileSystemKey(fs: {
  FileSystemId?: string;
  Encrypted?: boolean;
  KmsKeyId?: string;
  OwnerId?: string;
}): FileSystemKey {
  return {
    fileSystemId: fs.FileSystemId ?? "",
    encrypted: fs.Encrypted === true,
    ...(fs.KmsKeyId ? { kmsKeyId: fs.KmsKeyId } : {}),
    ...(fs.OwnerId ? { ownerId: fs.OwnerId } : {}),
  };
}

/** Every file system of the region with its key, paginated. */
export async function listFileSystemKeys(efs: EFSClient): Promise<FileSystemKey[]> {
  const all: FileSystemKey[] = [];
  let Marker: string | undefined;
  do {
    const page = await call("efs:DescribeFileSystems", () =>
      efs.send(new DescribeFileSystemsCommand({ MaxItems: PAGE_SIZE, Marker })),
    );
    for (const fs of page.FileSystems ?? []) if (fs.FileSystemId) all.push(toFileSystemKey(fs));
    Marker = page.NextMarker;
  } while (Marker);
  return all;
}

/** The file systems among `all` encrypted with the key (by key ARN), sorted. */
export function encryptedBy(all: readonly FileSystemKey[], keyArn: string): string[] {
  return all
    .filter((fs) => fs.encrypted && fs.kmsKeyId === keyArn)
    .map((fs) => fs.fileSystemId)
    .sort();
}
