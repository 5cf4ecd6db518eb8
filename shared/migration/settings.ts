import type { SourceSnapshot, VerificationCheck } from "./types.js";

/**
 * The storage settings a replacement keeps from its source: performance mode, throughput mode and provisioned
 * throughput, One Zone (the Availability Zone), lifecycle (TransitionToIA / TransitionToArchive /
 * TransitionToPrimaryStorageClass) and automatic backups. Pure: what to change, and how to check it.
 *
 * Order matters to EFS (API_PutLifecycleConfiguration): TransitionToArchive is accepted only on a file system with
 * Elastic throughput (and General Purpose performance), so the throughput mode is applied first (at creation, or
 * with UpdateFileSystem), and the lifecycle after it.
 */

export interface FileSystemSettings {
  performanceMode?: string;
  throughputMode?: string;
  provisionedThroughputInMibps?: number;
  availabilityZoneName?: string;
}

/** EFS's default for a file system created without a ThroughputMode. */
const DEFAULT_THROUGHPUT = "bursting";

export function throughputOf(settings: FileSystemSettings): { mode: string; mibps?: number } {
  const mode = settings.throughputMode ?? DEFAULT_THROUGHPUT;
  return mode === "provisioned" && settings.provisionedThroughputInMibps !== undefined
    ? { mode, mibps: settings.provisionedThroughputInMibps }
    : { mode };
}

/** The UpdateFileSystem call that gives the replacement the source's throughput, or undefined if it already has it. */
export function throughputUpdate(
  source: SourceSnapshot,
  replacement: FileSystemSettings,
): { throughputMode: string; provisionedThroughputInMibps?: number } | undefined {
  const want = throughputOf(source);
  const have = throughputOf(replacement);
  if (want.mode === have.mode && want.mibps === have.mibps) return undefined;
  return want.mibps === undefined
    ? { throughputMode: want.mode }
    : { throughputMode: want.mode, provisionedThroughputInMibps: want.mibps };
}

export function backupsOn(status: string | undefined): boolean {
  return status === "ENABLED" || status === "ENABLING";
}

function lifecycleKey(policies: Record<string, string>[]): string {
  return policies
    .map((p) =>
      Object.entries(p)
        .filter(([, v]) => v !== undefined && v !== null)
        .map(([k, v]) => `${k}=${v}`)
        .sort()
        .join(","),
    )
    .sort()
    .join(";");
}

function describeThroughput(t: { mode: string; mibps?: number }): string {
  return t.mibps === undefined ? t.mode : `${t.mode} ${t.mibps} MiB/s`;
}

/** The verify step's checks of the settings the replacement must share with the source. */
export function settingsChecks(
  source: SourceSnapshot,
  replacement: FileSystemSettings & { lifecyclePolicies: Record<string, string>[]; backupPolicy?: string },
): VerificationCheck[] {
  const want = throughputOf(source);
  const have = throughputOf(replacement);
  const zone = (s: FileSystemSettings) =>
    s.availabilityZoneName ? `One Zone in ${s.availabilityZoneName}` : "Regional";
  const lifecycle = (p: Record<string, string>[]) => (p.length === 0 ? "none" : lifecycleKey(p));
  return [
    {
      check: "throughput as the source's",
      ok: want.mode === have.mode && want.mibps === have.mibps,
      detail: `source ${describeThroughput(want)}, replacement ${describeThroughput(have)}`,
    },
    {
      check: "performance mode as the source's",
      ok: (source.performanceMode ?? "generalPurpose") === (replacement.performanceMode ?? "generalPurpose"),
      detail: `source ${source.performanceMode ?? "generalPurpose"}, replacement ${replacement.performanceMode ?? "generalPurpose"}`,
    },
    {
      check: "storage as the source's (Regional or One Zone)",
      ok: (source.availabilityZoneName ?? "") === (replacement.availabilityZoneName ?? ""),
      detail: `source ${zone(source)}, replacement ${zone(replacement)}`,
    },
    {
      check: "lifecycle as the source's",
      ok: lifecycleKey(source.lifecyclePolicies) === lifecycleKey(replacement.lifecyclePolicies),
      detail: `source ${lifecycle(source.lifecyclePolicies)}, replacement ${lifecycle(replacement.lifecyclePolicies)}`,
    },
    {
      check: "automatic backups as the source's",
      ok: backupsOn(source.backupPolicy) === backupsOn(replacement.backupPolicy),
      detail: `source ${backupsOn(source.backupPolicy) ? "on" : "off"}, replacement ${backupsOn(replacement.backupPolicy) ? "on" : "off"}`,
    },
  ];
}
