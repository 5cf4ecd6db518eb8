import type { ControlId } from "../config/controls.js";
import type { Clock } from "../runtime/clock.js";

export type Exemption =
  | { status: "none" }
  | { status: "active"; until?: string }
  | { status: "expired"; until: string }
  | { status: "invalid"; detail: string };

export interface ExemptionTagKeys {
  exemptTagKey: string;
  exemptUntilTagKey: string;
}

/**
 * Reads the exemption tags of a resource: `efs-guard:exempt` = comma-separated control ids or `all`, optional
 * `efs-guard:exempt-until` = ISO date after which the exemption lapses. An unparseable date is not honoured
 * (an exemption that cannot be read must not silently disable a control).
 */
export function exemptionFor(
  control: ControlId,
  tags: Record<string, string> | undefined,
  keys: ExemptionTagKeys,
  clock: Clock,
): Exemption {
  const value = tags?.[keys.exemptTagKey];
  if (value === undefined) return { status: "none" };
  const listed = value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (!listed.includes("all") && !listed.includes(control)) return { status: "none" };
  const until = tags?.[keys.exemptUntilTagKey]?.trim();
  if (until === undefined || until === "") return { status: "active" };
  const end = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(until) ? `${until}T23:59:59.999Z` : until);
  if (Number.isNaN(end)) return { status: "invalid", detail: `${keys.exemptUntilTagKey}=${until} is not an ISO date` };
  return clock.now().getTime() <= end ? { status: "active", until } : { status: "expired", until };
}
