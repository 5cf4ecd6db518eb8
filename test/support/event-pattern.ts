/**
 * The subset of EventBridge pattern matching the guard's patterns use: arrays of literal values (match any), nested
 * objects, and `{"exists": false}`. Used by tests to check patterns against recorded events without the emulator.
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (pattern === null || typeof pattern !== "object") return false;
  for (const [key, rule] of Object.entries(pattern as Record<string, unknown>)) {
    const value = event !== null && typeof event === "object" ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(rule)) {
      const ok = rule.some((r) =>
        typeof r === "object" && r !== null && "exists" in r
          ? (value !== undefined) === (r as { exists: boolean }).exists
          : r === value,
      );
      if (!ok) return false;
    } else if (!matchesPattern(rule, value)) return false;
  }
  return true;
}
