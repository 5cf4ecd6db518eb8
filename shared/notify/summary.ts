import type { SweepSummary } from "../pipeline/sweep.js";
import { joinMd, Md, md } from "./escape.js";
import { type ChatbotMessage, chatbotMessage } from "./message.js";

/**
 * Accounts listed one line each in the organization sweep's summary, and kept in its output (the rest are counted;
 * every child's own result stays in the runs bucket, under the execution's ResultWriter prefix).
 */
export const ACCOUNT_LINES = 100;

/** The accounts that need attention (findings or errors) first, then by id: the message's order and the output's. */
export function accountsByAttention(accounts: NonNullable<SweepSummary["accounts"]>): string[] {
  const quiet = (id: string) => ((accounts[id]?.nonCompliant ?? 0) + (accounts[id]?.errors ?? 0) > 0 ? 0 : 1);
  return Object.keys(accounts).sort((a, b) => quiet(a) - quiet(b) || a.localeCompare(b));
}

const outcomesOf = (counts: Partial<Record<string, number>>) =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([outcome, n]) => `${outcome} ${n}`)
    .join(", ");

/**
 * The organization sweep's part: per account its counts per control (accounts with findings or errors first), then
 * the accounts that could not be swept, each named with its error. The error text is AWS's and the account names
 * nothing we chose: escaped like every other line.
 */
function accountLines(summary: SweepSummary): Md[] {
  const accounts = summary.accounts;
  if (!accounts) return [];
  const unreachable = summary.unreachable ?? [];
  const ids = accountsByAttention(accounts);
  const swept = ids.length + (summary.omittedAccounts ?? 0);
  const unreachableCount = unreachable.length + (summary.omittedUnreachable ?? 0);
  const lines: Md[] = [md`*Accounts:* ${swept} swept, ${unreachableCount} unreachable`];
  for (const id of ids.slice(0, ACCOUNT_LINES)) {
    const tally = accounts[id];
    if (!tally) continue;
    const controls = Object.keys(tally.counts)
      .sort()
      .map((control) => md`\`${control}\` ${outcomesOf(tally.counts[control] ?? {})}`);
    lines.push(md`• account \`${id}\`: ${tally.nonCompliant} non-compliant; ${joinMd(controls, "; ")}`);
  }
  if (swept > ACCOUNT_LINES)
    lines.push(md`… and ${swept - ACCOUNT_LINES} more accounts (each one's result: the run's ResultWriter files)`);
  // As many unreachable accounts as accounts, at most: the whole message must stay within SNS's 256 KB.
  for (const u of unreachable.slice(0, ACCOUNT_LINES)) {
    lines.push(md`:x: account \`${u.account}\` not swept in ${u.regions.join(", ")}: ${u.code}: ${u.message}`);
  }
  if (unreachableCount > ACCOUNT_LINES)
    lines.push(md`… and ${unreachableCount - ACCOUNT_LINES} more unreachable accounts (the sweep's logs)`);
  return lines;
}

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
  lines.push(...accountLines(summary));
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
      ...(summary.accounts
        ? {
            accounts: String(Object.keys(summary.accounts).length + (summary.omittedAccounts ?? 0)),
            // The first ACCOUNT_LINES, as the text lists them: the whole message stays within SNS's 256 KB.
            unreachableAccounts: (summary.unreachable ?? [])
              .slice(0, ACCOUNT_LINES)
              .map((u) => u.account)
              .join(","),
          }
        : {}),
    },
  });
}
