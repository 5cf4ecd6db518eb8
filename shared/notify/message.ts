import { SECURITY_HUB } from "../config/controls.js";
import type { Origin, Result } from "../pipeline/types.js";

/**
 * AWS Chatbot custom notification: a Slack channel behind AWS Chatbot renders it as is, and e-mail subscribers get
 * the same JSON. Everything an on-call engineer needs is in it: the resource, the control, what changed and who
 * did it, what EFS Guard did, and how to undo or exempt.
 */
export interface ChatbotMessage {
  version: "1.0";
  source: "custom";
  id: string;
  content: {
    textType: "client-markdown";
    title: string;
    description: string;
    nextSteps: string[];
    keywords: string[];
  };
  metadata: {
    threadId: string;
    summary: string;
    eventType: string;
    relatedResources: string[];
    additionalContext: Record<string, string>;
  };
}

const ICON: Record<string, string> = {
  remediated: ":white_check_mark:",
  "already-remediated": ":white_check_mark:",
  alerted: ":rotating_light:",
  "would-remediate": ":eyes:",
  exempt: ":zipper_mouth_face:",
  "remediation-failed": ":x:",
  compliant: ":white_check_mark:",
  "not-applicable": ":grey_question:",
};

const TITLE: Record<string, string> = {
  remediated: "remediated",
  "already-remediated": "already remediated",
  alerted: "needs attention",
  "would-remediate": "would remediate (dry run)",
  exempt: "exempt",
  "remediation-failed": "REMEDIATION FAILED",
  compliant: "compliant",
  "not-applicable": "not applicable",
};

function who(origin: Origin): string {
  if (origin.kind === "sweep") return "found by the scheduled sweep";
  const a = origin.event.actor;
  const principal = a.sessionIssuerArn ?? a.arn ?? a.invokedBy ?? a.principalId ?? "an unknown principal";
  const from = a.sourceIPAddress ? ` from ${a.sourceIPAddress}` : "";
  const via = a.invokedBy && a.invokedBy !== principal ? ` via ${a.invokedBy}` : "";
  return `\`${origin.event.eventName}\` by \`${principal}\`${from}${via}${origin.event.eventTime ? ` at ${origin.event.eventTime}` : ""}`;
}

export function undoHint(result: Result): string | undefined {
  return result.action === "remediated" && result.outcome === "remediated" ? result.finding.plan?.undo : undefined;
}

export function buildMessage(result: Result, origin: Origin): ChatbotMessage {
  const { finding, decision } = result;
  const resource = finding.resource;
  const region = resource.region;
  const title =
    `${ICON[result.outcome] ?? ""} EFS Guard: ${finding.control} ${TITLE[result.outcome] ?? result.outcome} on ${resource.id}`.trim();
  const evidenceRules = (finding.evidence.offendingRules as { ruleId: string; action?: string }[] | undefined) ?? [];
  const lines = [
    `*${finding.summary}*`,
    `*Resource:* \`${resource.id}\` (${resource.type}) in ${region}${resource.account ? `, account ${resource.account}` : ""}`,
    `*Change:* ${who(origin)}`,
    `*Decision:* ${result.action} — ${decision.why}`,
    `*Result:* ${result.detail}`,
  ];
  if (finding.plan?.kind === "revoke-ingress") {
    lines.push(`*Rules:* ${finding.plan.rules.map((r) => `\`${r}\``).join(", ")}`);
    if (finding.plan.added?.length)
      lines.push(`*Added in their place:* ${finding.plan.added.map((r) => `\`${r}\``).join(", ")}`);
  }
  const nextSteps: string[] = [];
  const undo = undoHint(result);
  if (undo) nextSteps.push(undo);
  if (result.outcome === "remediation-failed") {
    nextSteps.push("Fix the cause in the error above; the event is retried and then kept in the dead-letter queue.");
  }
  if (result.action !== "exempt" && finding.verdict === "non-compliant") {
    nextSteps.push(
      `To accept this risk, tag ${resource.id} with \`efs-guard:exempt=${finding.control}\` (optionally \`efs-guard:exempt-until=YYYY-MM-DD\`).`,
    );
  }
  const hub = SECURITY_HUB[finding.control];
  const keywords = [finding.control, finding.severity, result.outcome, ...(hub ?? [])];
  const eventType = origin.kind === "event" ? origin.event.eventName : "ScheduledSweep";
  const additionalContext: Record<string, string> = {
    control: finding.control,
    severity: finding.severity,
    outcome: result.outcome,
    action: result.action,
    resource: resource.id,
    region,
  };
  if (origin.kind === "event") {
    additionalContext.eventId = origin.event.eventId;
    if (origin.event.actor.arn) additionalContext.actor = origin.event.actor.arn;
    if (origin.event.actor.sourceIPAddress) additionalContext.sourceIPAddress = origin.event.actor.sourceIPAddress;
  }
  // The rules the alert is about: those revoked (or that would be), and apart those left in place.
  const revoked = finding.plan?.kind === "revoke-ingress" ? finding.plan.ruleIds : undefined;
  const ruleIds = revoked ?? evidenceRules.filter((r) => r.action !== "leave").map((r) => r.ruleId);
  if (ruleIds.length > 0) additionalContext.ruleIds = ruleIds.join(",");
  const left = evidenceRules.filter((r) => r.action === "leave").map((r) => r.ruleId);
  if (left.length > 0) additionalContext.ruleIdsLeftInPlace = left.join(",");
  if (result.error) additionalContext.error = `${result.error.code}: ${result.error.message}`;
  return {
    version: "1.0",
    source: "custom",
    id: `${origin.kind === "event" ? origin.event.eventId : "sweep"}:${finding.control}:${resource.id}`,
    content: {
      textType: "client-markdown",
      title,
      description: lines.join("\n"),
      nextSteps,
      keywords,
    },
    metadata: {
      threadId: `efs-guard-${resource.id}`,
      summary: `${finding.control} ${result.outcome} on ${resource.id}`,
      eventType,
      relatedResources: [resource.arn ?? resource.id],
      additionalContext,
    },
  };
}
