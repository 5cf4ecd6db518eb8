import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { ConfigError } from "../runtime/errors.js";
import {
  CONTROL_IDS,
  type ControlId,
  DEFAULT_MODES,
  GUARD_TAG_PREFIX,
  MODES,
  NOT_YET_EVALUATED,
  REMEDIABLE,
} from "./controls.js";
import { CONFIG_ENV } from "./runtime.js";

// zod/mini (same validation as classic zod, functional API) keeps the function bundles small: classic zod's
// method-chaining classes defeat tree-shaking and cost about 440 kB minified per function (see bench/). Mini
// ships without messages; the English locale gives the same texts classic zod prints. The configuration is parsed
// once per container, so compiling a fast parser for it (zod's JIT, which uses eval) would only add init time.
z.config({ ...en(), jitless: true });

/**
 * The one configuration schema. `cdk synth` parses the `efsGuard` context with it (a bad value fails the synth),
 * the stack passes the parsed result to every function as EFS_GUARD_CONFIG with its digest, and a function whose
 * environment does not match the digest (edited by hand) parses it again at init, so it fails fast instead of acting
 * on a half-understood setting (shared/config/runtime.ts).
 */

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const IPV6_CIDR = /^[0-9a-fA-F:]+\/(\d{1,3})$/;
const PREFIX_LIST = /^pl-[0-9a-f]{8,17}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ACCOUNT_ID = /^\d{12}$/;
/** An integer setting in [min, max] with its default (one helper: each spelled out costs every bundle ~25 bytes). */
const integer = (min: number, max: number, fallback: number) =>
  z._default(z.number().check(z.int(), z.minimum(min), z.maximum(max)), fallback);
const sweepLimit = integer(1, 32, 4);
/**
 * Who may answer approvals: an account id (any principal of that account that IAM lets assume the approver role),
 * or the ARN of an IAM role or user, `*` allowed in its path and name (IAM Identity Center's permission-set roles are
 * arn:aws:iam::ACCOUNT:role/aws-reserved/sso.amazonaws.com/REGION/AWSReservedSSO_NAME_SUFFIX).
 */
const APPROVER = /^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/*-]{1,512})$/;
/** A calendar date or a UTC instant, in ISO 8601's extended form, and nothing else (no "Tue Dec 31 2099"). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z)?$/;

export function isIsoDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false;
  const time = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  // Date.parse rolls 2026-02-30 over to March; the round trip catches it.
  return !Number.isNaN(time) && new Date(time).toISOString().startsWith(value.slice(0, 10));
}
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
/**
 * The security role of the guardrails, as an SCP names it: the account may be `*` (the same role name in every
 * member account); the path and name may not hold a wildcard, since ArnNotLike would then exempt whoever can create
 * a role whose name matches (e.g. role/* exempts everyone).
 */
const SECURITY_ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|\*):role\/[\w+=,.@/-]{1,512}$/;
/** An AWS Organizations root (r-...) or organizational unit (ou-...) id, as Organizations' API documents them. */
const ORG_TARGET = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;

function isCidrOrPrefixList(value: string): boolean {
  const v4 = IPV4_CIDR.exec(value);
  if (v4) return v4.slice(1, 5).every((o) => Number(o) <= 255) && Number(v4[5]) <= 32;
  const v6 = IPV6_CIDR.exec(value);
  if (v6) return Number(v6[1]) <= 128 && value.includes(":");
  return PREFIX_LIST.test(value);
}

const modeSchema = z.enum(MODES);

/** A control without an automatic remediation takes off or alert; remediate is refused with the reason. */
function modeOf(id: ControlId) {
  const mode = NOT_YET_EVALUATED.has(id)
    ? modeSchema.check(
        z.refine((v) => v === "off", `${id} is not evaluated yet (issue 15): only "off" is accepted until it is`),
      )
    : REMEDIABLE[id]
      ? modeSchema
      : modeSchema.check(
          z.refine(
            (v) => v !== "remediate",
            `${id} is alert-only: it has no automatic remediation, so "remediate" cannot apply; allowed: "off", "alert"`,
          ),
        );
  return z._default(mode, DEFAULT_MODES[id]);
}

