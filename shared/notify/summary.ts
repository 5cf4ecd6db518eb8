import type { SweepSummary } from "../pipeline/sweep.js";
import { joinMd, Md, md } from "./escape.js";
import { type ChatbotMessage, chatbotMessage } from "./message.js";

/**
 * The one message a sweep sends after its per-finding alerts: how many resources each control looked at and what
 * came of them, so a quiet channel still shows the guard is alive and a noisy one shows the totals.
 */
export function buildSummaryMessage(summary: SweepSummary, at: Date): ChatbotMessage {
  const controls = Object.keys(summary.counts).sort();
  const would = Object.values(summary.counts).reduce((n, c) => n + (c["would-remediate"] ?? 0), 0);
  const observe = summary.observe;
  const until = observe?.until === "unknown" ? "an unknown date" : (observe?.until.slice(0, 10) ?? "");
  const lines: Md[] = [
    ...(observe
      ? [
          md`*Observe period* after the first deploy, until ${until}: the sweep reported what it would do (${would} would be remediated) and changed nothing; changes seen as events are remediated at once.${observe.reason ? md` (${observe.reason}: set observeUntil or observeDays.)` : md``}`,
        ]
      : []),
    md`*Regions:* ${summary.regions.join(", ") || "none"}`,
    ...(summary.split
      ? [
          md`*Split on Step Functions:* ${summary.split.items} items, ${summary.split.failedItems} failed${summary.split.failedItems > 0 ? md` (their file systems were not assessed, see below)` : md``}`,
        ]
      : []),
    md`*Non-compliant:* ${summary.nonCompliant} · *remediated:* ${summary.remediated} · *remediation failed:* ${summary.failed} · *unreadable:* ${summary.errors.length + (summary.omittedErrors ?? 0)}`,
    ...controls.map((control) => {
      const outcomes = Object.entries(summary.counts[control] ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([outcome, n]) => `${outcome} ${n}`)
        .join(", ");
      return md`• \`${control}\`: ${outcomes}`;
    }),
  ];
  // The ids come from the source's tag (checked against the migration's record, but text all the same): escaped.
  const pending = summary.cutOverPending;
  if (pending.length > 0) {
    const listed = pending.slice(0, 20).map((p) => md`\`${p.fileSystemId}\` → \`${p.replacement}\` (${p.region})`);
    const more = pending.length > 20 ? md`, … and ${pending.length - 20} more` : md``;
    lines.push(md`*Migrated, cut-over pending (${pending.length}):* ${joinMd(listed, ", ")}${more}`);
  }
  for (const error of summary.errors.slice(0, 10)) {
    const where = error.resource ? md` (\`${error.resource}\`)` : md``;
    lines.push(md`:x: ${error.guard} in ${error.region}${where}: ${error.message}`);
  }
  const more = summary.errors.length - 10 + (summary.omittedErrors ?? 0);
  if (more > 0) lines.push(md`… and ${more} more errors (see the logs)`);
  const clean = summary.nonCompliant === 0 && summary.errors.length === 0;
  const icon =
    summary.failed > 0 || summary.errors.length > 0 ? ":x:" : clean ? ":white_check_mark:" : ":rotating_light:";
  const outcome = summary.failed > 0 || summary.errors.length > 0 ? "errors" : clean ? "clean" : "findings";
  return chatbotMessage({
    id: `sweep:${at.toISOString()}`,
    title: observe
      ? md`${new Md(icon)} EFS Guard sweep (observe period): ${summary.nonCompliant} non-compliant, ${would} would be remediated`
      : md`${new Md(icon)} EFS Guard sweep: ${summary.nonCompliant} non-compliant, ${summary.remediated} remediated`,
    lines: [joinMd(lines, "\n")],
    nextSteps: [
      ...(summary.nonCompliant > 0
        ? [md`Each non-compliant finding was sent as its own alert just before this one.`]
        : []),
      ...(observe
        ? [
            md`From ${until} the sweep remediates what is still wrong: fix, or exempt (efs-guard:exempt), what must stay as it is before then.`,
          ]
        : []),
    ],
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
      errors: String(summary.errors.length + (summary.omittedErrors ?? 0)),
      ...(summary.split
        ? { splitItems: String(summary.split.items), failedItems: String(summary.split.failedItems) }
        : {}),
      ...(observe ? { observeUntil: observe.until } : {}),
      ...(summary.cutOverPending.length > 0 ? { cutOverPending: String(summary.cutOverPending.length) } : {}),
    },
  });
}
