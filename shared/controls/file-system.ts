import type { ControlId } from "../config/controls.js";
import type { Finding, ResourceRef } from "./types.js";

/**
 * A file system as DescribeFileSystems shows it, the part every file-system control needs. `lifeCycleState`
 * "missing" means DescribeFileSystems answered FileSystemNotFound: the file system was deleted after the event.
 */
export interface FileSystemFacts {
  fileSystemId: string;
  region: string;
  account?: string;
  arn?: string;
  name?: string;
  lifeCycleState: string;
  encrypted?: boolean;
  kmsKeyId?: string;
  /** DescribeFileSystems' NumberOfMountTargets: whether NFS clients can reach the file system at all yet. */
  numberOfMountTargets?: number;
  tags?: Record<string, string>;
}

/** States in which a control has nothing to act on: the file system is gone or going. */
const GONE = new Set(["missing", "deleting", "deleted"]);

export function isGone(fs: FileSystemFacts): boolean {
  return GONE.has(fs.lifeCycleState);
}

export function fileSystemResource(
  fs: Pick<FileSystemFacts, "fileSystemId" | "region" | "arn" | "account">,
): ResourceRef {
  return {
    type: "file-system",
    id: fs.fileSystemId,
    region: fs.region,
    ...(fs.arn ? { arn: fs.arn } : {}),
    ...(fs.account ? { account: fs.account } : {}),
  };
}

export function notApplicable(control: ControlId, fs: FileSystemFacts): Finding {
  return {
    control,
    resource: fileSystemResource(fs),
    verdict: "not-applicable",
    severity: "info",
    summary:
      fs.lifeCycleState === "missing"
        ? `${fs.fileSystemId} no longer exists`
        : `${fs.fileSystemId} is ${fs.lifeCycleState}`,
    evidence: { lifeCycleState: fs.lifeCycleState },
  };
}

/** "fs-1 (Name)" when the file system has a Name tag, for alerts people read. */
export function label(fs: Pick<FileSystemFacts, "fileSystemId" | "name">): string {
  return fs.name ? `${fs.fileSystemId} (${fs.name})` : fs.fileSystemId;
}

/**
 * The finding of a policy control that has no policy to read (EFS's default then grants every client that reaches
 * a mount target full access) or a policy that is not valid JSON (never guessed): non-compliant, medium.
 */
export function policyProblem(
  control: ControlId,
  fs: FileSystemFacts,
  problem: { none: true; consequence: string } | { none: false; detail: string; question: string },
): Finding {
  return {
    control,
    resource: fileSystemResource(fs),
    verdict: "non-compliant",
    severity: "medium",
    summary: problem.none
      ? `${label(fs)} has no file system policy: ${problem.consequence}`
      : `the policy of ${label(fs)} cannot be read (${problem.detail}): EFS Guard cannot tell ${problem.question}`,
    evidence: problem.none ? { hasPolicy: false } : { problem: "invalid", detail: problem.detail },
    ...(fs.tags ? { tags: fs.tags } : {}),
  };
}
