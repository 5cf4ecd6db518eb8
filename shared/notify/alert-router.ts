import type { Clock } from "../runtime/clock.js";
import { errorMessage } from "../runtime/errors.js";
import { logger } from "../runtime/logger.js";
import type { AlertEnvelope, WindowCloseNote } from "./envelope.js";
import { Md, md } from "./escape.js";
import { type ChatbotMessage, chatbotMessage } from "./message.js";
import type { AlertAttributes } from "./publish.js";

/**
 * The alerts function's decision for each alert it receives: deliver it now (the first of its kind in the window),
 * or count it into the window's first one. The table (shared/aws/alert-dedup.ts) holds one item per dedup key and
 * every decision is one conditional write, so concurrent functions agree; this module holds the order of those
 * writes and what is said to a human, with the clock injected.
 *
 * How the count reaches a human: when a window with merged duplicates ends, the alerts function (reminded by a
 * delayed message to its own queue) sends one alert "N identical alerts merged since HH:MM UTC" with the first
 * one's attributes, so the same filter policies route it; and the next identical alert after the window says so
 * too, if that reminder has not yet. Never lost: when the table cannot be read or written, the alert is delivered
 * as if it were the first.
 */

/** What the table keeps per key: the open window and the window before it (for the next alert's note). */
export interface WindowItem {
  windowStart: number;
  windowEnd: number;
  merged: number;
  /** The first alert of the window was published (a window whose first failed to publish can be reopened). */
  delivered: boolean;
  /** The window start whose count has been reported (reminder or the next alert's note). */
  reportedStart?: number;
  prevStart: number;
  prevEnd: number;
  prevMerged: number;
  prevReportedStart: number;
  first: FirstAlert;
}

/** What the count message is made of: the first alert's title (already escaped) and attributes. */
export interface FirstAlert {
  id: string;
  title: string;
  resource: string;
  threadId: string;
  attributes: AlertAttributes;
}

export interface OpenRequest {
  now: number;
  windowEnd: number;
  /** Epoch seconds: DynamoDB's TTL deletes the item after this. */
  expiresAt: number;
  first: FirstAlert;
}

/** The conditional writes; each returns the item after the write, or undefined when its condition failed. */
export interface DedupStore {
  /** A new window, when there is none open at `now` (or never was) and the last one's first alert was delivered. */
  openWindow(key: string, request: OpenRequest): Promise<WindowItem | undefined>;
  /** A window whose first alert was never published (its publish failed): opened again, the previous note kept. */
  reopenUndelivered(key: string, request: OpenRequest): Promise<WindowItem | undefined>;
  /** One more duplicate, when the window is open at `now`, its first delivered, and `id` is not the last counted. */
  countDuplicate(key: string, now: number, id: string): Promise<WindowItem | undefined>;
  markDelivered(key: string, windowStart: number): Promise<void>;
  /** The right to report a closed window's count (once). */
  claimReport(key: string, windowStart: number): Promise<WindowItem | undefined>;
  releaseReport(key: string, windowStart: number): Promise<void>;
}

export interface RouterDeps {
  store: DedupStore;
  /** Publishes to the alerts topic. */
  publish(message: ChatbotMessage, attributes: AlertAttributes): Promise<void>;
  /** Sends a window's reminder to the alerts function's own queue, delayed (SQS allows up to 900 s). */
  remind(note: WindowCloseNote, delaySeconds: number): Promise<void>;
  clock: Clock;
  windowMinutes: number;
}

export type Routed =
  | "delivered"
  | "delivered-without-dedup"
  | "delivered-table-failed"
  | "merged"
  | "redelivery"
  | "reminder-rescheduled"
  | "count-reported"
  | "count-already-reported";

/** SQS's maximum DelaySeconds. */
export const MAX_DELAY_SECONDS = 900;
/** How long an item outlives its window: long enough for the reminder, which comes within 15 minutes. */
const TTL_MARGIN_SECONDS = 24 * 3600;

export function windowOf(now: number, windowMinutes: number): { windowEnd: number; expiresAt: number } {
  const windowEnd = now + windowMinutes * 60_000;
  return { windowEnd, expiresAt: Math.ceil(windowEnd / 1000) + TTL_MARGIN_SECONDS };
}

/** How long to wait before looking at a window again: until its end, at most SQS's 15 minutes. */
export function reminderDelay(now: number, windowEnd: number): number {
  return Math.max(1, Math.min(MAX_DELAY_SECONDS, Math.ceil((windowEnd - now) / 1000)));
}

export function hhmm(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 16);
}

function firstOf(alert: AlertEnvelope): FirstAlert {
  return {
    id: alert.id,
    title: alert.message.content.title,
    resource: alert.message.metadata.relatedResources[0] ?? "",
    threadId: alert.message.metadata.threadId,
    attributes: alert.attributes,
  };
}

