import type { ChatbotMessage } from "./message.js";
import type { AlertAttributes } from "./publish.js";

export const ENVELOPE_VERSION = 1;

/** One alert on its way from a guard function to the alerts function (through the inbox topic and its queue). */
export interface AlertEnvelope {
  efsGuardAlert: typeof ENVELOPE_VERSION;
  /** New for every hand-over: a redelivery of this message carries the same id. */
  id: string;
  /** The dedup key (dedup.ts); none: always delivered. */
  key?: string;
  message: ChatbotMessage;
  attributes: AlertAttributes;
}

/** The alerts function's note to itself: report the merged count of a window once it has ended. */
export interface WindowCloseNote {
  efsGuardWindowClose: typeof ENVELOPE_VERSION;
  key: string;
  windowStart: number;
  windowEnd: number;
}

export type InboxMessage = { kind: "alert"; alert: AlertEnvelope } | { kind: "close"; close: WindowCloseNote };

const isString = (v: unknown): v is string => typeof v === "string";
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

function isChatbotMessage(v: unknown): v is ChatbotMessage {
  if (!isObject(v) || v.version !== "1.0" || v.source !== "custom" || !isString(v.id)) return false;
  const c = v.content;
  const m = v.metadata;
  return (
    isObject(c) &&
    isString(c.title) &&
    isString(c.description) &&
    Array.isArray(c.nextSteps) &&
    c.nextSteps.every(isString) &&
    Array.isArray(c.keywords) &&
    c.keywords.every(isString) &&
    isObject(m) &&
    isString(m.threadId) &&
    isString(m.summary) &&
    isString(m.eventType) &&
    Array.isArray(m.relatedResources) &&
    isObject(m.additionalContext)
  );
}

/** The body of a queue message, or undefined when it is neither an alert nor a window note (logged and dropped). */
export function parseInboxMessage(body: string): InboxMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isObject(v)) return undefined;
  if (v.efsGuardWindowClose === ENVELOPE_VERSION) {
    if (!isString(v.key) || typeof v.windowStart !== "number" || typeof v.windowEnd !== "number") return undefined;
    return { kind: "close", close: v as unknown as WindowCloseNote };
  }
  if (v.efsGuardAlert !== ENVELOPE_VERSION || !isString(v.id) || !isChatbotMessage(v.message)) return undefined;
  if (v.key !== undefined && !isString(v.key)) return undefined;
  const a = v.attributes;
  if (!isObject(a) || !isString(a.control) || !isString(a.severity) || !isString(a.outcome)) return undefined;
  return { kind: "alert", alert: v as unknown as AlertEnvelope };
}
