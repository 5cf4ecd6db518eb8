import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { errorMessage } from "../shared/runtime/errors.js";
import { UsageError } from "./args.js";
import { jsonDepth, readBounded } from "./bounded-read.js";
import { fsProblem } from "./fs-problem.js";

/**
 * Bounds on one input, so that no file can exhaust memory, hang or crash the replay of the others. CloudTrail
 * delivers a log file about every 5 minutes per region and account (a few MB compressed in a busy account);
 * 64 MiB compressed and 512 MiB of JSON leave room for any real one, while a gzip bomb (9 MB -> 4.4 GB) stops at
 * the limit. CloudTrail records nest about 10 levels deep (policies as JSON strings are not nested objects);
 * 256 levels is far beyond, and far below what recursion in JSON.stringify or the evaluators could overflow on.
 */
export const INPUT_LIMITS = { fileBytes: 64 * 2 ** 20, jsonBytes: 512 * 2 ** 20, depth: 256 } as const;
export type InputLimits = { fileBytes: number; jsonBytes: number; depth: number };

/**
 * One thing `replay` was given: an event (EventBridge envelope or bare CloudTrail record), or an input that
 * could not be turned into events (with the reason), or one that holds no events by nature (a digest file).
 * `index` is the position in a log file's Records (or a JSON array), absent for a file holding one event;
 * `record` names it the way jq would: `Records[3]`, or `[3]` in an array.
 */
export type ReplayItem =
  | { kind: "event"; file: string; index?: number; record?: string; event: unknown }
  | { kind: "malformed"; file: string; index?: number; record?: string; problem: string }
  | { kind: "skipped"; file: string; note: string };

/** Files a directory walk picks up: CloudTrail delivers `*.json.gz`, EventBridge samples are `*.json`. */
const EVENT_FILE = /\.(json|json\.gz|gz)$/i;

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (EVENT_FILE.test(entry.name) && (entry.isFile() || statSync(path, { throwIfNoEntry: false })?.isFile())) {
      out.push(path);
    }
  }
}

/**
 * The files to replay, in order: each path as given, directories walked recursively (event files only), sorted
 * by path within each directory argument so a replay of a CloudTrail prefix runs in delivery order. A path that
 * does not exist is a usage error before anything runs: nothing is half-replayed because of a typo.
 */
export function collectFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) throw new UsageError(`no such file or directory: ${path}`);
    if (stat.isDirectory()) {
      const found: string[] = [];
      try {
        walk(path, found);
      } catch (error) {
        throw new UsageError(
          fsProblem(error, undefined, "a readable directory of event files") ??
            `cannot read directory ${path}: ${errorMessage(error)}`,
        );
      }
      if (found.length === 0) throw new UsageError(`no event files (*.json, *.json.gz) under ${path}`);
      files.push(...found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    } else if (stat.isFile()) {
      files.push(path);
    } else {
      throw new UsageError(`not a file or directory: ${path}`);
    }
  }
  return files;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Reads one file into events. Gzip is recognised by its magic bytes (1f 8b), not the name, so renamed or
 * extension-less CloudTrail objects work. Accepted shapes: a CloudTrail log file `{"Records":[...]}`, one
 * EventBridge envelope, one bare CloudTrail record, or a JSON array of either.
 */
export function readItems(file: string, limits: InputLimits = INPUT_LIMITS): ReplayItem[] {
  let bytes: Buffer;
  try {
    bytes = readBounded(file, limits.fileBytes);
  } catch (error) {
    const problem = fsProblem(error, "the file", "a readable CloudTrail log file or event");
    return [{ kind: "malformed", file, problem: problem ?? `cannot read the file: ${errorMessage(error)}` }];
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: limits.jsonBytes });
    } catch (error) {
      const bomb = (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
      const problem = bomb
        ? `gzip data that decompresses to more than ${limits.jsonBytes} bytes`
        : `gzip data that does not decompress: ${errorMessage(error)}`;
      return [{ kind: "malformed", file, problem }];
    }
  } else if (bytes.length > limits.jsonBytes) {
    return [{ kind: "malformed", file, problem: `more than ${limits.jsonBytes} bytes of JSON` }];
  }
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString("utf8").replace(/^\uFEFF/, ""));
  } catch (error) {
    return [{ kind: "malformed", file, problem: `not valid JSON: ${errorMessage(error)}` }];
  }
  // Checked before anything walks the value recursively (JSON.stringify, the parsers, the evaluators).
  if (jsonDepth(data, limits.depth) > limits.depth) {
    return [{ kind: "malformed", file, problem: `JSON nested deeper than ${limits.depth} levels` }];
  }
  const each = (list: unknown[], container: "Records" | ""): ReplayItem[] =>
    list.map((event, index) =>
      isObject(event)
        ? { kind: "event", file, index, record: `${container}[${index}]`, event }
        : {
            kind: "malformed",
            file,
            index,
            record: `${container}[${index}]`,
            problem: `${describeJson(event)} is not an event object`,
          },
    );
  if (Array.isArray(data)) return each(data, "");
  if (!isObject(data)) {
    return [{ kind: "malformed", file, problem: "not a CloudTrail log file, EventBridge event or CloudTrail record" }];
  }
  if ("Records" in data) {
    if (!Array.isArray(data.Records)) return [{ kind: "malformed", file, problem: "Records is not an array" }];
    return each(data.Records, "Records");
  }
  if ("digestStartTime" in data && "logFiles" in data) {
    return [{ kind: "skipped", file, note: "a CloudTrail digest file (integrity hashes, no events)" }];
  }
  return [{ kind: "event", file, event: data }];
}

/** How an item is named in messages: the file, and the record's position when the file holds several. */
export function where(item: { file: string; record?: string }): string {
  return item.record === undefined ? item.file : `${item.file} ${item.record}`;
}

/** A short description of a JSON value for a message, without serializing all of it. */
function describeJson(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  return String(value);
}
