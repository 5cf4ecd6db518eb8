import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import type { CloudAssembly } from "aws-cdk-lib/cx-api";
import { type BuildOptions, buildApp } from "../../infra/app.js";
import { PROJECT_ROOT } from "../../infra/paths.js";
import type { ConfigInput } from "../../shared/config/schema.js";
import type { Template } from "./iam.js";

/** The feature flags of cdk.json (everything but efsGuard), so the tests synthesize what `cdk synth` does. */
export function cdkJsonFlags(): Record<string, unknown> {
  const { efsGuard: _, ...flags } = JSON.parse(readFileSync(`${PROJECT_ROOT}/cdk.json`, "utf8")).context;
  return flags;
}

export interface Synthesized {
  assembly: CloudAssembly;
  outdir: string;
  /** Templates by stack name. */
  templates: Record<string, Template>;
}

/**
 * The real app (the one `cdk synth` runs, cdk-nag included: an unacknowledged finding throws here), written to a
 * fresh temporary directory. Bundling is on only where a test needs the real assets.
 */
export function synthApp(config: ConfigInput, options: BuildOptions & { bundle?: boolean } = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), "efs-guard-synth-"));
  const context: Record<string, unknown> = { ...cdkJsonFlags(), efsGuard: config };
  if (!options.bundle) context["aws:cdk:bundling-stacks"] = [];
  const app = buildApp(new App({ context, outdir }), options);
  const assembly = app.synth();
  const templates: Record<string, Template> = {};
  for (const stack of assembly.stacks) templates[stack.stackName] = stack.template as Template;
  return { assembly, outdir, templates };
}
