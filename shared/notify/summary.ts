import type { SweepSummary } from "../pipeline/sweep.js";
import type { ChatbotMessage } from "./message.js";

/**
 * The one message a sweep sends after its per-finding alerts: how many resources each control looked at and what
 * came of them, so a quiet channel still shows the guard is alive and a noisy one shows the totals.
 */
export function buildSummaryMessage(summary: SweepSummary, at: Date): ChatbotMessage {
  const controls = Object.keys(summary.counts).sort();
  const would = Object.values(summary.counts).reduce((n, c) => n + (c["would-remediate"] ?? 0), 0);
  const observe = summary.observe;
  const until = observe?.until === "unknown" ? "an unknown date" : observe?.until.slice(0, 10);
  const lines = [
    ...(observe
      ? [
          `*Observe period* after the first deploy, until ${until}: the sweep reported what it would do (${would} would be remediated) and changed nothing; changes seen as events are remediated at once.${observe.reason ? ` (${observe.reason}: set observeUntil or observeDays.)` : ""}`,
        ]
      : []),
    `*Regions:* ${summary.regions.join(", ") || "none"}`,
    `*Non-compliant:* ${summary.nonCompliant} · *remediated:* ${summary.remediated} · *remediation failed:* ${summary.failed} · *unreadable:* ${summary.errors.length}`,
    ...controls.map((control) => {
      const outcomes = Object.entries(summary.counts[control] ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([outcome, n]) => `${outcome} ${n}`)
        .join(", ");
      return `• \`${control}\`: ${outcomes}`;
    }),
  ];
  const pending = summary.cutOverPending ?? [];
  if (pending.length > 0) {
    const listed = pending.slice(0, 20).map((p) => `\`${p.fileSystemId}\` → \`${p.replacement}\` (${p.region})`);
    lines.push(
      `*Migrated, cut-over pending (${pending.length}):* ${listed.join(", ")}${pending.length > 20 ? `, … and ${pending.length - 20} more` : ""}`,
    );
  }
  for (const error of summary.errors.slice(0, 10)) {
    lines.push(
      `:x: ${error.guard} in ${error.region}${error.resource ? ` (${error.resource})` : ""}: ${error.message}`,
    );
  }
  if (summary.errors.length > 10) lines.push(`… and ${summary.errors.length - 10} more errors (see the logs)`);
  const clean = summary.nonCompliant === 0 && summary.errors.length === 0;
  const icon =
    summary.failed > 0 || summary.errors.length > 0 ? ":x:" : clean ? ":white_check_mark:" : ":rotating_light:";
  const outcome = summary.failed > 0 || summary.errors.length > 0 ? "errors" : clean ? "clean" : "findings";
  return {
    version: "1.0",
    source: "custom",
    id: `sweep:${at.toISOString()}`,
    content: {
      textType: "client-markdown",
      title: `${icon} EFS Guard sweep${observe ? " (observe period)" : ""}: ${summary.nonCompliant} non-compliant, ${observe ? `${would} would be remediated` : `${summary.remediated} remediated`}`,
      description: lines.join("\n"),
      nextSteps: [
        ...(summary.nonCompliant > 0
          ? ["Each non-compliant finding was sent as its own alert just before this one."]
          : []),
        ...(observe
          ? [
              `From ${until} the sweep remediates what is still wrong: fix, or exempt (efs-guard:exempt), what must stay as it is before then.`,
            ]
          : []),
      ],
      keywords: ["sweep", outcome],
    },
    metadata: {
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
        ...(observe ? { observeUntil: observe.until } : {}),
      },
    },
  };
}
