import type { SweepSummary } from "../pipeline/sweep.js";
import { joinMd, Md, md } from "./escape.js";
import { type ChatbotMessage, chatbotMessage } from "./message.js";

/**
 * The one message a sweep sends after its per-finding alerts: how many resources each control looked at and what
 * came of them, so a quiet channel still shows the guard is alive and a noisy one shows the totals.
 */
export function buildSummaryMessage(summary: SweepSummary, at: Date): ChatbotMessage {
  const controls = Object.keys(summary.counts).sort();
  const lines: Md[] = [
    md`*Regions:* ${summary.regions.join(", ") || "none"}`,
    md`*Non-compliant:* ${summary.nonCompliant} · *remediated:* ${summary.remediated} · *remediation failed:* ${summary.failed} · *unreadable:* ${summary.errors.length}`,
    ...controls.map((control) => {
      const outcomes = Object.entries(summary.counts[control] ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([outcome, n]) => `${outcome} ${n}`)
        .join(", ");
      return md`• \`${control}\`: ${outcomes}`;
    }),
  ];
  for (const error of summary.errors.slice(0, 10)) {
    const where = error.resource ? md` (\`${error.resource}\`)` : md``;
    lines.push(md`:x: ${error.guard} in ${error.region}${where}: ${error.message}`);
  }
  if (summary.errors.length > 10) lines.push(md`… and ${summary.errors.length - 10} more errors (see the logs)`);
  const clean = summary.nonCompliant === 0 && summary.errors.length === 0;
  const icon =
    summary.failed > 0 || summary.errors.length > 0 ? ":x:" : clean ? ":white_check_mark:" : ":rotating_light:";
  const outcome = summary.failed > 0 || summary.errors.length > 0 ? "errors" : clean ? "clean" : "findings";
  return chatbotMessage({
    id: `sweep:${at.toISOString()}`,
    title: md`${new Md(icon)} EFS Guard sweep: ${summary.nonCompliant} non-compliant, ${summary.remediated} remediated`,
    lines: [joinMd(lines, "\n")],
    nextSteps:
      summary.nonCompliant > 0 ? [md`Each non-compliant finding was sent as its own alert just before this one.`] : [],
    keywords: ["sweep", outcome],
    threadId: "efs-guard-sweep",
    summary: `sweep: ${summary.nonCompliant} non-compliant, ${summary.remediated} remediated, ${summary.failed} failed`,
    eventType: "ScheduledSweepSummary",
    relatedResources: [],
    additionalContext: {
      regions: summary.regions.join(","),
      nonCompliant: String(summary.nonCompliant),
      remediated: String(summary.remediated),
      failed: String(summary.failed),
      errors: String(summary.errors.length),
    },
  });
}
