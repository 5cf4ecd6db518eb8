import { loadConfig } from "../config/runtime.js";
import type { GuardConfig } from "../config/schema.js";
import { type Clock, systemClock } from "../runtime/clock.js";
import { ConfigError, GuardError } from "../runtime/errors.js";
import { RECORD_TAG } from "./record.js";
import {
  ERRORS,
  MIGRATED_FROM_TAG,
  MIGRATION_TAG,
  type MigrationState,
  MigrationStepError,
  type MigrationTarget,
  REPLACEMENT_TAG,
  type SourceSnapshot,
} from "./types.js";

/**
 * What every migration step gets: the configuration, the clock and the stack's values. Each step also gets the SDK
 * clients it uses, and only those (a factory per region, created once per container): the step functions bundle
 * only their own clients, which keeps them inside the bundle budget (bench/budgets.json).
 */
export interface MigrationBase {
  config: GuardConfig;
  clock: Clock;
  topicArn: string;
  /** Where the stack (and its state machine) runs. */
  homeRegion: string;
  /** The home region's migration key (the stack's, or `kmsKeyArn`). */
  kmsKeyArn: string;
  backupRoleArn: string;
}

export type PerRegion<C> = (region: string) => C;

export const MIGRATION_ENV_KEYS = {
  kmsKeyArn: "MIGRATION_KMS_KEY_ARN",
  backupRoleArn: "MIGRATION_BACKUP_ROLE_ARN",
} as const;

/** The stack's values from the function's environment, validated at init (fail fast). */
export async function migrationBaseFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<MigrationBase> {
  const config = await loadConfig(env);
  const missing = [
    "ALERTS_TOPIC_ARN",
    "AWS_REGION",
    MIGRATION_ENV_KEYS.kmsKeyArn,
    MIGRATION_ENV_KEYS.backupRoleArn,
  ].filter((k) => !env[k]);
  if (missing.length > 0) throw new ConfigError(missing.map((k) => `${k} is not set`));
  return {
    config,
    clock: systemClock,
    topicArn: env.ALERTS_TOPIC_ARN!,
    homeRegion: env.AWS_REGION!,
    kmsKeyArn: env[MIGRATION_ENV_KEYS.kmsKeyArn]!,
    backupRoleArn: env[MIGRATION_ENV_KEYS.backupRoleArn]!,
  };
}

export function keyId(arnOrId: string | undefined): string | undefined {
  return arnOrId?.split("/").at(-1);
}

export interface StepEvent {
  state: MigrationState;
  executionArn: string;
}

export function executionName(executionArn: string): string {
  return executionArn.split(":").at(-1) ?? executionArn;
}

/** AWS errors a later attempt may not meet become the error the state machine retries (with backoff). */
export async function step<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof GuardError && error.retryable) throw new MigrationStepError(ERRORS.retryable, error.message);
    throw error;
  }
}

export function refuse(message: string): never {
  throw new MigrationStepError(ERRORS.refused, message);
}

export function requireSource(state: MigrationState): SourceSnapshot {
  if (!state.source) throw new Error("the source was not captured");
  return state.source;
}

export function requireTarget(state: MigrationState): MigrationTarget {
  if (!state.target) throw new Error("the migration target (region, key, vault) was not resolved");
  return state.target;
}

/** The replacement, once recreate (or describeRestore) recorded it. */
export function destinationOf(state: MigrationState): MigrationState["destination"] & { fileSystemId: string } {
  const d = state.destination;
  if (!d?.fileSystemId) throw new Error("no replacement file system recorded");
  return { ...d, fileSystemId: d.fileSystemId };
}

export function withoutAwsTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith("aws:")));
}

/** The replacement's tags: the source's (not AWS's, not the replacement marker) plus the two provenance tags. */
export function replacementTags(source: SourceSnapshot, createdBy: string): Record<string, string> {
  const tags: Record<string, string> = {
    ...withoutAwsTags(source.tags),
    [MIGRATION_TAG]: createdBy,
    [MIGRATED_FROM_TAG]: source.fileSystemId,
  };
  delete tags[REPLACEMENT_TAG];
  delete tags[RECORD_TAG];
  return tags;
}

/** What the steps after recreate work on: the source, the region's target and the replacement, in that region. */
export function replacementContext<C>(event: StepEvent, efs: PerRegion<C>) {
  const { state } = event;
  const source = requireSource(state);
  const target = requireTarget(state);
  const destination = destinationOf(state);
  return { state, source, target, destination, dst: destination.fileSystemId, efs: efs(target.region) };
}
