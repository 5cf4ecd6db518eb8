import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type GuardConfig, parseConfig } from "../shared/config/schema.js";
import { errorMessage } from "../shared/runtime/errors.js";
import { UsageError } from "./args.js";

export interface LoadedConfig {
  config: GuardConfig;
  /** Where it came from, said in the output: "config.json", "cdk.json (context efsGuard)" or "defaults". */
  source: string;
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${errorMessage(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${errorMessage(error)}`);
  }
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
