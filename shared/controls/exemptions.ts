import * as z from "zod/mini";
import type { ControlId } from "../config/controls.js";
import type { Clock } from "../runtime/clock.js";

export type Exemption =
  | { status: "none" }
  | { status: "active"; until: string }
  | { status: "expired"; until: string }
  | { status: "invalid"; detail: string }
  | { status: "too-long"; detail: string };

export interface ExemptionSettings {
  exemptTagKey: string;
  exemptUntilTagKey: string;
  /** The longest an exemption may run, counted from the evaluation: an end date further away is not honoured. */
  maxExemptionDays: number;
}

/** Controls no tag can exempt: the audit of the exemption tags themselves (else `all` would silence its own alert). */
const NOT_EXEMPTIBLE: ReadonlySet<string> = new Set<string>(["efs-guard-tags-audited"]);

// zod's ISO 8601 checks (calendar-aware: no 2026-02-30): a date, or a date and time with seconds and a zone (Z or
// +hh:mm). Anything else, including what Date.parse accepts ("Tue Dec 31 2099 (anything)", "2026-11-26T11:00"
// without a zone, "12/31/2099"), is not a date here.
const isoDate = z.iso.date();
const isoDateTime = z.iso.datetime({ offset: true });
const DAY_MS = 86_400_000;

/** The instant an `exempt-until` value ends, or undefined when it is not a strict ISO 8601 date or date-time. */
export function exemptionEnd(value: string): number | undefined {
  if (isoDate.safeParse(value).success) return Date.parse(`${value}T23:59:59.999Z`);
  if (isoDateTime.safeParse(value).success) return Date.parse(value);
  return undefined;
}

/**
 * Reads the exemption tags of a resource: `efs-guard:exempt` = comma-separated control ids or `all`, and
 * `efs-guard:exempt-until` = a strict ISO date (the end of that day, UTC) or date-time with a zone. Anyone who may
 * tag the resource can write these, so they are honoured only within bounds: an exemption needs an end date no
 * later than the end of the day (UTC) `maxExemptionDays` from now ("too-long" otherwise, including no end date at all), and a value that
 * is not a strict ISO date is not honoured ("invalid"). Neither is honoured up to the maximum instead: a tag carries
 * no date of its own, so "from when" could only be guessed; not honouring it at all is the answer that holds
 * whatever the history, and every change of these tags is alerted by efs-guard-tags-audited.
 */
export function exemptionFor(
  control: ControlId,
  tags: Record<string, string> | undefined,
  settings: ExemptionSettings,
  clock: Clock,
): Exemption {
  if (NOT_EXEMPTIBLE.has(control)) return { status: "none" };
  const value = tags?.[settings.exemptTagKey];
  if (value === undefined) return { status: "none" };
  const listed = value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (!listed.includes("all") && !listed.includes(control)) return { status: "none" };
  const until = tags?.[settings.exemptUntilTagKey]?.trim();
  const max = settings.maxExemptionDays;
  if (until === undefined || until === "") {
    return {
      status: "too-long",
      detail: `${settings.exemptTagKey} has no ${settings.exemptUntilTagKey}; an exemption must end within ${max} days (maxExemptionDays)`,
    };
  }
  const end = exemptionEnd(until);
  if (end === undefined) {
    return {
      status: "invalid",
      detail: `${settings.exemptUntilTagKey}=${until} is not an ISO 8601 date (YYYY-MM-DD, or YYYY-MM-DDThh:mm:ssZ)`,
    };
  }
  const now = clock.now().getTime();
  if (now > end) return { status: "expired", until };
  // The limit is the end of the day (UTC) maxExemptionDays from now, so a date tagged as "today + N days" counts.
  const limit = Math.floor((now + max * DAY_MS) / DAY_MS) * DAY_MS + DAY_MS - 1;
  if (end > limit) {
    return {
      status: "too-long",
      detail: `${settings.exemptUntilTagKey}=${until} is more than ${max} days away (maxExemptionDays)`,
    };
  }
  return { status: "active", until };
}
