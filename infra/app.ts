import { App } from "aws-cdk-lib";
import { parseConfig } from "../shared/config/schema.js";
import { ConfigError } from "../shared/runtime/errors.js";
import { guardEventsOf } from "./constructs/guard-function.js";
import { ForwarderStack } from "./forwarder-stack.js";
import { enableNag } from "./nag.js";
import { EfsGuardStack } from "./stack.js";

/** `cdk synth -c efsGuard='{...}'` passes the context as a string; cdk.json passes an object. */
function contextValue(raw: unknown): unknown {
  if (typeof raw !== "string") return raw ?? {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new SynthConfigError([`(got ${JSON.stringify(raw)}): not valid JSON; pass -c efsGuard='{"dryRun":true}'`]);
  }
}

export interface BuildOptions {
  /** Account and home region; default: what the CDK CLI sets (CDK_DEFAULT_ACCOUNT, CDK_DEFAULT_REGION). */
  account?: string;
  region?: string;
}

/**
 * `cdk synth` entry point: the efsGuard context is validated by the same schema the functions use; the home region
 * gets the guard, each of `regions` a forwarder; cdk-nag checks everything.
 */
export function buildApp(app: App = new App(), options: BuildOptions = {}): App {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(contextValue(app.node.tryGetContext("efsGuard")));
  } catch (error) {
    if (error instanceof ConfigError) throw new SynthConfigError(error.issues);
    throw error;
  }
  const account = options.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const homeRegion = options.region ?? process.env.CDK_DEFAULT_REGION;
  if (config.regions.length > 0) {
    if (!homeRegion) {
      throw new SynthConfigError([
        `regions (got ${JSON.stringify(config.regions)}): forwarding needs a known home region; set AWS_REGION or a profile region for cdk`,
      ]);
    }
    if (config.regions.includes(homeRegion) || new Set(config.regions).size !== config.regions.length) {
      throw new SynthConfigError([
        `regions (got ${JSON.stringify(config.regions)}): list each other region once, without the home region ${homeRegion}`,
      ]);
    }
  }
  const org = config.organization;
  if (org?.organizationId && org.regions.length > 0) {
    // The hub's functions act only in the guarded regions (their region fence), and the member role lives in the
    // home region's instance (IAM is global): the members' regions are some of the guarded ones, the home one among them.
    const guarded = [homeRegion, ...config.regions];
    if (!homeRegion || !org.regions.includes(homeRegion) || org.regions.some((r) => !guarded.includes(r))) {
      throw new SynthConfigError([
        `organization.regions (got ${JSON.stringify(org.regions)}): the members' regions must include the home region${homeRegion ? ` ${homeRegion}` : " (set AWS_REGION or a profile region for cdk)"} and be among the guarded regions ${JSON.stringify(guarded.filter(Boolean))}; leave it empty for all of them`,
      ]);
    }
  }
  if (org?.organizationId && !homeRegion) {
    throw new SynthConfigError([
      "organization.organizationId: the hub needs a known home region (its efs-guard bus); set AWS_REGION or a profile region for cdk",
    ]);
  }
  const home = new EfsGuardStack(app, "EfsGuard", {
    config,
    env: { account, region: homeRegion },
    description: "EFS Guard: keeps Amazon EFS encrypted at rest, in transit, and closed to the network",
  });
  // One forwarder per other region, with the union of every guard function's events.
  for (const region of config.regions) {
    new ForwarderStack(app, `EfsGuardForwarder-${region}`, {
      env: { account, region },
      homeRegion: homeRegion as string,
      events: guardEventsOf(home),
      alertEmails: config.alertEmails,
      ...(config.modes["efs-encrypted-at-rest"] === "remediate"
        ? {
            migration: {
              ...(config.regionKmsKeyArns[region] ? { kmsKeyArn: config.regionKmsKeyArns[region] } : {}),
              rotationPeriodInDays: config.rotationPeriodInDays,
              ...(config.safetyBackupAdminRoleArn ? { safetyBackupAdminRoleArn: config.safetyBackupAdminRoleArn } : {}),
            },
          }
        : {}),
      description: `EFS Guard: forwards CloudTrail events from ${region} to the guard in ${homeRegion}`,
    });
  }
  enableNag(app);
  return app;
}

/** Thrown for a configuration `cdk synth` must refuse: the CLI entry prints its message alone, without a stack. */
export class SynthConfigError extends Error {
  constructor(issues: string[]) {
    super(`context "efsGuard" (cdk.json, or -c efsGuard=...) is invalid:\n  - ${issues.join("\n  - ")}`);
    this.name = "SynthConfigError";
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ""))) {
  try {
    buildApp().synth();
  } catch (error) {
    // A configuration mistake is the operator's to fix from the message (key, value, what is allowed); a Node
    // stack trace under it would only bury it. Anything else is a bug and keeps its stack.
    if (!(error instanceof SynthConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  }
}
