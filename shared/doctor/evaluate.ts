/**
 * Pure judgements behind `efs-guard doctor`: given what the AWS APIs returned, does the deployment's prerequisite
 * hold? No AWS imports here; shared/aws/doctor.ts does the reading.
 */

export type CheckStatus = "pass" | "fail" | "warn" | "info";

export interface Verdict {
  status: CheckStatus;
  detail: string;
}

/** The fields of CloudTrail's EventSelector / AdvancedEventSelector the doctor needs. */
export interface BasicSelector {
  ReadWriteType?: string;
  IncludeManagementEvents?: boolean;
  ExcludeManagementEventSources?: string[];
}
export interface FieldSelector {
  Field?: string;
  Equals?: string[];
  NotEquals?: string[];
  StartsWith?: string[];
  NotStartsWith?: string[];
}
export interface AdvancedSelector {
  Name?: string;
  FieldSelectors?: FieldSelector[];
}

export interface TrailFacts {
  name: string;
  arn: string;
  homeRegion: string;
  multiRegion: boolean;
  organization: boolean;
  logging: boolean;
  basic: BasicSelector[];
  advanced: AdvancedSelector[];
}

/** Which of `sources` get their write management events recorded by one selector. */
function coveredByBasic(selector: BasicSelector, sources: readonly string[]): string[] {
  if (selector.IncludeManagementEvents === false) return [];
  if (selector.ReadWriteType === "ReadOnly") return [];
  const excluded = new Set(selector.ExcludeManagementEventSources ?? []);
  return sources.filter((s) => !excluded.has(s));
}

/**
 * An advanced selector records a write management event of `source` when every field selector admits it:
 * eventCategory = Management, readOnly not restricted to true, eventSource not excluded (fields are ANDed).
 */
function coveredByAdvanced(selector: AdvancedSelector, sources: readonly string[]): string[] {
  const fields = selector.FieldSelectors ?? [];
  const admits = (field: FieldSelector, value: string): boolean => {
    if (field.Equals && !field.Equals.includes(value)) return false;
    if (field.NotEquals?.includes(value)) return false;
    if (field.StartsWith && !field.StartsWith.some((p) => value.startsWith(p))) return false;
    if (field.NotStartsWith?.some((p) => value.startsWith(p))) return false;
    return true;
  };
  const category = fields.filter((f) => f.Field === "eventCategory");
  if (category.length === 0 || !category.every((f) => admits(f, "Management"))) return [];
  if (!fields.filter((f) => f.Field === "readOnly").every((f) => admits(f, "false"))) return [];
  return sources.filter((s) => fields.filter((f) => f.Field === "eventSource").every((f) => admits(f, s)));
}

/** The sources a trail records write management events for (logging or not). */
export function trailSources(trail: TrailFacts, sources: readonly string[]): string[] {
  const covered = new Set<string>();
  for (const s of trail.basic) for (const src of coveredByBasic(s, sources)) covered.add(src);
  for (const s of trail.advanced) for (const src of coveredByAdvanced(s, sources)) covered.add(src);
  return sources.filter((s) => covered.has(s));
}

/**
 * EventBridge receives "AWS API Call via CloudTrail" events only while a trail is logging in the region; the guard
 * needs the write management events of every source it watches. Passes when the logging trails together cover all
 * of them; says exactly what is missing otherwise.
 */
export function judgeTrails(region: string, trails: TrailFacts[], sources: readonly string[]): Verdict {
  const applicable = trails.filter((t) => t.multiRegion || t.homeRegion === region);
  if (applicable.length === 0) {
    return {
      status: "fail",
      detail: `no trail records ${region}: EventBridge gets no CloudTrail events there; create a multi-region trail logging management write events`,
    };
  }
  const covered = new Set<string>();
  const using: string[] = [];
  const notes: string[] = [];
  for (const t of applicable) {
    const src = trailSources(t, sources);
    if (!t.logging) {
      notes.push(`${t.name} is not logging`);
      continue;
    }
    if (src.length === 0) {
      notes.push(`${t.name} records no management write events`);
      continue;
    }
    for (const s of src) covered.add(s);
    using.push(t.name);
  }
  const missing = sources.filter((s) => !covered.has(s));
  if (missing.length === 0) {
    return { status: "pass", detail: `logging management write events: ${using.join(", ")}` };
  }
  const why = notes.length > 0 ? ` (${notes.join("; ")})` : "";
  return {
    status: "fail",
    detail: `no logging trail records write management events of ${missing.join(", ")}${why}`,
  };
}

