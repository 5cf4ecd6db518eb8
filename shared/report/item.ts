import type { ControlId } from "../config/controls.js";
import type { Finding, ResourceRef, Severity, Verdict } from "../controls/types.js";
import type { Origin, Result } from "../pipeline/types.js";

/**
 * Where a finding stands in its life, the one classification every report format and Security Hub share:
 * - failed: non-compliant and nothing has fixed it (alerted, dry run, remediation failed, or a scan's view);
 * - passed: compliant, or remediated by EFS Guard just now;
 * - exempt: non-compliant, accepted by an exemption tag, never remediated;
 * - migration-started: non-compliant, the approval-gated migration was started (the source stays unencrypted until
 *   the cut-over, so this is still a failure, with the owner notified);
 * - not-applicable: nothing to evaluate (the resource is gone, or out of scope).
 */
export type Lifecycle = "failed" | "passed" | "exempt" | "migration-started" | "not-applicable";

/** What changed the resource, from the CloudTrail record (all of it attacker-controlled text except the ids). */
export interface ChangeFacts {
  eventId: string;
  eventName: string;
  eventSource: string;
  eventTime?: string;
  actor?: string;
  sourceIPAddress?: string;
  userAgent?: string;
}

/** One finding as every report shows it: the pipeline's result or the scan's view, with the account known. */
export interface ReportItem {
  control: ControlId;
  resource: { type: ResourceRef["type"]; id: string; arn?: string; region: string; account: string };
  verdict: Verdict;
  severity: Severity;
  summary: string;
  /** The pipeline's outcome (remediated, alerted, ...) or, for a scan, what the guard would do. */
  outcome: string;
  /** What was done, or would be done, in words. */
  detail: string;
  /** Why the decision is what it is ("control is in alert mode", "exempted by tag ... until ..."). */
  why: string;
  /** The remediation in words (imperative), when one exists for a non-compliant finding. */
  plan?: string;
  undo?: string;
  evidence: Record<string, unknown>;
  tags?: Record<string, string>;
  exemptUntil?: string;
  change?: ChangeFacts;
  /** When this evaluation happened (ISO 8601). */
  observedAt: string;
  source: "event" | "sweep" | "scan";
  lifecycle: Lifecycle;
}

const REMEDIATED = new Set(["remediated", "already-remediated"]);

/**
 * The lifecycle of a pipeline result. Starting a migration is reported by the file-system guard as "remediated"
 * today (and as "migration-started" once that outcome exists); either way the source file system is still
 * unencrypted, so it stays failed, with its owner notified.
 */
export function lifecycleOf(finding: Finding, outcome: string): Lifecycle {
  if (finding.verdict === "not-applicable") return "not-applicable";
  if (finding.verdict === "compliant") return "passed";
  if (outcome === "exempt") return "exempt";
  if (outcome === "migration-started") return "migration-started";
  if (REMEDIATED.has(outcome)) return finding.plan?.kind === "start-migration" ? "migration-started" : "passed";
  return "failed";
}

export function changeOf(origin: Origin): ChangeFacts | undefined {
  if (origin.kind !== "event") return undefined;
  const { event } = origin;
  const a = event.actor;
  const actor = a.sessionIssuerArn ?? a.arn ?? a.invokedBy ?? a.principalId;
  return {
    eventId: event.eventId,
    eventName: event.eventName,
    eventSource: event.eventSource,
    ...(event.eventTime ? { eventTime: event.eventTime } : {}),
    ...(actor ? { actor } : {}),
    ...(a.sourceIPAddress ? { sourceIPAddress: a.sourceIPAddress } : {}),
    ...(a.userAgent ? { userAgent: a.userAgent } : {}),
  };
}

/** A decision of the event handlers or the sweep, as a report item. */
export function itemFromResult(result: Result, origin: Origin, account: string, observedAt: Date): ReportItem {
  const { finding, decision } = result;
  const change = changeOf(origin);
  const exemptUntil = decision.exemption.status === "active" ? decision.exemption.until : undefined;
  return {
    control: finding.control,
    resource: {
      type: finding.resource.type,
      id: finding.resource.id,
      region: finding.resource.region,
      account: finding.resource.account ?? account,
      ...(finding.resource.arn ? { arn: finding.resource.arn } : {}),
    },
    verdict: finding.verdict,
    severity: finding.severity,
    summary: finding.summary,
    outcome: result.outcome,
    detail: result.detail,
    why: decision.why,
    ...(finding.verdict === "non-compliant" && finding.plan ? { plan: finding.plan.describe } : {}),
    ...(result.outcome === "remediated" && finding.plan?.undo ? { undo: finding.plan.undo } : {}),
    evidence: finding.evidence,
    ...(finding.tags ? { tags: finding.tags } : {}),
    ...(exemptUntil ? { exemptUntil } : {}),
    ...(change ? { change } : {}),
    observedAt: observedAt.toISOString(),
    source: origin.kind === "event" ? "event" : "sweep",
    lifecycle: lifecycleOf(finding, result.outcome),
  };
}
