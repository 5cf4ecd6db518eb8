import type { RegionInventory } from "../aws/inventory.js";
import type { ControlId } from "../config/controls.js";
import type { GuardConfig } from "../config/schema.js";
import type { Finding, RemediationPlan } from "../controls/types.js";
import type { CloudTrailEvent, IgnoreReason } from "../events/cloudtrail.js";
import type { Extractor, Trigger } from "../events/triggers.js";
import type { Clock } from "../runtime/clock.js";
import type { Decision } from "./decide.js";
import type { SweepSummary } from "./sweep.js";

/** What happened to a finding, as reported in alerts, logs and `efs-guard replay --json`. */
export type Action = "none" | "would-remediate" | "remediated" | "migration-started" | "failed" | "exempt";

/** The SNS `outcome` message attribute: one word per kind of decision, for subscription filter policies. */
export type Outcome =
  | "compliant"
  | "not-applicable"
  | "alerted"
  | "exempt"
  | "would-remediate"
  | "remediated"
  | "already-remediated"
  /** An approval-gated migration was started (or is running): nothing is fixed until it is approved and cut over. */
  | "migration-started"
  /**
   * Migrated: the encrypted replacement waits for the operator's cut-over (the source's verified record, or a
   * succeeded execution); the sweep lists it in its summary instead of alerting.
   */
  | "cut-over-pending"
  | "remediation-failed";

export interface Result {
  finding: Finding;
  decision: Decision;
  action: Action;
  outcome: Outcome;
  /** What was done, or what went wrong, in words. */
  detail: string;
  error?: { code: string; message: string; retryable: boolean };
}

export interface RemediationOutcome {
  /** declined: nothing was done on purpose (e.g. the same migration was rejected), and the finding stands. */
  status: "done" | "already-done" | "declined";
  detail?: string;
  /**
   * For remediations that only start a longer, approval-gated process (the migration): what to report instead of
   * "remediated", which would claim a fix that has not happened yet.
   */
  outcome?: "migration-started" | "cut-over-pending";
}

/** Where a decision came from: a CloudTrail event, or the sweep / scan looking at everything. */
export type Origin =
  | { kind: "event"; event: CloudTrailEvent }
  | {
      kind: "sweep";
      region: string;
      account?: string;
      /** While in the observe period after the first deploy: its end (ISO), or "unknown" (see pipeline/observe.ts). */
      observingUntil?: string;
    };

/** A guard: the reading and evaluating of one family of resources, and the execution of its plans. */
export interface Guard {
  name: string;
  /** The controls this guard evaluates: what a complete sweep of its inventory covers (none: never archived). */
  controls?: readonly ControlId[];
  /** "eventSource:eventName" keys this guard reacts to. */
  events: readonly string[];
  /** Extractors for keys of `events` that shared/events/triggers.ts EVENT_SPECS does not have (its own module). */
  extractors?: Readonly<Record<string, Extractor>>;
  /** `origin` says which event (if any) named the trigger, for guards whose controls have different triggers. */
  assess(trigger: Trigger, region: string, config: GuardConfig, clock: Clock, origin?: Origin): Promise<Finding[]>;
  /** Every resource of the region this guard looks after, as triggers: what the sweep and `scan` evaluate. */
  inventory(region: string, config: GuardConfig): Promise<Trigger[]>;
  /**
   * The sweep's and scan's path, when the guard has one: the same triggers and the same findings as inventory()
   * and assess(), read from the region's shared inventory so that each listing (file systems, mount-target
   * interfaces, groups, keys) is read once per sweep whatever the number of guards that need it.
   */
  sweep?: GuardSweep;
  /** `origin` is what noticed the finding (the event carries who made the change). */
  remediate(plan: RemediationPlan, region: string, config: GuardConfig, origin?: Origin): Promise<RemediationOutcome>;
}

export interface GuardSweep {
  /** The service whose per-service concurrency (config sweepConcurrency) bounds this guard's resources in flight. */
  service: "efs" | "ec2" | "kms";
  inventory(inventory: RegionInventory, config: GuardConfig): Promise<Trigger[]>;
  assess(
    trigger: Trigger,
    inventory: RegionInventory,
    config: GuardConfig,
    clock: Clock,
    origin: Origin,
  ): Promise<Finding[]>;
}

export interface Notifier {
  publish(result: Result, origin: Origin): Promise<void>;
  /** The one summary message at the end of a sweep. */
  publishSummary?(summary: SweepSummary): Promise<void>;
  /** The hub cannot act in an account of the organization: its member role cannot be assumed. */
  publishMemberRoleUnavailable?(problem: MemberRoleProblem, origin: Origin): Promise<void>;
}

/** A member account the hub cannot act in (shared/aws/accounts.ts MemberRoleUnavailableError). */
export interface MemberRoleProblem {
  account: string;
  roleArn: string;
  /** STS's error code (AccessDenied, RegionDisabledException, ...). */
  awsCode: string;
  region: string;
}

/**
 * The hub's access to the organization's other accounts (organization.organizationId): the guard acting in one
 * account, built with that account's clients (its member role), and that account's credentials, asked for first so
 * that a missing role is one alert rather than a failed read per resource.
 */
export interface MemberGuards {
  guard(account: string): Guard;
  ready(account: string): Promise<unknown>;
}

/** Where every decision goes besides the alerts: Security Hub (through its reporter), when it is on. */
export interface FindingsSink {
  /** Every decision, compliant and not applicable included. */
  record(result: Result, origin: Origin): void;
  /**
   * Sends what was recorded since the last flush. `scopes` (a sweep) says which controls a region's sweep covered
   * completely, so that findings it no longer produced can be archived. Throws (retryable) when nothing could be
   * handed over, so the event is retried rather than its findings lost.
   */
  flush(scopes?: ArchiveScopeInput[]): Promise<void>;
}

/** A region's sweep as the Security Hub archive needs it (shared/report/security-hub-plan.ts ArchiveScope). */
export interface ArchiveScopeInput {
  region: string;
  controls: ControlId[];
  evaluated: ControlId[];
  resources: string[];
  unreadResources: string[];
  startedAt: string;
}

export interface EventReport {
  eventId?: string;
  eventName?: string;
  eventSource?: string;
  outcome: "ignored" | "evaluated";
  reason?: IgnoreReason;
  detail?: string;
  findings: {
    control: string;
    resource: string;
    verdict: string;
    action: Action;
    outcome: Outcome;
    detail: string;
  }[];
}