export interface KeyFacts {
  arn: string;
  keyState?: string;
  keyManager?: string;
  keySpec?: string;
  keyUsage?: string;
  rotationEnabled?: boolean;
  policy?: string;
}

interface PolicyStatement {
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

/** Does an action pattern of the policy (kms:*, kms:GenerateDataKey*) grant `action`? */
function grants(patterns: string[], action: string): boolean {
  return patterns.some((p) => {
    if (p === "*") return true;
    const re = new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i");
    return re.test(action);
  });
}

/** The actions EFS (encrypted file systems, replication) and AWS Backup (restore) need on the key. */
const USE_ACTIONS = ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext"];

/**
 * A statement lets `service` use the key when it allows the use actions with no kms:ViaService condition (the
 * default key policy: the account root, so IAM policies decide) or with one that names the service.
 */
function statementServes(s: PolicyStatement, viaService: string, actions: string[]): boolean {
  if (s.Effect !== "Allow") return false;
  if (!actions.every((a) => grants(asList(s.Action), a))) return false;
  const via = Object.values(s.Condition ?? {}).flatMap((c) => asList(c["kms:ViaService"]));
  return via.length === 0 || via.includes(viaService);
}

/**
 * The configured migration key: enabled, customer managed, symmetric, rotating, in the home region, and usable by
 * EFS and AWS Backup (design section 4: the workflow backs up the source and creates encrypted file systems).
 */
export function judgeKey(key: KeyFacts, region: string): Verdict {
  const problems: string[] = [];
  if (key.keyState !== "Enabled") problems.push(`state is ${key.keyState ?? "unknown"}, not Enabled`);
  if (key.keyManager !== "CUSTOMER") problems.push(`managed by ${key.keyManager ?? "unknown"}, not the customer`);
  if (key.keySpec && key.keySpec !== "SYMMETRIC_DEFAULT")
    problems.push(`key spec ${key.keySpec}, EFS needs SYMMETRIC_DEFAULT`);
  if (key.keyUsage && key.keyUsage !== "ENCRYPT_DECRYPT") problems.push(`usage ${key.keyUsage}`);
  if (key.rotationEnabled !== true) problems.push("automatic rotation is off");
  const keyRegion = key.arn.split(":")[3];
  if (keyRegion && keyRegion !== region) problems.push(`the key is in ${keyRegion}; EFS needs a key in ${region}`);
  let statements: PolicyStatement[] = [];
  try {
    const parsed = JSON.parse(key.policy ?? "{}").Statement ?? [];
    statements = Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    problems.push("the key policy is not readable JSON");
  }
  for (const [service, label] of [
    [`elasticfilesystem.${region}.amazonaws.com`, "EFS"],
    [`backup.${region}.amazonaws.com`, "AWS Backup"],
  ] as const) {
    if (!statements.some((s) => statementServes(s, service, USE_ACTIONS))) {
      problems.push(`the key policy does not let ${label} use the key (${USE_ACTIONS.join(", ")} via ${service})`);
    }
  }
  if (problems.length > 0) return { status: "fail", detail: problems.join("; ") };
  return { status: "pass", detail: "enabled, customer managed, rotating; EFS and AWS Backup may use it" };
}

export const KMS_SOURCE = "kms.amazonaws.com";

/** Does one basic selector record KMS's read-only management events (kms:Decrypt)? */
function basicRecordsKmsReads(selector: BasicSelector): boolean {
  if (selector.IncludeManagementEvents === false) return false;
  if (selector.ReadWriteType === "WriteOnly") return false;
  return !(selector.ExcludeManagementEventSources ?? []).includes(KMS_SOURCE);
}

/** Does one advanced selector record them: category Management, readOnly "true" and eventSource KMS admitted? */
function advancedRecordsKmsReads(selector: AdvancedSelector): boolean {
  const fields = selector.FieldSelectors ?? [];
  const admits = (name: string, value: string) =>
    fields
      .filter((f) => f.Field === name)
      .every(
        (f) =>
          (!f.Equals || f.Equals.includes(value)) &&
          !f.NotEquals?.includes(value) &&
          (!f.StartsWith || f.StartsWith.some((p) => value.startsWith(p))) &&
          !f.NotStartsWith?.some((p) => value.startsWith(p)),
      );
  if (!fields.some((f) => f.Field === "eventCategory")) return false;
  return admits("eventCategory", "Management") && admits("readOnly", "true") && admits("eventSource", KMS_SOURCE);
}

/** Whether a trail records KMS read events (kms:Decrypt, kms:GenerateDataKey: read-only management events). */
export function recordsKmsReads(trail: TrailFacts): boolean {
  return trail.basic.some(basicRecordsKmsReads) || trail.advanced.some(advancedRecordsKmsReads);
}

/** Single quotes for a POSIX shell (a trail name or selector JSON could hold one). */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The one command that makes `trail` record every management event, read and write, KMS included, and changes
 * nothing else: its data-event selectors are kept as they are (PutEventSelectors replaces the whole list).
 */
export function kmsReadsFix(trail: TrailFacts): string {
  const head = `aws cloudtrail put-event-selectors --trail-name ${shellQuote(trail.arn)} --region ${trail.homeRegion}`;
  if (trail.advanced.length > 0) {
    const isManagement = (s: AdvancedSelector) =>
      (s.FieldSelectors ?? []).some((f) => f.Field === "eventCategory" && f.Equals?.includes("Management"));
    const kept = trail.advanced.filter((s) => !isManagement(s));
    const management = {
      Name: "Management events",
      FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }],
    };
    return `${head} --advanced-event-selectors ${shellQuote(JSON.stringify([management, ...kept]))}`;
  }
  const selectors = trail.basic.length > 0 ? trail.basic : [{}];
  const fixed = selectors.map((s, i) => {
    const { ExcludeManagementEventSources: _, ...rest } = s as BasicSelector & Record<string, unknown>;
    const exclusions = (s.ExcludeManagementEventSources ?? []).filter((x) => x !== KMS_SOURCE);
    // The first selector carries the management events; the others keep what they had (data events).
    return i === 0
      ? {
          ...rest,
          ReadWriteType: "All",
          IncludeManagementEvents: true,
          ...(exclusions.length > 0 ? { ExcludeManagementEventSources: exclusions } : {}),
        }
      : s;
  });
  return `${head} --event-selectors ${shellQuote(JSON.stringify(fixed))}`;
}

