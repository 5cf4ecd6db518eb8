import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import { type FileSystemFacts, fileSystemResource, isGone, label, notApplicable } from "./file-system.js";
import type { Finding } from "./types.js";

/**
 * efs-replica-encrypted: every replication destination of a file system is encrypted at rest, with a customer
 * managed key while `requireCustomerManagedKey`. EFS encrypts a destination it creates, but replication to an
 * existing file system keeps that file system's encryption, and a destination created without KmsKeyId uses
 * aws/elasticfilesystem. The finding is on the source (whose replication it is, and whose tags exempt it).
 * A destination EFS Guard cannot read (another account, a region it does not guard, access denied) is reported
 * as unverified, never assumed encrypted. Alert only: a destination's encryption cannot be changed.
 */
export const CONTROL = "efs-replica-encrypted" as const;

export interface ReplicaFacts {
  fileSystemId: string;
  region: string;
  /** DescribeReplicationConfigurations' destination status: ENABLED, ENABLING, PAUSED, ERROR, DELETING... */
  status: string;
  ownerId?: string;
  /** The destination as DescribeFileSystems shows it in its region; absent when it could not be read. */
  encrypted?: boolean;
  kmsKeyId?: string;
  /** DescribeKey's KeyManager for the destination's key (AWS or CUSTOMER), when read. */
  keyManager?: string;
  /** Why the destination could not be read (kept out of the verdict's guesswork). */
  unreadable?: string;
}

export interface ReplicaState {
  source: FileSystemFacts;
  /** Undefined: the file system replicates nowhere. */
  destinations?: ReplicaFacts[];
}

type Problem = { fileSystemId: string; region: string; problem: string; severity: "critical" | "high" | "medium" };

function judge(d: ReplicaFacts, config: GuardConfig): Problem | undefined {
  const at = { fileSystemId: d.fileSystemId, region: d.region };
  if (d.unreadable !== undefined) return { ...at, severity: "medium", problem: `cannot be verified: ${d.unreadable}` };
  if (d.encrypted !== true) return { ...at, severity: "critical", problem: "is not encrypted at rest" };
  if (config.requireCustomerManagedKey) {
    if (d.keyManager === undefined) {
      return {
        ...at,
        severity: "medium",
        problem: `is encrypted with ${d.kmsKeyId ?? "an unknown key"}, whose manager is unknown`,
      };
    }
    if (d.keyManager !== "CUSTOMER") {
      return {
        ...at,
        severity: "high",
        problem: `is encrypted with the AWS managed key (${d.kmsKeyId ?? "aws/elasticfilesystem"}), not a customer managed key`,
      };
    }
  }
  return undefined;
}

const RANK = { critical: 3, high: 2, medium: 1 } as const;

export function evaluate(state: ReplicaState, config: GuardConfig, _clock: Clock): Finding {
  const fs = state.source;
  if (isGone(fs)) return notApplicable(CONTROL, fs);
  const base = { control: CONTROL, resource: fileSystemResource(fs) };
  const live = (state.destinations ?? []).filter((d) => d.status !== "DELETING");
  if (live.length === 0) {
    return {
      ...base,
      verdict: "not-applicable",
      severity: "info",
      summary: `${label(fs)} is not replicated`,
      evidence: { destinations: 0 },
    };
  }
  const problems = live.map((d) => judge(d, config)).filter((p): p is Problem => p !== undefined);
  const destinations = live.map((d) => ({
    fileSystemId: d.fileSystemId,
    region: d.region,
    status: d.status,
    encrypted: d.encrypted ?? null,
    kmsKeyId: d.kmsKeyId ?? null,
    keyManager: d.keyManager ?? null,
  }));
  if (problems.length === 0) {
    return {
      ...base,
      verdict: "compliant",
      severity: "info",
      summary: `every replica of ${label(fs)} is encrypted${config.requireCustomerManagedKey ? " with a customer managed key" : ""}`,
      evidence: { destinations },
    };
  }
  const worst = problems.reduce((a, b) => (RANK[b.severity] > RANK[a.severity] ? b : a));
  return {
    ...base,
    verdict: "non-compliant",
    severity: worst.severity,
    summary: `the replica of ${label(fs)} ${problems.map((p) => `${p.fileSystemId} in ${p.region} ${p.problem}`).join("; ")}`,
    evidence: { destinations, problems },
    ...(fs.tags ? { tags: fs.tags } : {}),
  };
}
