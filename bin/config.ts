import { statSync } from "node:fs";
import { resolve } from "node:path";
import { type GuardConfig, parseConfig } from "../shared/config/schema.js";
import { errorMessage } from "../shared/runtime/errors.js";
import { UsageError } from "./args.js";
import { jsonDepth, readBounded } from "./bounded-read.js";
import { fsProblem } from "./fs-problem.js";

/** A configuration (or cdk.json) is a few kB; anything past 1 MiB or 64 levels is not one. */
export const CONFIG_LIMITS = { bytes: 2 ** 20, depth: 64 } as const;

export interface LoadedConfig {
  config: GuardConfig;
  /** Where it came from, said in the output: "config.json", "cdk.json (context efsGuard)" or "defaults". */
  source: string;
}

const EXPECTED = "a JSON file: the efsGuard object, or a cdk.json with an efsGuard context";

function readJson(path: string, shown: string): unknown {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new UsageError(`${shown} does not exist; expected ${EXPECTED}`);
  if (!stat.isFile()) {
    throw new UsageError(
      `${shown} ${stat.isDirectory() ? "is a directory" : "is not a regular file"}; expected ${EXPECTED}`,
    );
  }
  let text: string;
  try {
    text = readBounded(path, CONFIG_LIMITS.bytes).toString("utf8");
  } catch (error) {
    throw new UsageError(fsProblem(error, shown, EXPECTED) ?? `cannot read ${shown}: ${errorMessage(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new UsageError(`${shown} is not valid JSON: ${errorMessage(error)}`);
  }
  if (jsonDepth(parsed, CONFIG_LIMITS.depth) > CONFIG_LIMITS.depth) {
    throw new UsageError(`${shown} is nested deeper than ${CONFIG_LIMITS.depth} levels`);
  }
  return parsed;
}

function validated(input: unknown, source: string): LoadedConfig {
  try {
    return { config: parseConfig(input), source };
  } catch (error) {
    throw new UsageError(`${source}: ${errorMessage(error)}`);
  }
}

/** A cdk.json has "app" or "context" at the top; the efsGuard object (a strict schema) has neither key. */
function isCdkJson(data: unknown): data is { app?: unknown; context?: Record<string, unknown> } {
  return data !== null && typeof data === "object" && !Array.isArray(data) && ("app" in data || "context" in data);
}

/** The efsGuard context of a cdk.json: an object, or the JSON string `cdk -c efsGuard='{...}'` style gives. */
function fromCdkJson(data: { context?: Record<string, unknown> }, shown: string): LoadedConfig {
  const context = data.context?.efsGuard;
  if (context === undefined) return validated({}, `${shown} (no efsGuard context: defaults)`);
  let value = context;
  if (typeof context === "string") {
    try {
      value = JSON.parse(context);
    } catch {
      throw new UsageError(`${shown}: context efsGuard is a string that is not valid JSON`);
    }
  }
  return validated(value, `${shown} (context efsGuard)`);
}

/**
 * One meaning of the configuration for every command, validated by the same schema as `cdk synth`:
 * `--config FILE` is either the efsGuard object itself or a cdk.json (detected by its "app" / "context" keys,
 * whose context efsGuard is then taken); without it, the efsGuard context of ./cdk.json when there is one (what
 * `cdk deploy` would use from this directory), else the defaults.
 */
export function loadConfig(file: string | undefined, cwd = process.cwd()): LoadedConfig {
  if (file !== undefined) {
    const data = readJson(resolve(cwd, file), file);
    return isCdkJson(data) ? fromCdkJson(data, file) : validated(data, file);
  }
  const cdkJson = resolve(cwd, "cdk.json");
  if (statSync(cdkJson, { throwIfNoEntry: false })) {
    const data = readJson(cdkJson, "cdk.json");
    if (isCdkJson(data) && data.context?.efsGuard !== undefined) return fromCdkJson(data, "cdk.json");
  }
  return validated({}, "defaults");
}
