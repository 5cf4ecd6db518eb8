import { DescribeFileSystemsCommand, type EFSClient } from "@aws-sdk/client-efs";
import { awsErrorCode, call } from "./errors.js";

/** What the key controls need to know about a file system. */
export interface FileSystemKey {
  fileSystemId: string;
  encrypted: boolean;
  /** A key ARN: DescribeFileSystems reports the key of an encrypted file system by ARN, whatever the caller sent. */
  kmsKeyId?: string;
}

/** DescribeFileSystems returns at most 100 per page; one call per 100 file systems in the region. */
export const PAGE_SIZE = 100;

function toFileSystemKey(fs: { FileSystemId?: string; Encrypted?: boolean; KmsKeyId?: string }): FileSystemKey {
  return {
    fileSystemId: fs.FileSystemId ?? "",
    encrypted: fs.Encrypted === true,
    ...(fs.KmsKeyId ? { kmsKeyId: fs.KmsKeyId } : {}),
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

/** The file systems encrypted with the key (by key ARN), sorted. */
export async function fileSystemsEncryptedBy(efs: EFSClient, keyArn: string): Promise<string[]> {
  return (await listFileSystemKeys(efs))
    .filter((fs) => fs.encrypted && fs.kmsKeyId === keyArn)
    .map((fs) => fs.fileSystemId)
    .sort();
}

/** One file system and its key; undefined when it no longer exists. */
export async function fileSystemKey(efs: EFSClient, fileSystemId: string): Promise<FileSystemKey | undefined> {
  try {
    const out = await call("efs:DescribeFileSystems", () =>
      efs.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId })),
    );
    const fs = out.FileSystems?.[0];
    return fs ? toFileSystemKey(fs) : undefined;
  } catch (error) {
    if (awsErrorCode((error as { cause?: unknown }).cause) === "FileSystemNotFound") return undefined;
    throw error;
  }
}
