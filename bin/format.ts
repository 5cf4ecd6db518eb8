/** Table formatting shared by the commands; colour comes from terminal.ts, only when the stream allows it. */
import { styles } from "./terminal.js";

const on = styles(true);
/** Bold, for callers that already checked the stream (`io.styled`). */
export const bold = (s: string) => on.bold(s);
export const dim = (s: string) => on.dim(s);

export interface TableOptions {
  /** Prefix of every line (the demo indents its tables under the step headings). */
  indent?: string;
  /** Styles the header row, e.g. `bold` on a terminal. */
  header?: (line: string) => string;
}

/**
 * Left-aligned columns, two spaces apart; the first row is the header. Widths count characters, so cells must not
 * carry escape codes (style the whole line through `header` instead). Trailing spaces are trimmed so that a
 * piped table diffs cleanly.
 */
export function table(rows: string[][], options: TableOptions = {}): string {
  if (rows.length === 0) return "";
  const columns = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const indent = options.indent ?? "";
  return rows
    .map((r, i) => {
      const line = `${indent}${widths.map((w, c) => (r[c] ?? "").padEnd(w)).join("  ")}`.trimEnd();
      return i === 0 && options.header ? options.header(line) : line;
    })
    .join("\n");
}
