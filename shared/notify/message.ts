import { SECURITY_HUB } from "../config/controls.js";
import type { Origin, Result } from "../pipeline/types.js";
import { capped, joinMd, Md, md, sanitize, toPlainText } from "./escape.js";

/** The control whose findings are changes of the efs-guard:* tags (no exemption offer in its alerts). */
export const TAG_AUDIT_CONTROL = "efs-guard-tags-audited";

/** What the "to accept this risk" step names: the configured exemption keys and maximum. */
export interface ExemptionHint {
  exemptTagKey: string;
  exemptUntilTagKey: string;
  maxExemptionDays: number;
}

const DEFAULT_HINT: ExemptionHint = {
  exemptTagKey: "efs-guard:exempt",
  exemptUntilTagKey: "efs-guard:exempt-until",
  maxExemptionDays: 90,
};

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
  "migration-started": ":arrows_counterclockwise:",
  "cut-over-pending": ":hourglass_flowing_sand:",
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
  "migration-started": "migration started (approval needed; the source stays as it is)",
  "cut-over-pending": "replacement ready, cut-over pending",
  alerted: "needs attention",
  "would-remediate": "would remediate (dry run)",
  exempt: "exempt",
  "remediation-failed": "REMEDIATION FAILED",
  compliant: "compliant",
  "not-applicable": "not applicable",
};

function who(origin: Origin): Md {
  if (origin.kind === "sweep") return md`found by the scheduled sweep`;
  const a = origin.event.actor;
  const principal = a.sessionIssuerArn ?? a.arn ?? a.invokedBy ?? a.principalId ?? "an unknown principal";
  const session = a.arn && a.arn !== principal ? md` (session \`${a.arn}\`)` : md``;
  const from = a.sourceIPAddress ? md` from \`${a.sourceIPAddress}\`` : md``;
  const via = a.invokedBy && a.invokedBy !== principal ? md` via \`${a.invokedBy}\`` : md``;
  const agent = a.userAgent ? md` with \`${capped(a.userAgent, 160)}\`` : md``;
  const at = origin.event.eventTime ? md` at ${origin.event.eventTime}` : md``;
  return md`\`${origin.event.eventName}\` by \`${principal}\`${session}${from}${via}${agent}${at}`;
}

export function undoHint(result: Result): string | undefined {
  const fresh =
    (result.action === "remediated" && result.outcome === "remediated") || result.outcome === "migration-started";
  return fresh ? result.finding.plan?.undo : undefined;
}

/** What a Chatbot message and its e-mail twin are built from: every line already escaped (see escape.ts). */
export function buildMessage(result: Result, origin: Origin, keys: ExemptionHint = DEFAULT_HINT): ChatbotMessage {
  const { finding, decision } = result;
  const resource = finding.resource;
  const region = resource.region;
  const title = md`${new Md(ICON[result.outcome] ?? "")} EFS Guard: ${finding.control} ${TITLE[result.outcome] ?? result.outcome} on ${resource.id}`;
  const evidenceRules = (finding.evidence.offendingRules as { ruleId: string; action?: string }[] | undefined) ?? [];
  const account = resource.account ? md`, account \`${resource.account}\`` : md``;
  const lines = [
    md`*${finding.summary}*`,
    md`*Resource:* \`${resource.id}\` (${resource.type}) in ${region}${account}`,
    md`*Change:* ${who(origin)}`,
    md`*Decision:* ${result.action} — ${decision.why}`,
    md`*Result:* ${result.detail}`,
  ];
  if (finding.plan?.kind === "revoke-ingress") {
    lines.push(
      md`*Rules:* ${joinMd(
        finding.plan.rules.map((r) => md`\`${r}\``),
        ", ",
      )}`,
    );
    if (finding.plan.added?.length)
      lines.push(
        md`*Added in their place:* ${joinMd(
          finding.plan.added.map((r) => md`\`${r}\``),
          ", ",
        )}`,
      );
  }
  const nextSteps: Md[] = [];
  const undo = undoHint(result);
  if (undo) nextSteps.push(md`${undo}`);
  if (result.outcome === "remediation-failed") {
    nextSteps.push(md`Fix the cause in the error above; the event is retried and then kept in the dead-letter queue.`);
  }
  if (result.action !== "exempt" && finding.verdict === "non-compliant" && finding.control !== TAG_AUDIT_CONTROL) {
    nextSteps.push(
      md`To accept this risk, tag ${resource.id} with \`${keys.exemptTagKey}=${finding.control}\` and \`${keys.exemptUntilTagKey}=YYYY-MM-DD\` (at most ${keys.maxExemptionDays} days ahead); the tag change is alerted.`,
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
  // The account the alert is about: the alerts function adds its name there in an organization's hub.
  if (resource.account) additionalContext.account = resource.account;
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
  return chatbotMessage({
    id: `${origin.kind === "event" ? origin.event.eventId : "sweep"}:${finding.control}:${resource.id}`,
    title,
    lines,
    nextSteps,
    keywords,
    threadId: `efs-guard-${resource.id}`,
    summary: `${finding.control} ${result.outcome} on ${resource.id}`,
    eventType,
    relatedResources: [resource.arn ?? resource.id],
    additionalContext,
  });
}

export interface ChatbotParts {
  id: string;
  title: Md;
  lines: Md[];
  nextSteps: Md[];
  keywords: string[];
  threadId: string;
  summary: string;
  eventType: string;
  relatedResources: string[];
  additionalContext: Record<string, string>;
}

/**
 * The Chatbot custom notification from escaped parts. The metadata is data, not markdown (Chatbot does not render
 * it, but custom actions may read it): each string is sanitized and capped, never formatted.
 */
export function chatbotMessage(parts: ChatbotParts): ChatbotMessage {
  const plain = (s: string, max = 1000) => sanitize(s, max);
  return {
    version: "1.0",
    source: "custom",
    id: plain(parts.id, 512),
    content: {
      textType: "client-markdown",
      title: parts.title.text.trim(),
      description: joinMd(parts.lines, "\n").text,
      nextSteps: parts.nextSteps.map((s) => s.text),
      keywords: parts.keywords.map((k) => plain(k, 64)),
    },
    metadata: {
      threadId: plain(parts.threadId, 256),
      summary: plain(parts.summary),
      eventType: plain(parts.eventType, 128),
      relatedResources: parts.relatedResources.map((r) => plain(r, 2048)),
      additionalContext: Object.fromEntries(
        Object.entries(parts.additionalContext).map(([k, v]) => [k, plain(v, k === "ruleIds" ? 20_000 : 1000)]),
      ),
    },
  };
}

/**
 * The same alert as e-mail text: what SNS sends to e-mail subscribers (the `email` member of the published
 * message structure), so their mail shows the alert, not its JSON.
 */
export function emailText(message: ChatbotMessage): string {
  const out = [toPlainText(message.content.title), "", ...message.content.description.split("\n").map(toPlainText)];
  if (message.content.nextSteps.length > 0) {
    out.push("", "Next steps:", ...message.content.nextSteps.map((s) => `- ${toPlainText(s)}`));
  }
  out.push("", `Keywords: ${message.content.keywords.join(", ")}`, `Alert id: ${message.id}`);
  return out.join("\n");
}
