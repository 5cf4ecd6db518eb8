/**
 * The subset of EventBridge pattern matching the guard's patterns use: arrays of literal values (match any),
 * `{"exists": false}`, `{"prefix": "..."}`, nested objects, `$or`, and EventBridge's treatment of arrays in the
 * event (a field matches when any element matches; a pattern field inside an array of objects matches any of
 * them). Used by tests to check patterns against recorded events without the emulator.
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (pattern === null || typeof pattern !== "object") return false;
  for (const [key, rule] of Object.entries(pattern as Record<string, unknown>)) {
    if (key === "$or") {
      if (!(rule as unknown[]).some((p) => matchesPattern(p, event))) return false;
      continue;
    }
    const values = valuesAt(event, key);
    if (Array.isArray(rule)) {
      const ok = rule.some((r) => {
        if (typeof r === "object" && r !== null && "exists" in r) {
          return values.length > 0 === (r as { exists: boolean }).exists;
        }
        if (typeof r === "object" && r !== null && "prefix" in r) {
          const prefix = (r as { prefix: string }).prefix;
          return values.some((v) => typeof v === "string" && v.startsWith(prefix));
        }
        return values.some((v) => v === r);
      });
      if (!ok) return false;
    } else if (!(values.length > 0 ? values : [undefined]).some((v) => matchesPattern(rule, v))) {
      // A nested pattern on an absent field can still match ({"exists": false} under it).
      return false;
    }
  }
  return true;
}

/** The values under `key`: each element of an array (flattened), absent and empty objects being no value. */
function valuesAt(event: unknown, key: string): unknown[] {
  const holders = Array.isArray(event) ? event : [event];
  const out: unknown[] = [];
  for (const holder of holders) {
    if (holder === null || typeof holder !== "object") continue;
    const value = (holder as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) out.push(...value);
    else out.push(value);
  }
  return out;
}