/**
 * kms:Decrypt of the file systems' keys is auditable only when a logging trail records KMS's read-only management
 * events: a trail with ReadWriteType WriteOnly, readOnly = false, or kms.amazonaws.com in
 * ExcludeManagementEventSources (CloudTrail's "Log events for AWS KMS" switch) leaves them out. EFS Guard works
 * without them (it needs the write events, judged by judgeTrails), hence a warning, with the command that fixes the
 * trail it relies on.
 */
export function judgeKmsAudit(region: string, trails: TrailFacts[], sources: readonly string[]): Verdict {
  const logging = trails.filter((t) => (t.multiRegion || t.homeRegion === region) && t.logging);
  const auditing = logging.filter(recordsKmsReads);
  if (auditing.length > 0) {
    return {
      status: "pass",
      detail: `KMS read events (kms:Decrypt) recorded by ${auditing.map((t) => t.name).join(", ")}`,
    };
  }
  const relied = logging.find((t) => trailSources(t, sources).length > 0) ?? logging[0];
  if (!relied) {
    return {
      status: "warn",
      detail: `no logging trail in ${region}, so kms:Decrypt is not auditable (see the cloudtrail trail row)`,
    };
  }
  return {
    status: "warn",
    detail: `${relied.name} does not record KMS read events, so kms:Decrypt of the file systems' keys is not auditable; fix: ${kmsReadsFix(relied)}`,
  };
}

/** What GuardDuty's ListDetectors and GetDetector say about a region. */
export interface DetectorFacts {
  id: string;
  status?: string;
}

/**
 * GuardDuty sees NFS port scanning and unusual access that no configuration check can (the threat model relies on
 * it); EFS Guard works without it, hence a warning with the exact command.
 */
export function judgeGuardDuty(region: string, detectors: DetectorFacts[]): Verdict {
  const enabled = detectors.filter((d) => d.status === "ENABLED");
  if (enabled.length > 0) return { status: "pass", detail: `detector ${enabled.map((d) => d.id).join(", ")} enabled` };
  const [disabled] = detectors;
  if (disabled) {
    return {
      status: "warn",
      detail: `detector ${disabled.id} is ${disabled.status ?? "not enabled"}; fix: aws guardduty update-detector --detector-id ${disabled.id} --enable --region ${region}`,
    };
  }
  return {
    status: "warn",
    detail: `GuardDuty is off (no detector); fix: aws guardduty create-detector --enable --region ${region}`,
  };
}
