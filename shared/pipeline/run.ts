import type { GuardConfig } from "../config/schema.js";
import type { Finding } from "../controls/types.js";
import type { CloudTrailEvent, IgnoreReason } from "../events/cloudtrail.js";
import { toTriggers, triggerResourceId } from "../events/triggers.js";
import { lifecycleOf } from "../report/item.js";
import type { Clock } from "../runtime/clock.js";
import { errorMessage, GuardError } from "../runtime/errors.js";
import { logger } from "../runtime/logger.js";
import type { GuardMetrics } from "../runtime/metrics.js";
import { settle, unwrap } from "./concurrency.js";
import { decide } from "./decide.js";
import type {
  Action,
  EventReport,
  FindingsSink,
  Guard,
  MemberGuards,
  MemberRoleProblem,
  Notifier,
  Origin,
  Outcome,
  Result,
} from "./types.js";

export interface PipelineDeps {
  config: GuardConfig;
  clock: Clock;
  notifier: Notifier;
  /** Every decision to Security Hub (through its reporter), when `securityHub` is on. */
  findings?: FindingsSink;
  /** EMF metrics in the deployed functions; none in the CLI and tests. */
  metrics?: GuardMetrics;
  /**
   * The account the function runs and acts in (from its own ARN, guardEventHandler). An event of any other account
   * is ignored: the function's clients act in its own account, so acting on another account's event would act on
   * the wrong resources. Unset in the CLI, which acts with the caller's credentials on the events it is given.
   */
  account?: string;
  /**
   * The hub only (organization.organizationId, shared/pipeline/handler.ts): another account's event is acted on in
   * that account, through its member role, instead of being ignored.
   */
  members?: MemberGuards;
}

/**
 * decide -> act -> report for one finding. The event handlers, the sweep and the CLI all come through here, so a
 * finding is treated the same way whatever noticed it.
 */
export async function handleFinding(
  finding: Finding,
  origin: Origin,
  guard: Guard,
  deps: PipelineDeps,
): Promise<Result> {
  const decision = decide(
    finding,
    deps.config,
    deps.clock,
    origin.kind === "sweep" ? origin.observingUntil : undefined,
  );
  let action: Action = "none";
  let outcome: Outcome =
    finding.verdict === "compliant" ? "compliant" : finding.verdict === "not-applicable" ? "not-applicable" : "alerted";
  let detail = decision.why;
  let error: Result["error"];

  switch (finding.pending && finding.verdict === "non-compliant" ? "pending" : decision.intent) {
    case "pending":
      // Under way and in the operator's hands (a migration awaiting cut-over): nothing to decide or do.
      outcome = "cut-over-pending";
      detail = finding.summary;
      break;
    case "none":
      detail = finding.summary;
      break;
    case "alert":
      detail = `alert only: ${decision.why}`;
      break;
    case "exempt":
      action = "exempt";
      outcome = "exempt";
      detail = `not remediated: ${decision.why}`;
      break;
    case "would-remediate":
      action = "would-remediate";
      outcome = "would-remediate";
      detail = `${deps.config.dryRun ? "dry run" : "observe period"}: would ${finding.plan?.describe ?? "remediate"}`;
      break;
    case "remediate": {
      try {
        const done = await guard.remediate(finding.plan!, finding.resource.region, deps.config, origin);
        if (done.status === "declined") {
          detail = `not remediated: ${done.detail ?? "declined"}`;
          break;
        }
        action = done.outcome ? "migration-started" : "remediated";
        outcome = done.outcome ?? (done.status === "already-done" ? "already-remediated" : "remediated");
        detail =
          done.status === "already-done"
            ? `nothing to do: ${done.detail ?? "already remediated"}`
            : `${finding.plan?.done ?? "remediated"}${done.detail ? ` (${done.detail})` : ""}`;
      } catch (e) {
        action = "failed";
        outcome = "remediation-failed";
        const retryable = e instanceof GuardError ? e.retryable : false;
        const code = e instanceof GuardError ? ((e as { awsCode?: string }).awsCode ?? e.code) : "Error";
        error = { code, message: errorMessage(e), retryable };
        detail = `remediation failed: ${errorMessage(e)}`;
      }
      break;
    }
  }

  const result: Result = { finding, decision, action, outcome, detail, ...(error ? { error } : {}) };
  measure(result, origin, deps);
  const log = {
    control: finding.control,
    resource: finding.resource.id,
    region: finding.resource.region,
    verdict: finding.verdict,
    severity: finding.severity,
    action,
    outcome,
    detail,
    evidence: finding.evidence,
    ...(origin.kind === "event" ? { eventId: origin.event.eventId, eventName: origin.event.eventName } : {}),
    ...(error ? { error } : {}),
  };
  if (outcome === "remediation-failed") logger.error("decision", log);
  else logger.info("decision", log);

  // A pending remediation is listed once in the sweep's summary instead of alerted by every sweep.
  const listedInSummary = outcome === "cut-over-pending" && origin.kind === "sweep";
  if (finding.verdict === "non-compliant" && deps.config.modes[finding.control] !== "off" && !listedInSummary) {
    await deps.notifier.publish(result, origin);
  }
  deps.findings?.record(result, origin);
  return result;
}

