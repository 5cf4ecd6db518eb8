import { createHash } from "node:crypto";
import type { Origin, Result } from "../pipeline/types.js";

/**
 * Alert deduplication: what makes two alerts "identical". Pure: no AWS, no clock (the alerts function's router,
 * alert-router.ts, takes one).
 *
 * Identical means identical facts, never "same resource": the control, the resource (its ARN), the outcome, the
 * account and region, the change that caused it (the CloudTrail event name and who made it: principal, session,
 * source IP, user agent; or the sweep) and a hash of what the alert says happened (severity, summary, decision,
 * result, the rules, the error). Event ids, event times, alert ids and the ids AWS assigns to each new security
 * group rule are left out, so the same rule opened twenty times is one alert; everything a caller can vary is kept
 * in, so a different finding (another port, another source, another principal, a failed remediation) on the same
 * resource can never hide behind a benign duplicate.
 */
export interface AlertFacts {
  control: string;
  resource: string;
  outcome: string;
  account: string;
  region: string;
  change: string;
  /** sha256 of the alert's facts, see factsOf. */
  facts: string;
}

/** A security group rule id is assigned anew each time the same rule is authorized again: not a fact. */
const RULE_ID = /\bsgr-[0-9a-f]{8,17}\b/g;

function normalized(text: string | undefined): string {
  return (text ?? "").replace(RULE_ID, "sgr-*");
}

function changeOf(origin: Origin): string {
  if (origin.kind === "sweep") return "sweep";
  const a = origin.event.actor;
  // Who, as the alert shows it: another session, address or client is another change, even of the same role.
  return JSON.stringify([
    origin.event.eventName,
    a.sessionIssuerArn ?? "",
    a.arn ?? "",
    a.invokedBy ?? "",
    a.principalId ?? "",
    a.sourceIPAddress ?? "",
    a.userAgent ?? "",
  ]);
}

export function alertFacts(result: Result, origin: Origin): AlertFacts {
  const { finding } = result;
  const plan = finding.plan;
  const facts = [
    finding.severity,
    finding.summary,
    result.action,
    result.decision.why,
    result.detail,
    plan?.kind ?? "",
    ...(plan?.kind === "revoke-ingress" ? [...plan.rules, ...(plan.added ?? [])] : []),
    result.error ? `${result.error.code}: ${result.error.message}` : "",
  ].map(normalized);
  return {
    control: finding.control,
    resource: finding.resource.arn ?? finding.resource.id,
    outcome: result.outcome,
    account: finding.resource.account ?? "",
    region: finding.resource.region,
    change: changeOf(origin),
    facts: sha256(JSON.stringify(facts)),
  };
}

/** The dedup key: one value per set of identical facts (a hash, so the table holds no alert text as its key). */
export function dedupKey(facts: AlertFacts): string {
  return sha256(
    JSON.stringify([
      facts.control,
      facts.resource,
      facts.outcome,
      facts.account,
      facts.region,
      facts.change,
      facts.facts,
    ]),
  );
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