const modesSchema = z.strictObject(
  Object.fromEntries(CONTROL_IDS.map((id) => [id, modeOf(id)])) as Record<
    ControlId,
    z.ZodMiniDefault<typeof modeSchema>
  >,
);

/** Durations are written the way operators say them: 7d, 36h, 90m. */
const durationSchema = z.string().check(
  z.regex(/^\d+[dhm]$/, "a duration such as 7d, 36h or 90m"),
  z.refine((v) => durationToSeconds(v) >= 300 && durationToSeconds(v) <= 365 * 86400, "between 5m and 365d"),
);

/**
 * Exemption tag keys live in the `efs-guard:` namespace: the tag-change rules match that prefix, and the SCP in
 * docs/exemptions.md keeps the whole namespace to the security role. A key outside it would escape both.
 */
const guardTagKey = z.string().check(
  z.maxLength(128),
  z.refine(
    (v) => v.startsWith(GUARD_TAG_PREFIX) && v.length > GUARD_TAG_PREFIX.length,
    `a tag key in the ${GUARD_TAG_PREFIX} namespace (what the tag-change rules watch and the SCP protects)`,
  ),
);

export function durationToSeconds(value: string): number {
  const n = Number(value.slice(0, -1));
  const unit = value.at(-1);
  return n * (unit === "d" ? 86400 : unit === "h" ? 3600 : 60);
}