/** The alert with the previous window's count in front, when that count was never reported. */
export function withPreviousCount(message: ChatbotMessage, item: WindowItem): ChatbotMessage {
  if (item.prevMerged <= 0 || item.prevReportedStart === item.prevStart) return message;
  const note = md`_${item.prevMerged} identical alert(s) merged between ${hhmm(item.prevStart)} and ${hhmm(item.prevEnd)} UTC (after the first one, delivered at ${hhmm(item.prevStart)}); this is the first since._`;
  return { ...message, content: { ...message.content, description: `${note.text}\n${message.content.description}` } };
}

/** The one message that reports a closed window's count. */
export function countMessage(key: string, item: WindowItem): ChatbotMessage {
  const { first } = item;
  return chatbotMessage({
    id: `merged:${key.slice(0, 16)}:${item.windowStart}`,
    title: md`:repeat: ${item.merged} identical alert(s) merged since ${hhmm(item.windowStart)} UTC: ${new Md(first.title)}`,
    lines: [
      md`*${item.merged}* more alert(s) with exactly the facts of the one delivered at ${hhmm(item.windowStart)} UTC (same control, resource, outcome, change and details) came in until ${hhmm(item.windowEnd)} UTC and were merged into it.`,
      md`*Resource:* \`${first.resource}\``,
      md`*First alert:* \`${first.id}\` (its text is unchanged; any alert with other facts was delivered on its own)`,
    ],
    nextSteps: [
      md`A repeated change usually means an automation (a pipeline, a CloudFormation stack, a script) keeps putting it back: find it in CloudTrail and fix it there, or exempt the resource.`,
    ],
    keywords: [first.attributes.control, first.attributes.severity, first.attributes.outcome, "merged"],
    threadId: first.threadId,
    summary: `${item.merged} identical alerts merged: ${first.attributes.control} ${first.attributes.outcome} on ${first.resource}`,
    eventType: "MergedAlerts",
    relatedResources: first.resource ? [first.resource] : [],
    additionalContext: {
      ...first.attributes,
      merged: String(item.merged),
      windowStart: new Date(item.windowStart).toISOString(),
      windowEnd: new Date(item.windowEnd).toISOString(),
      firstAlertId: first.id,
    },
  });
}

/** One alert from the inbox: delivered, merged, or recognized as a redelivery of one already handled. */
export async function routeAlert(alert: AlertEnvelope, deps: RouterDeps): Promise<Routed> {
  const { key } = alert;
  if (!key || deps.windowMinutes <= 0) {
    await deps.publish(alert.message, alert.attributes);
    return "delivered-without-dedup";
  }
  const now = deps.clock.now().getTime();
  const request: OpenRequest = { now, ...windowOf(now, deps.windowMinutes), first: firstOf(alert) };
  let opened: WindowItem | undefined;
  try {
    // Two rounds: a window can end, or another function open one, between two of these writes.
    for (let round = 0; round < 2 && !opened; round++) {
      opened = await deps.store.openWindow(key, request);
      if (opened) break;
      const counted = await deps.store.countDuplicate(key, now, alert.id);
      if (counted) {
        if (counted.merged === 1) await remindSafely(deps, key, counted, now);
        return "merged";
      }
      opened = await deps.store.reopenUndelivered(key, request);
    }
  } catch (error) {
    logger.error("alert dedup table failed: alert delivered without dedup", {
      alertId: alert.message.id,
      error: errorMessage(error),
    });
    await deps.publish(alert.message, alert.attributes);
    return "delivered-table-failed";
  }
  // Open, delivered, and this very message counted last: SQS delivered it again.
  if (!opened) return "redelivery";
  await deps.publish(withPreviousCount(alert.message, opened), alert.attributes);
  try {
    await deps.store.markDelivered(key, opened.windowStart);
  } catch (error) {
    // The next identical alert then reopens the window and is delivered too: one alert too many, none lost.
    logger.warn("alert delivered but not marked in the dedup table", { key, error: errorMessage(error) });
  }
  return "delivered";
}

async function remindSafely(deps: RouterDeps, key: string, item: WindowItem, now: number): Promise<void> {
  try {
    await deps.remind(
      { efsGuardWindowClose: 1, key, windowStart: item.windowStart, windowEnd: item.windowEnd },
      reminderDelay(now, item.windowEnd),
    );
  } catch (error) {
    // The count is in the table: the next identical alert after the window reports it.
    logger.error("merged-count reminder not scheduled", { key, error: errorMessage(error) });
  }
}

/** A window's reminder: too early, wait again; else report the count once. */
export async function routeReminder(note: WindowCloseNote, deps: RouterDeps): Promise<Routed> {
  const now = deps.clock.now().getTime();
  if (now < note.windowEnd) {
    await deps.remind(note, reminderDelay(now, note.windowEnd));
    return "reminder-rescheduled";
  }
  const item = await deps.store.claimReport(note.key, note.windowStart);
  if (!item) return "count-already-reported";
  try {
    await deps.publish(countMessage(note.key, item), item.first.attributes);
  } catch (error) {
    await deps.store.releaseReport(note.key, note.windowStart);
    throw error;
  }
  return "count-reported";
}
