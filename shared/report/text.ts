/**
 * Untrusted text (tag values, policy snippets, CloudTrail fields, resource names) on its way into a report or a
 * Security Hub finding: kept as data, never markup. Control characters and Unicode bidi overrides are replaced (a
 * tag value must not reorder or hide what a reader sees), and every value is cut to the field's limit with a
 * visible ellipsis so that an oversized value cannot make AWS reject the whole finding.
 */

// C0/C1 controls except tab and newline, DEL, and the bidi embedding/override/isolate characters (U+202A-U+202E,
// U+2066-U+2069) plus the zero-width marks that can disguise text (U+200B-U+200F, U+FEFF).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Replaces control and bidi characters with U+FFFD; newlines become spaces when `singleLine`. */
export function clean(value: string, singleLine = false): string {
  const safe = value.replace(UNSAFE, "\ufffd");
  return singleLine ? safe.replace(/[\r\n\t]+/g, " ") : safe;
}

/** At most `max` UTF-16 code units (AWS counts characters), without splitting a surrogate pair. */
export function cap(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = max - 1;
  const code = value.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${value.slice(0, cut)}…`;
}

/** clean + cap, and never empty (ASFF strings must contain a non-blank character). */
export function field(value: unknown, max: number, fallback = "-"): string {
  const text = typeof value === "string" ? value : value === undefined || value === null ? "" : JSON.stringify(value);
  const out = cap(clean(text, true).trim(), max);
  return out === "" ? fallback : out;
}

/** A string map within a count and key/value limits (ProductFields, Tags, Details.Other). */
export function fieldMap(
  entries: Iterable<[string, unknown]>,
  limits: { count: number; key: number; value: number },
): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [key, value] of entries) {
    if (n >= limits.count) break;
    if (value === undefined || value === null) continue;
    const k = field(key, limits.key);
    if (k in out) continue;
    out[k] = field(value, limits.value);
    n += 1;
  }
  return out;
}
