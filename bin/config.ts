import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { type GuardConfig, parseConfig } from "../shared/config/schema.js";
import { errorMessage } from "../shared/runtime/errors.js";
import { UsageError } from "./args.js";
import { jsonDepth, readBounded } from "./bounded-read.js";

/** A configuration (or cdk.json) is a few kB; anything past 1 MiB or 64 levels is not one. */
export const CONFIG_LIMITS = { bytes: 2 ** 20, depth: 64 } as const;

export interface LoadedConfig {
  config: GuardConfig;
  /** Where it came from, said in the output: "config.json", "cdk.json (context efsGuard)" or "defaults". */
  source: string;
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readBounded(path, CONFIG_LIMITS.bytes).toString("utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${errorMessage(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${errorMessage(error)}`);
  }
  if (jsonDepth(parsed, CONFIG_LIMITS.depth) > CONFIG_LIMITS.depth) {
    throw new UsageError(`${what} ${path} is nested deeper than ${CONFIG_LIMITS.depth} levels`);
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

/**
 * The CLI takes the same configuration as the deployed stack, validated by the same schema: `--config FILE` (the
 * efsGuard object itself), else the `efsGuard` context of ./cdk.json when there is one (what `cdk deploy` would
 * use from this directory), else the defaults.
 */
export function loadConfig(file: string | undefined, cwd = process.cwd()): LoadedConfig {
  if (file !== undefined) return validated(readJson(resolve(cwd, file), "config file"), file);
  const cdkJson = resolve(cwd, "cdk.json");
  if (existsSync(cdkJson)) {
    const cdk = readJson(cdkJson, "cdk.json") as { context?: { efsGuard?: unknown } } | null;
    const context = cdk?.context?.efsGuard;
    if (context !== undefined) return validated(context, "cdk.json (context efsGuard)");
  }
  return validated({}, "defaults");
}
