import { EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand, type Rule } from "@aws-sdk/client-eventbridge";
import { GetDetectorCommand, GuardDutyClient, ListDetectorsCommand } from "@aws-sdk/client-guardduty";
import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  type CheckStatus,
  type DetectorFacts,
  judgeGuardDuty,
  judgeKey,
  judgeKmsAudit,
  judgeTrails,
  type TrailFacts,
} from "../doctor/evaluate.js";
import { SOURCES } from "../events/triggers.js";
import { AwsCallError } from "../runtime/errors.js";
import { trailsRecording } from "./cloudtrail.js";
import { awsErrorCode, call, causeDetail } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";
import { callerIdentity } from "./sts.js";

/**
 * `efs-guard doctor`: checks, for the current account, the prerequisites a deployment relies on instead of assuming
 * them. Reads only (Describe/Get/List); the judgements are pure (shared/doctor/evaluate.ts).
 */

// KMS and EventBridge reads used only here; the guards' own KMS/EventBridge modules keep their write paths.
const kmsClient = perRegion((region) => new KMSClient(clientConfig(region)));
const eventsClient = perRegion((region) => new EventBridgeClient(clientConfig(region)));
const guardDutyClient = perRegion((region) => new GuardDutyClient(clientConfig(region)));

/** Every GuardDuty detector of the region (one per account and region in practice) and its status. */
async function detectors(region: string): Promise<DetectorFacts[]> {
  const ids: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await call("guardduty:ListDetectors", () =>
      guardDutyClient(region).send(new ListDetectorsCommand({ NextToken })),
    );
    ids.push(...(page.DetectorIds ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return Promise.all(
    ids.map(async (id) => {
      const detector = await call("guardduty:GetDetector", () =>
        guardDutyClient(region).send(new GetDetectorCommand({ DetectorId: id })),
      );
      return { id, status: detector.Status };
    }),
  );
}

export interface CheckResult {
  check: string;
  region: string;
  status: CheckStatus;
  detail: string;
}

export interface DoctorOptions {
  /** Home region first, then the regions that forward to it. */
  regions: string[];
  kmsKeyArn?: string;
  /** The configured migration keys of the other regions (`regionKmsKeyArns`). */
  regionKmsKeyArns?: Record<string, string>;
  /** CloudFormation stack name of the home stack; forwarders are `${stackName}Forwarder-REGION`. */
  stackName: string;
}

/** The endpoint could not be reached at all: no check can be judged (exit code 2, not a failed check). */
export class UnreachableError extends Error {
  constructor(cause: unknown) {
    super(`cannot reach AWS (${process.env.AWS_ENDPOINT_URL ?? "the regional endpoints"}): ${reach(cause)}`, {
      cause,
    });
    this.name = "UnreachableError";
  }
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "TimeoutError"]);
const CREDENTIAL_CODES = new Set([
  "CredentialsProviderError",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "ExpiredToken",
  "ExpiredTokenException",
  "SignatureDoesNotMatch",
  "InvalidSignatureException",
  "AccessDenied",
  "AccessDeniedException",
]);

type ErrorLike = { code?: string; message?: string; cause?: { code?: string } } | undefined;

/** The SDK error behind an AwsCallError, and the codes it carries (service code, errno, nested errno). */
function codesOf(error: unknown): { sdk: ErrorLike; codes: string[] } {
  const sdk = (error instanceof AwsCallError ? error.cause : error) as ErrorLike;
  const codes = [awsErrorCode(sdk), sdk?.code, sdk?.cause?.code].filter((c): c is string => typeof c === "string");
  return { sdk, codes: [...new Set(codes)] };
}

function describe(error: unknown): string {
  const { sdk, codes } = codesOf(error);
  return [...codes, sdk?.message].filter(Boolean).join(": ");
}

/** The error's codes, and for a timeout how long the SDK waited (shared/aws/errors.ts causeDetail). */
function reach(error: unknown): string {
  const { codes } = codesOf(error);
  return [...codes.filter((c) => c !== "TimeoutError"), causeDetail(error)].join(": ");
}

function isNetwork(error: unknown): boolean {
  return codesOf(error).codes.some((c) => NETWORK_CODES.has(c));
}

/** Runs one check; an AWS error becomes a failed row (with the code), an unreachable endpoint aborts the run. */
async function checked(
  check: string,
  region: string,
  work: () => Promise<{ status: CheckStatus; detail: string }>,
): Promise<CheckResult> {
  try {
    return { check, region, ...(await work()) };
  } catch (error) {
    if (isNetwork(error)) throw new UnreachableError(error);
    return { check, region, status: "fail", detail: describe(error) };
  }
}

async function keyFacts(arn: string, region: string) {
  const kms = kmsClient(region);
  const d = await call("kms:DescribeKey", () => kms.send(new DescribeKeyCommand({ KeyId: arn })));
  const rotation = await call("kms:GetKeyRotationStatus", () =>
    kms.send(new GetKeyRotationStatusCommand({ KeyId: d.KeyMetadata?.KeyId ?? arn })),
  );
  const policy = await call("kms:GetKeyPolicy", () =>
    kms.send(new GetKeyPolicyCommand({ KeyId: d.KeyMetadata?.KeyId ?? arn, PolicyName: "default" })),
  );
  return {
    arn,
    keyState: d.KeyMetadata?.KeyState,
    keyManager: d.KeyMetadata?.KeyManager,
    keySpec: d.KeyMetadata?.KeySpec,
    keyUsage: d.KeyMetadata?.KeyUsage,
    rotationEnabled: rotation.KeyRotationEnabled,
    policy: policy.Policy,
  };
}

async function rulesWithPrefix(region: string, prefix: string): Promise<Rule[]> {
  const rules: Rule[] = [];
  let NextToken: string | undefined;
  do {
    const page = await call("events:ListRules", () =>
      eventsClient(region).send(new ListRulesCommand({ NamePrefix: prefix, NextToken })),
    );
    rules.push(...(page.Rules ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return rules;
}

/**
 * The deployed stack, if any: CloudFormation names its rules `${stack}-${logicalId}-${suffix}`. Each must be enabled
 * and every target must have a dead-letter queue. Not deployed is reported, not failed (the check is optional).
 */
async function judgeDeployed(region: string, stack: string): Promise<{ status: CheckStatus; detail: string }> {
  const rules = await rulesWithPrefix(region, `${stack}-`);
  if (rules.length === 0) return { status: "info", detail: `not deployed here (no EventBridge rule named ${stack}-*)` };
  const problems: string[] = [];
  for (const rule of rules) {
    if (rule.State !== "ENABLED") problems.push(`${rule.Name} is ${rule.State}`);
    const targets = await call("events:ListTargetsByRule", () =>
      eventsClient(region).send(new ListTargetsByRuleCommand({ Rule: rule.Name })),
    );
    if ((targets.Targets ?? []).length === 0) problems.push(`${rule.Name} has no target`);
    for (const t of targets.Targets ?? []) {
      if (!t.DeadLetterConfig?.Arn) problems.push(`${rule.Name} target ${t.Id} has no dead-letter queue`);
    }
  }
  if (problems.length > 0) return { status: "fail", detail: problems.join("; ") };
  return {
    status: "pass",
    detail: `${rules.length} rules of ${stack}, enabled, every target with a dead-letter queue`,
  };
}

const WATCHED_SOURCES = Object.values(SOURCES);

export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const [home, ...others] = options.regions;
  if (!home) throw new Error("no region: set AWS_REGION or pass --region");
  const results: CheckResult[] = [];

  // Credentials first: without them every other call fails for the same reason.
  let account = "";
  const identity = await checked("credentials", home, async () => {
    const id = await callerIdentity(home);
    account = id.account;
    return { status: "pass", detail: `account ${id.account} as ${id.arn}` };
  });
  if (identity.status === "fail") {
    const code = identity.detail.split(":")[0] ?? "";
    identity.detail = `${identity.detail}${CREDENTIAL_CODES.has(code) ? " (configure credentials: AWS_PROFILE, or the standard AWS_* variables)" : ""}`;
    return [identity];
  }
  results.push(identity);

  for (const region of options.regions) {
    let trails: TrailFacts[] | undefined;
    results.push(
      await checked("cloudtrail trail", region, async () => {
        trails = await trailsRecording(region);
        return judgeTrails(region, trails, WATCHED_SOURCES);
      }),
    );
    // The same trails, read once: do they also record KMS read events (kms:Decrypt of the file systems' keys)?
    results.push(
      await checked("cloudtrail kms reads", region, async () =>
        judgeKmsAudit(region, trails ?? (await trailsRecording(region)), WATCHED_SOURCES),
      ),
    );
  }
  for (const region of options.regions) {
    results.push(await checked("guardduty", region, async () => judgeGuardDuty(region, await detectors(region))));
  }

  results.push(
    await checked("migration key (kmsKeyArn)", home, async () => {
      if (!options.kmsKeyArn) {
        return { status: "info", detail: "not configured: the migration workflow uses a key created by the stack" };
      }
      const arnAccount = options.kmsKeyArn.split(":")[4];
      const verdict = judgeKey(await keyFacts(options.kmsKeyArn, home), home);
      if (arnAccount && arnAccount !== account && verdict.status === "pass") {
        return {
          status: "warn",
          detail: `${verdict.detail}; the key belongs to account ${arnAccount}, not ${account}`,
        };
      }
      return verdict;
    }),
  );

  // Each other region migrates with its own key (a file system's key must be in its region).
  for (const region of others) {
    results.push(
      await checked("migration key (regionKmsKeyArns)", region, async () => {
        const arn = options.regionKmsKeyArns?.[region];
        if (!arn) {
          return {
            status: "info",
            detail: `not configured: the forwarder stack ${options.stackName}Forwarder-${region} creates one (alias/efs-guard-migration)`,
          };
        }
        return judgeKey(await keyFacts(arn, region), region);
      }),
    );
  }

  results.push(await checked("deployed stack", home, () => judgeDeployed(home, options.stackName)));
  for (const region of others) {
    results.push(
      await checked("deployed forwarder", region, () =>
        judgeDeployed(region, `${options.stackName}Forwarder-${region}`),
      ),
    );
  }
  return results;
}
