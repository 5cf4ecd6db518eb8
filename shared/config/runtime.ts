import { createHash } from "node:crypto";
import type { GuardConfig } from "./schema.js";

/**
 * The configuration as a deployed function reads it, without loading the schema when it need not.
 *
 * `cdk synth` validates the `efsGuard` context with the one schema (shared/config/schema.ts) and hands every
 * function the parsed result as EFS_GUARD_CONFIG, with its SHA-256 as EFS_GUARD_CONFIG_SHA256. The schema only adds
 * defaults (no transforms), so parsing its own output gives the same object again (test/unit/config.test.ts checks
 * that): when the digest matches, the text is the one the schema accepted and JSON.parse is the whole work. Anything
 * else (a hand-edited environment, a missing digest) is validated by the same schema at init, failing fast as before.
 *
 * Why: zod's module evaluation, the schema's construction and the parse were the largest part of a function's
 * import beyond the SDK (docs/performance.md); the schema module is imported only on the slow path.
 */
export const CONFIG_ENV = "EFS_GUARD_CONFIG";
export const CONFIG_DIGEST_ENV = "EFS_GUARD_CONFIG_SHA256";

export function configDigest(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The environment variables that carry a configuration validated at synth time. */
export function configEnvironment(config: GuardConfig): Record<string, string> {
  const text = JSON.stringify(config);
  return { [CONFIG_ENV]: text, [CONFIG_DIGEST_ENV]: configDigest(text) };
}

export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<GuardConfig> {
  const text = env[CONFIG_ENV];
  if (text && env[CONFIG_DIGEST_ENV] === configDigest(text)) return JSON.parse(text) as GuardConfig;
  const { configFromEnv } = await import("./schema.js");
  return configFromEnv(env);
}
