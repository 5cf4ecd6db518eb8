import { beforeEach } from "vitest";

/**
 * A green `npm test` prints no "level":"ERROR" lines: the handlers under test log expected failures (injected
 * faults, failing steps, denied calls) exactly as in Lambda, and those lines belong to the test, not the console.
 * Every structured log line (a JSON object with "level") written while a test runs is kept with that test and
 * printed only if the test fails, so a real error is never hidden: it shows with the failure it explains.
 * Nothing in product code changes; other output passes through. Wrapping write() itself (not a vi.spyOn) keeps
 * working under tests that spy on the streams themselves (test/support/logs.ts restores to this wrapper).
 */
type Write = typeof process.stdout.write;
const held: { stream: NodeJS.WriteStream; original: Write; text: string }[] = [];
let capturing = false;

function isLogLine(line: string): boolean {
  if (!line.startsWith("{") || !line.includes('"level"')) return false;
  try {
    return typeof (JSON.parse(line) as { level?: unknown }).level === "string";
  } catch {
    return false;
  }
}

for (const stream of [process.stdout, process.stderr]) {
  const original = stream.write.bind(stream) as Write;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : undefined;
    if (capturing && text !== undefined) {
      const lines = text.split("\n");
      const logs = lines.filter(isLogLine);
      if (logs.length > 0) {
        held.push({ stream, original, text: `${logs.join("\n")}\n` });
        const restText = lines.filter((l) => !isLogLine(l)).join("\n");
        if (restText.trim() === "") {
          const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
          callback?.();
          return true;
        }
        return (original as (...a: unknown[]) => boolean)(restText, ...rest);
      }
    }
    return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as Write;
}

beforeEach((context) => {
  held.length = 0;
  capturing = true;
  context.onTestFailed(() => {
    for (const h of held) h.original(h.text);
  });
  context.onTestFinished(() => {
    capturing = false;
    held.length = 0;
  });
});