export const configSchema = z
  .strictObject({
    modes: z._default(modesSchema, () => ({ ...DEFAULT_MODES })),
    dryRun: z._default(z.boolean(), false),
    allowedNfsSources: z._default(
      z.union([
        z.literal("vpc"),
        z
          .array(
            z.string().check(z.refine(isCidrOrPrefixList, "a CIDR block (IPv4 or IPv6) or a prefix list id (pl-...)")),
          )
          .check(z.minLength(1)),
      ]),
      "vpc",
    ),
    requireCustomerManagedKey: z._default(z.boolean(), true),
    kmsKeyArn: z.optional(
      z.string().check(z.regex(KMS_KEY_ARN, "a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/UUID)")),
    ),
    rotationPeriodInDays: integer(90, 2560, 365),
    /** Keys for migrations in the other `regions` (a key must be in its file systems' region); see docs/migration.md. */
    regionKmsKeyArns: z._default(
      z
        .record(z.string().check(z.regex(REGION, "an AWS region name such as eu-west-1")), z.string())
        .check(
          z.refine(
            (keys) =>
              Object.entries(keys).every(([region, arn]) => KMS_KEY_ARN.test(arn) && arn.split(":")[3] === region),
            "each value must be a KMS key ARN in the region it is listed under",
          ),
        ),
      {},
    ),
    migrationStrategy: z._default(z.enum(["replication", "restore"]), "replication"),
    /** How long AWS Backup keeps a migration's safety backup before deleting it (its recovery point lifecycle). */
    safetyBackupRetentionDays: integer(1, 36500, 35),
    /**
     * The one IAM role that may delete a safety backup or shorten its lifecycle (the vault's access policy denies it to
     * every other principal). Unset: nobody may; the backups expire after safetyBackupRetentionDays.
     */
    safetyBackupAdminRoleArn: z.optional(
      z.string().check(z.regex(ROLE_ARN, "an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")),
    ),
    approvalTimeout: z._default(durationSchema, "7d"),
    approvers: z._default(
      z.array(
        z
          .string()
          .check(
            z.regex(
              APPROVER,
              "an account id (123456789012) or the ARN of an IAM role or user, * allowed in the name (arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Approvers_*)",
            ),
          ),
      ),
      [],
    ),
    requireSeparateApprover: z._default(z.boolean(), true),
    observeDays: integer(0, 90, 7),
    observeUntil: z.optional(
      z.string().check(z.refine(isIsoDate, "an ISO 8601 date or UTC time, e.g. 2026-07-01 or 2026-07-01T09:00:00Z")),
    ),
    alertEmails: z._default(z.array(z.email()), []),
    chatbot: z.optional(
      z.strictObject({
        slackWorkspaceId: z.string().check(z.regex(/^[A-Z0-9]+$/, "a Slack workspace (team) id such as T012ABCDEF")),
        slackChannelId: z.string().check(z.regex(/^[A-Z0-9]+$/, "a Slack channel id such as C012ABCDEF")),
      }),
    ),
    sweepSchedule: z._default(
      z
        .string()
        .check(z.regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/, "rate(...) or cron(...)")),
      "rate(1 day)",
    ),
    regions: z._default(z.array(z.string().check(z.regex(REGION, "an AWS region name such as eu-west-1"))), []),
    /**
     * Resources the sweep (and `scan`) assesses at once, per service its guard reads most (file systems: EFS,
     * groups: EC2, keys: KMS), so that a large region stays inside each API's rate (docs/performance.md).
     */
    sweepConcurrency: z._default(z.strictObject({ efs: sweepLimit, ec2: sweepLimit, kms: sweepLimit }), {
      efs: 4,
      ec2: 4,
      kms: 4,
    }),
    /**
     * The split of a large region on Step Functions Distributed Map (docs/performance.md): a region with more file
     * systems than `fileSystemsPerItem` is swept by the state machine efs-guard-sweep, one child invocation per
     * item of that many file systems (rounded down to whole DescribeFileSystems pages of 100), at most `maxConcurrency`
     * children at once; a smaller region stays one invocation of the sweep function.
     */
    sweepMap: z._default(
      z.strictObject({ fileSystemsPerItem: integer(100, 100_000, 2000), maxConcurrency: integer(1, 1000, 4) }),
      { fileSystemsPerItem: 2000, maxConcurrency: 4 },
    ),
    /**
     * Other accounts whose customer managed keys encrypt file systems here (a central key account). The key guard
     * reads those keys across accounts with the two calls KMS allows across accounts (DescribeKey,
     * GetKeyRotationStatus; the key policy must grant them to the guard's roles) and alerts on them, never writes
     * them. A key of an account not listed is reported as not assessable, without a call.
     */
    keyAccounts: z._default(z.array(z.string().check(z.regex(ACCOUNT_ID, "a 12-digit AWS account id"))), []),
    exemptTagKey: z._default(guardTagKey, "efs-guard:exempt"),
    exemptUntilTagKey: z._default(guardTagKey, "efs-guard:exempt-until"),
    maxExemptionDays: integer(1, 3650, 90),
    /**
     * Identical alerts (same control, resource, outcome, account, region, change and facts) within this many
     * minutes are merged into the first one, with a count; 0 delivers every alert as it comes (no dedup table).
     */
    alertDedupWindowMinutes: integer(0, 1440, 60),
    /** Every finding also goes to AWS Security Hub (ASFF, the account's default product); off by default. */
    securityHub: z._default(z.boolean(), false),
    /**
     * efs-tls-enforced: "unless-clients-break" (default) looks up the active ECS task definitions that mount the
     * file system without TLS before writing the TLS deny into the policy of a file system with mount targets, and
     * alerts with their ARNs instead of writing; "always" writes regardless.
     */
    tlsEnforcement: z._default(z.enum(["always", "unless-clients-break"]), "unless-clients-break"),
    /**
     * The most active task definitions that one TLS enforcement describes (DescribeTaskDefinition is one call per
     * task definition; docs/performance.md). Beyond it the check is incomplete and the deny is not written.
     */
    tlsClientCheckLimit: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(10_000)), 500),
    /**
     * efs-key-policy-restricted: accounts besides the key's own that a key policy may grant data-plane KMS actions
     * (kms:Decrypt, kms:ReEncrypt*, kms:CreateGrant) to.
     */
    trustedAccounts: z._default(z.array(z.string().check(z.regex(ACCOUNT_ID, "a 12-digit AWS account id"))), []),
    /**
     * The AWS Organization (docs/organizations.md). With `organizationId`, the stack is the hub: the efs-guard bus,
     * its rules, and the member StackSet on organizationalUnitIds x regions. With `guardrails.attach`, the stack
     * attaches the guardrail SCP (`efs-guard guardrails`) to organizationalUnitIds; deploy it then in the management
     * account or a delegated administrator for policies. sweepConcurrency is validated now and used by the
     * organization sweep.
     */
    organization: z.optional(
      z
        .strictObject({
          /**
           * The organization's id (o-...). It turns the hub on: the efs-guard bus accepts events only from this
           * organization (aws:PrincipalOrgID), and the member StackSet is synthesized (infra/constructs/hub.ts).
           * Without it, the block only configures the guardrails.
           */
          organizationId: z.optional(
            z.string().check(z.regex(/^o-[a-z0-9]{10,32}$/, "an AWS Organizations id (o- and 10 to 32 characters)")),
          ),
          /**
           * Who deploys the StackSet (AWS::CloudFormation::StackSet CallAs): the hub is usually a delegated
           * administrator for CloudFormation StackSets (DELEGATED_ADMIN), or the management account itself (SELF).
           */
          callAs: z._default(z.enum(["DELEGATED_ADMIN", "SELF"]), "DELEGATED_ADMIN"),
          /**
           * The member role's name. The migration's two member roles are named after it (shared/migration/member.ts:
           * `<name>-migration`, `<name>-backup`), so it keeps 10 of IAM's 64 characters for the suffix.
           */
          memberRoleName: z._default(
            z
              .string()
              .check(
                z.regex(
                  /^[\w+=,.@-]{1,54}$/,
                  "an IAM role name (up to 54 characters, no path; the migration's roles add -migration)",
                ),
              ),
            "efs-guard-member",
          ),
          organizationalUnitIds: z._default(
            z.array(
              z
                .string()
                .check(z.regex(ORG_TARGET, "an organizational unit id (ou-xxxx-xxxxxxxx) or the root id (r-xxxx)")),
            ),
            [],
          ),
          regions: z._default(z.array(z.string().check(z.regex(REGION, "an AWS region name such as eu-west-1"))), []),
          sweepConcurrency: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(1000)), 20),
          /**
           * The member accounts to cover, instead of Organizations ListAccounts (which only the management account
           * or a delegated administrator may call): `efs-guard scan --org` scans these. Empty: ListAccounts.
           * When set, the hub's event functions act in these accounts only (others: ignored, no AssumeRole).
           */
          accounts: z._default(z.array(z.string().check(z.regex(/^\d{12}$/, "a 12-digit AWS account id"))), []),
          guardrails: z._default(
            z.strictObject({
              attach: z._default(z.boolean(), false),
              securityRoleArn: z._default(
                z
                  .string()
                  .check(
                    z.regex(
                      SECURITY_ROLE_ARN,
                      "an IAM role ARN without wildcards in its name; the account may be * (arn:aws:iam::*:role/EfsGuardExemptions)",
                    ),
                  ),
                "arn:aws:iam::*:role/EfsGuardExemptions",
              ),
            }),
            () => ({ attach: false, securityRoleArn: "arn:aws:iam::*:role/EfsGuardExemptions" }),
          ),
        })
        .check(
          z.refine((org) => !org.guardrails.attach || org.organizationalUnitIds.length > 0, {
            message: "guardrails.attach needs the organizationalUnitIds (or root id) to attach the SCP to",
            path: ["guardrails", "attach"],
          }),
          z.refine((org) => org.organizationId === undefined || org.organizationalUnitIds.length > 0, {
            message:
              "organizationId (the hub) needs the organizationalUnitIds (or root id) the member StackSet deploys to",
            path: ["organizationalUnitIds"],
          }),
        ),
    ),
  })
  .check(
    z.refine((config) => Object.keys(config.regionKmsKeyArns).every((region) => config.regions.includes(region)), {
      message: "list keys only for regions that are in `regions` (the home region's key is kmsKeyArn)",
      path: ["regionKmsKeyArns"],
    }),
  );

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
    const keys = issue.keys.map((k) => JSON.stringify(k)).join(", ");
    // Under modes the keys are control ids: list the valid ones, since a typo there is the usual cause.
    if (path === "modes") return `modes: unknown control id(s) ${keys}; valid control ids: ${CONTROL_IDS.join(", ")}`;
    return `${path}: unknown key(s) ${keys}`;
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

/** Reads and validates the configuration in a function's environment (shared/config/runtime.ts decides when). */
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

export { CONFIG_ENV };
