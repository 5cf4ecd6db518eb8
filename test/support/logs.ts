import { vi } from "vitest";

export interface LogLine {
  level?: string;
  message?: string;
  [key: string]: unknown;
}

/**
 * Captures what the Powertools logger prints (one JSON object per line, on stdout or stderr) without any hook in
 * product code: the logger writes through a Console bound to process.stdout/stderr, so spying on their write()
 * sees every line. Lines that are not JSON (vitest's own output) are passed through.
 */
export function captureLogs() {
  const lines: LogLine[] = [];
  const spies = (["stdout", "stderr"] as const).map((name) => {
    const stream = process[name];
    const original = stream.write.bind(stream);
    return vi.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : "";
      let parsed = false;
      for (const line of text.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          lines.push(JSON.parse(line) as LogLine);
          parsed = true;
        } catch {
          // not a log line
        }
      }
      return parsed ? true : (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  });
  return {
    lines,
    clear: () => {
      lines.length = 0;
    },
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
