import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import type { Finding, ResourceRef } from "./types.js";

/**
 * efs-access-point-enforced: every access point enforces a POSIX user (Security Hub EFS.4) and a root directory
 * other than `/` (EFS.3), so a client that mounts through it acts as that user inside that directory only. A
 * POSIX user with uid 0 enforces root: every client becomes root inside the directory, which is flagged too
 * (stricter than EFS.4). Alert only: access points are immutable; the fix is a new access point and a change of
 * every client that uses this one.
 */
export const CONTROL = "efs-access-point-enforced" as const;

/** An access point as DescribeAccessPoints shows it; lifeCycleState "missing" when it no longer exists. */
export interface AccessPointFacts {
  accessPointId: string;
  arn?: string;
  fileSystemId?: string;
  region: string;
  account?: string;
  name?: string;
  lifeCycleState: string;
  posixUser?: { uid?: number; gid?: number };
  rootDirectory?: string;
  tags?: Record<string, string>;
}

const GONE = new Set(["missing", "deleting", "deleted"]);

/** `/`, `//`, `/./` and an absent path all mean the file system's root. */
export function isFileSystemRoot(path: string | undefined): boolean {
  if (path === undefined) return true;
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  return parts.length === 0;
}

export function accessPointResource(ap: AccessPointFacts): ResourceRef {
  return {
    type: "access-point",
    id: ap.accessPointId,
    region: ap.region,
    ...(ap.arn ? { arn: ap.arn } : {}),
    ...(ap.account ? { account: ap.account } : {}),
  };
}

export function evaluate(ap: AccessPointFacts, _config: GuardConfig, _clock: Clock): Finding {
  const base = { control: CONTROL, resource: accessPointResource(ap) };
  const name = ap.name ? `${ap.accessPointId} (${ap.name})` : ap.accessPointId;
  const of = ap.fileSystemId ? ` of ${ap.fileSystemId}` : "";
  if (GONE.has(ap.lifeCycleState)) {
    return {
      ...base,
      verdict: "not-applicable",
      severity: "info",
      summary:
        ap.lifeCycleState === "missing"
          ? `${ap.accessPointId} no longer exists`
          : `${ap.accessPointId} is ${ap.lifeCycleState}`,
      evidence: { lifeCycleState: ap.lifeCycleState },
    };
  }
  const problems: string[] = [];
  const controls: string[] = [];
  if (ap.posixUser?.uid === undefined) {
    problems.push("enforces no POSIX user (clients keep the identity they send)");
    controls.push("EFS.4");
  } else if (ap.posixUser.uid === 0) {
    problems.push("enforces the POSIX user root (uid 0) on every client");
  }
  if (isFileSystemRoot(ap.rootDirectory)) {
    problems.push(`exposes the file system's root directory (${ap.rootDirectory ?? "/"})`);
    controls.push("EFS.3");
  }
  const evidence = {
    fileSystemId: ap.fileSystemId ?? null,
    posixUser: ap.posixUser ?? null,
    rootDirectory: ap.rootDirectory ?? "/",
  };
  if (problems.length === 0) {
    return {
      ...base,
      verdict: "compliant",
      severity: "info",
      summary: `access point ${name}${of} enforces uid ${ap.posixUser?.uid} and root directory ${ap.rootDirectory}`,
      evidence,
    };
  }
  return {
    ...base,
    verdict: "non-compliant",
    severity: ap.posixUser?.uid === 0 ? "high" : "medium",
    summary: `access point ${name}${of} ${problems.join(" and ")}`,
    evidence: { ...evidence, securityHub: controls },
    ...(ap.tags ? { tags: ap.tags } : {}),
  };
}
