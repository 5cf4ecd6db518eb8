import { CONTROL_IDS } from "../config/controls.js";
import type { ReportItem } from "./item.js";
import type { ArchiveScope } from "./security-hub-plan.js";

/**
 * The message the guard functions and the sweep publish to the findings topic, and the Security Hub reporter reads
 * from its queue: the decisions of one event (or part of a sweep) as report items, and a sweep's scopes. Only the
 * guard roles may publish to the topic (its policy denies everyone else); the reporter still checks every message,
 * and keeps only items of its own account.
 */
export interface FindingsMessage {
  efsGuardFindings: 1;
  account: string;
  items: ReportItem[];
  scopes?: ArchiveScope[];
}

/** SNS takes 256 KiB per message; this leaves room for the envelope. */
export const MAX_MESSAGE_BYTES = 200_000;

const SEVERITIES = new Set(["critical", "high", "medium", "low", "info"]);
const VERDICTS = new Set(["compliant", "non-compliant", "not-applicable"]);
const LIFECYCLES = new Set(["failed", "passed", "exempt", "migration-started", "not-applicable"]);
const TYPES = new Set(["file-system", "security-group", "kms-key"]);
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ACCOUNT = /^\d{12}$/;
const AWS_ID = /^[A-Za-z0-9:/_.-]{1,2048}$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown, max = 100_000): v is string => typeof v === "string" && v.length <= max;

function validItem(v: unknown, account: string): v is ReportItem {
  if (!isRecord(v) || !isRecord(v.resource) || !isRecord(v.evidence)) return false;
  const r = v.resource;
  return (
    (CONTROL_IDS as readonly unknown[]).includes(v.control) &&
    TYPES.has(r.type as string) &&
    isString(r.id) &&
    AWS_ID.test(r.id) &&
    isString(r.region) &&
    REGION.test(r.region) &&
    r.account === account &&
    (r.arn === undefined || (isString(r.arn) && AWS_ID.test(r.arn))) &&
    VERDICTS.has(v.verdict as string) &&
    SEVERITIES.has(v.severity as string) &&
    LIFECYCLES.has(v.lifecycle as string) &&
    isString(v.summary) &&
    isString(v.outcome, 64) &&
    isString(v.detail) &&
    isString(v.why) &&
    isString(v.observedAt, 64) &&
    !Number.isNaN(Date.parse(v.observedAt)) &&
    (v.source === "event" || v.source === "sweep" || v.source === "scan") &&
    (v.tags === undefined || (isRecord(v.tags) && Object.values(v.tags).every((t) => isString(t))))
  );
}

function validScope(v: unknown, account: string): v is ArchiveScope {
  if (!isRecord(v)) return false;
  const controls = (x: unknown) => Array.isArray(x) && x.every((c) => (CONTROL_IDS as readonly unknown[]).includes(c));
  const strings = (x: unknown) => Array.isArray(x) && x.every((s) => isString(s, 2048));
  return (
    isString(v.region) &&
    REGION.test(v.region) &&
    v.account === account &&
    controls(v.controls) &&
    controls(v.evaluated) &&
    strings(v.resources) &&
    strings(v.unreadResources) &&
    isString(v.startedAt, 64) &&
    !Number.isNaN(Date.parse(v.startedAt))
  );
}

/**
 * Parses one message. Returns the items and scopes of `account`, and how many items were refused (malformed or
 * another account's), so that the reporter can say so; anything that is not a findings message at all is null.
 */
export function parseFindingsMessage(
  body: string,
  account: string,
): { items: ReportItem[]; scopes: ArchiveScope[]; refused: number } | null {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return null;
  }
  if (!isRecord(raw) || raw.efsGuardFindings !== 1 || !Array.isArray(raw.items) || !ACCOUNT.test(account)) return null;
  const items = raw.items.filter((i): i is ReportItem => validItem(i, account));
  const scopes = Array.isArray(raw.scopes) ? raw.scopes.filter((s): s is ArchiveScope => validScope(s, account)) : [];
  return { items, scopes, refused: raw.items.length - items.length };
}

/** Splits items into messages under MAX_MESSAGE_BYTES; the scopes ride on the last one. */
export function toMessages(account: string, items: readonly ReportItem[], scopes: readonly ArchiveScope[] = []) {
  const messages: string[] = [];
  const envelope = (part: ReportItem[], withScopes: boolean) =>
    JSON.stringify({
      efsGuardFindings: 1,
      account,
      items: part,
      ...(withScopes && scopes.length > 0 ? { scopes: [...scopes] } : {}),
    } satisfies FindingsMessage);
  let part: ReportItem[] = [];
  let size = 0;
  for (const original of items) {
    let item = original;
    let bytes = Buffer.byteLength(JSON.stringify(item));
    if (bytes > MAX_MESSAGE_BYTES / 2) {
      // An item this large has a huge evidence value: it travels without it, and says so.
      item = { ...original, evidence: { truncated: `evidence of ${bytes} bytes not sent` } };
      bytes = Buffer.byteLength(JSON.stringify(item));
    }
    if (part.length > 0 && size + bytes > MAX_MESSAGE_BYTES) {
      messages.push(envelope(part, false));
      part = [];
      size = 0;
    }
    part.push(item);
    size += bytes + 1;
  }
  const last = envelope(part, true);
  if (Buffer.byteLength(last) > MAX_MESSAGE_BYTES + 50_000 && part.length > 0) {
    messages.push(envelope(part, false));
    messages.push(envelope([], true));
  } else if (part.length > 0 || scopes.length > 0) {
    messages.push(last);
  }
  return messages;
}