/**
 * The decision's metrics. Time to remediate runs from the CloudTrail eventTime of the change to now, the moment the
 * remediation's write succeeded (remediate() has returned), for remediations that closed the exposure: not for
 * "already remediated" (nothing was written) nor for starting a migration (the source stays exposed until cut-over).
 */
function measure(result: Result, origin: Origin, deps: PipelineDeps): void {
  const m = deps.metrics;
  if (!m) return;
  const { finding, outcome } = result;
  m.finding(finding.control, finding.verdict);
  if (result.action === "remediated" || result.action === "failed") m.remediation(finding.control, outcome);
  if (outcome !== "remediated" || lifecycleOf(finding, outcome) !== "passed" || origin.kind !== "event") return;
  const changed = origin.event.eventTime ? Date.parse(origin.event.eventTime) : Number.NaN;
  if (Number.isNaN(changed)) return;
  m.timeToRemediate(finding.control, Math.max(0, deps.clock.now().getTime() - changed));
}

/**
 * parse -> read -> evaluate -> decide -> act -> report for one CloudTrail event. Events that must not be acted
 * upon (malformed, failed calls, foreign sources, unsupported names) return an "ignored" report after one log
 * line; they never throw, so they cannot cause a retry loop. AWS failures while reading or remediating with a
 * retryable cause are rethrown after reporting, so Lambda retries the event and finally dead-letters it.
 */
