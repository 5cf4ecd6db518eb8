import { z } from "zod";
import { ConfigError } from "../runtime/errors.js";
import { CONTROL_IDS, type ControlId, DEFAULT_MODES, MODES } from "./controls.js";

/**
 * The one configuration schema. `cdk synth` parses the `efsGuard` context with it (a bad value fails the synth),
 * the stack passes the parsed result to every function as EFS_GUARD_CONFIG, and each function parses it again at
 * init so a hand-edited environment fails fast instead of acting on a half-understood setting.
 */

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const IPV6_CIDR = /^[0-9a-fA-F:]+\/(\d{1,3})$/;
const PREFIX_LIST = /^pl-[0-9a-f]{8,17}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

function isCidrOrPrefixList(value: string): boolean {
  const v4 = IPV4_CIDR.exec(value);
  if (v4) return v4.slice(1, 5).every((o) => Number(o) <= 255) && Number(v4[5]) <= 32;
  const v6 = IPV6_CIDR.exec(value);
  if (v6) return Number(v6[1]) <= 128 && value.includes(":");
  return PREFIX_LIST.test(value);
}

const modeSchema = z.enum(MODES);

const modesSchema = z
  .object(
    Object.fromEntries(CONTROL_IDS.map((id) => [id, modeSchema.default(DEFAULT_MODES[id])])) as Record<
      ControlId,
      z.ZodDefault<typeof modeSchema>
    >,
  )
  .strict();

/** Durations are written the way operators say them: 7d, 36h, 90m. */
const durationSchema = z
  .string()
  .regex(/^\d+[dhm]$/, "a duration such as 7d, 36h or 90m")
  .refine((v) => durationToSeconds(v) >= 300 && durationToSeconds(v) <= 365 * 86400, "between 5m and 365d");

export function durationToSeconds(value: string): number {
  const n = Number(value.slice(0, -1));
  const unit = value.at(-1);
  return n * (unit === "d" ? 86400 : unit === "h" ? 3600 : 60);
}

export const configSchema = z
  .object({
    modes: modesSchema.default(() => ({ ...DEFAULT_MODES })),
    dryRun: z.boolean().default(false),
    allowedNfsSources: z
      .union([
        z.literal("vpc"),
        z
          .array(z.string().refine(isCidrOrPrefixList, "a CIDR block (IPv4 or IPv6) or a prefix list id (pl-...)"))
          .min(1),
      ])
      .default("vpc"),
    requireCustomerManagedKey: z.boolean().default(true),
    kmsKeyArn: z.string().regex(KMS_KEY_ARN, "a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/UUID)").optional(),
    rotationPeriodInDays: z.number().int().min(90).max(2560).default(365),
    migrationStrategy: z.enum(["replication", "restore"]).default("replication"),
    approvalTimeout: durationSchema.default("7d"),
    alertEmails: z.array(z.email()).default([]),
    chatbot: z
      .object({
        slackWorkspaceId: z.string().regex(/^[A-Z0-9]+$/, "a Slack workspace (team) id such as T012ABCDEF"),
        slackChannelId: z.string().regex(/^[A-Z0-9]+$/, "a Slack channel id such as C012ABCDEF"),
      })
      .strict()
      .optional(),
    sweepSchedule: z
      .string()
      .regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/, "rate(...) or cron(...)")
      .default("rate(1 day)"),
    regions: z.array(z.string().regex(REGION, "an AWS region name such as eu-west-1")).default([]),
    exemptTagKey: z.string().min(1).max(128).default("efs-guard:exempt"),
    exemptUntilTagKey: z.string().min(1).max(128).default("efs-guard:exempt-until"),
  })
  .strict();

export type GuardConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const path = issue.path.length > 0 ? issue.path.join(".") : "(root)";
  let value: unknown = input;
  for (const key of issue.path) {
    value = value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  const shown = value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
  if (issue.code === "unrecognized_keys") {
    return `${path}: unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
  }
  return `${path}${shown}: ${issue.message}`;
}

/** Parses and validates; throws ConfigError naming each bad key, its value and what is allowed. */
export function parseConfig(input: unknown): GuardConfig {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, input)));
  }
  return result.data;
}

export const CONFIG_ENV = "EFS_GUARD_CONFIG";

/** Reads the configuration the stack put in the function's environment. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): GuardConfig {
  const raw = env[CONFIG_ENV];
  if (raw === undefined || raw === "") return parseConfig({});
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError([`${CONFIG_ENV} is not valid JSON`]);
  }
  return parseConfig(parsed);
}
