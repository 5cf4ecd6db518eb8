import { type AccessPointDescription, DescribeAccessPointsCommand, type EFSClient } from "@aws-sdk/client-efs";
import type { AccessPointFacts } from "../controls/access-point-enforced.js";
import { AwsCallError } from "../runtime/errors.js";
import { call } from "./errors.js";

/**
 * The access guard's reads of access points: one by id (the event path) and every access point of the region (the
 * sweep's inventory). DescribeAccessPoints answers with the PosixUser, the RootDirectory and the tags in one call
 * (https://docs.aws.amazon.com/efs/latest/ug/API_DescribeAccessPoints.html).
 */

function toAccessPoint(ap: AccessPointDescription, region: string): AccessPointFacts {
  const tags: Record<string, string> = {};
  for (const tag of ap.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? "";
  const uid = ap.PosixUser?.Uid;
  const gid = ap.PosixUser?.Gid;
  return {
    accessPointId: ap.AccessPointId ?? "",
    region,
    lifeCycleState: ap.LifeCycleState ?? "available",
    tags,
    ...(ap.AccessPointArn ? { arn: ap.AccessPointArn } : {}),
    ...(ap.FileSystemId ? { fileSystemId: ap.FileSystemId } : {}),
    ...(ap.OwnerId ? { account: ap.OwnerId } : {}),
    ...(ap.Name ? { name: ap.Name } : {}),
    ...(uid !== undefined ? { posixUser: { uid, ...(gid !== undefined ? { gid } : {}) } } : {}),
    ...(ap.RootDirectory?.Path ? { rootDirectory: ap.RootDirectory.Path } : {}),
  };
}

/** One access point; lifeCycleState "missing" when it was deleted after the event (AccessPointNotFound). */
export async function describeAccessPoint(
  efs: EFSClient,
  accessPointId: string,
  region: string,
): Promise<AccessPointFacts> {
  try {
    const out = await call("efs:DescribeAccessPoints", () =>
      efs.send(new DescribeAccessPointsCommand({ AccessPointId: accessPointId })),
    );
    const ap = out.AccessPoints?.find((a) => a.AccessPointId === accessPointId);
    if (ap) return toAccessPoint(ap, region);
  } catch (error) {
    if (!(error instanceof AwsCallError && error.awsCode === "AccessPointNotFound")) throw error;
  }
  return { accessPointId, region, lifeCycleState: "missing" };
}

/**
 * Every access point of the region: DescribeAccessPoints without a file system lists the caller's access points
 * across file systems, 1,000 per page at most (EFS's maximum MaxResults). Pages are followed to the end.
 */
export async function listAccessPoints(efs: EFSClient, region: string): Promise<AccessPointFacts[]> {
  const all: AccessPointFacts[] = [];
  let NextToken: string | undefined;
  do {
    const page = await call("efs:DescribeAccessPoints", () =>
      efs.send(new DescribeAccessPointsCommand({ MaxResults: 1000, ...(NextToken ? { NextToken } : {}) })),
    );
    for (const ap of page.AccessPoints ?? []) if (ap.AccessPointId) all.push(toAccessPoint(ap, region));
    NextToken = page.NextToken;
  } while (NextToken);
  return all;
}