export async function processEvent(raw: unknown, guard: Guard, deps: PipelineDeps): Promise<EventReport> {
  const parsed = toTriggers(raw, guard.events, guard.extractors);
  if (parsed.kind === "ignored") {
    const { kind: _, ...why } = parsed;
    return ignored(guard, deps, { outcome: "ignored", findings: [], ...why });
  }
  const { event, triggers } = parsed;
  const member = deps.account !== undefined && event.account !== deps.account ? deps.members : undefined;
  const targets = deps.config.organization?.accounts ?? [];
  if (member && targets.length > 0 && !targets.includes(event.account)) {
    // Configured targets: an account outside them is not asked for credentials at all (nothing to alert either).
    const detail = `account ${event.account} is not in organization.accounts: no role assumed, nothing read`;
    return ignored(guard, deps, ignoredEvent(event, "not-a-member", detail), "warn", event.account);
  }
  if (member) {
    const problem = await memberRoleProblem(member, event.account, event.region);
    if (problem) {
      const detail = `cannot act in account ${event.account}: ${problem.roleArn} cannot be assumed (${problem.awsCode})`;
      const report = ignored(
        guard,
        deps,
        ignoredEvent(event, "member-role-unavailable", detail),
        "error",
        event.account,
      );
      // One alert per event; no retry can help until the member role is deployed in the account.
      await deps.notifier.publishMemberRoleUnavailable?.(problem, { kind: "event", event });
      return report;
    }
    guard = member.guard(event.account);
  } else if (deps.account !== undefined && event.account !== deps.account) {
    const detail = `the event is from account ${event.account}; this function acts in ${deps.account} only`;
    return ignored(guard, deps, ignoredEvent(event, "foreign-account", detail));
  }
  // The keys are removed again below: replay and tests call processEvent many times in one process, and one
  // event's id must never appear on the next event's log lines.
  logger.appendKeys({ eventId: event.eventId, eventName: event.eventName });
  const origin: Origin = { kind: "event", event };
  const report: EventReport = {
    eventId: event.eventId,
    eventName: event.eventName,
    eventSource: event.eventSource,
    outcome: "evaluated",
    findings: [],
  };
  let retryable: unknown;
  try {
    for (const trigger of triggers) {
      const findings = await guard.assess(trigger, event.region, deps.config, deps.clock, origin);
      for (const finding of findings) if (!finding.resource.account) finding.resource.account = event.account;
      // The decisions of one resource are independent (one control each, each its own write): taken at once, an
      // event with two remediations waits for one round of writes and alerts instead of two. Order is kept.
      const settled = await Promise.all(findings.map((f) => settle(handleFinding(f, origin, guard, deps))));
      for (const result of settled.map(unwrap)) {
        report.findings.push(summarize(result));
        if (result.error?.retryable) {
          retryable = new GuardError("REMEDIATION_FAILED", result.detail, { retryable: true });
        }
      }
    }
    // Security Hub gets the event's decisions in one message; a failure to hand them over retries the event.
    await deps.findings?.flush();
    // No finding means no decision line; this line still says that the event was seen and why nothing followed.
    if (report.findings.length === 0) {
      logger.info("event evaluated", {
        guard: guard.name,
        ...report,
        reason: "no-resource-in-scope",
        detail: `no resource of ${guard.name} behind ${triggers.map(triggerResourceId).join(", ")} (control off, or the resource is gone)`,
      });
    }
  } catch (error) {
    // The decisions taken before the failure still go to Security Hub; the retry reports the rest.
    await deps.findings
      ?.flush()
      .catch((e: unknown) => logger.error("findings not handed over", { error: errorMessage(e) }));
    // A failed read: logged with the event id before Lambda retries or dead-letters the event.
    logger.error("event failed", {
      guard: guard.name,
      ...report,
      reason: "error",
      error: { message: errorMessage(error), retryable: error instanceof GuardError ? error.retryable : false },
    });
    throw error;
  } finally {
    logger.removeKeys(["eventId", "eventName"]);
  }
  if (retryable) throw retryable;
  return report;
}

/** One log line for an event that is not acted upon, counted by reason; its report. */
function ignored(
  guard: Guard,
  deps: PipelineDeps,
  report: EventReport,
  level: "warn" | "error" = "warn",
  account?: string,
): EventReport {
  logger[level]("event ignored", { guard: guard.name, ...(account ? { account } : {}), ...report });
  deps.metrics?.ignored(report.reason!);
  return report;
}

/** The report of a well-formed event that is not acted upon (its account is not one this function acts in). */
function ignoredEvent(event: CloudTrailEvent, reason: IgnoreReason, detail: string): EventReport {
  return {
    outcome: "ignored",
    reason,
    detail,
    findings: [],
    eventId: event.eventId,
    eventName: event.eventName,
    eventSource: event.eventSource,
  };
}

/** The member role problem of an account, or undefined when its credentials were obtained (other failures throw). */
async function memberRoleProblem(
  member: MemberGuards,
  account: string,
  region: string,
): Promise<MemberRoleProblem | undefined> {
  try {
    await member.ready(account);
    return undefined;
  } catch (error) {
    if (!(error instanceof GuardError) || error.code !== "MEMBER_ROLE_UNAVAILABLE") throw error;
    const e = error as GuardError & { roleArn?: string; awsCode?: string };
    return { account, roleArn: e.roleArn ?? "", awsCode: e.awsCode ?? e.code, region };
  }
}

export function summarize(result: Result): EventReport["findings"][number] {
  return {
    control: result.finding.control,
    resource: result.finding.resource.id,
    verdict: result.finding.verdict,
    action: result.action,
    outcome: result.outcome,
    detail: result.detail,
  };
}
