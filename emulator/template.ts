import { App } from "aws-cdk-lib";
import { buildApp } from "../infra/app.js";
import type { ConfigInput } from "../shared/config/schema.js";

export type CfnTemplate = { Resources: Record<string, { Type: string; Properties?: any; Metadata?: any }> };

/**
 * Synthesizes the real stack (the same app `cdk synth` runs) and returns its template. Bundling is skipped: the
 * local path runs the handlers from source, and the bundles are tested by the infra tests and the benchmark.
 */
export function synthTemplate(config: ConfigInput = {}, options: { bundle?: boolean } = {}): CfnTemplate {
  const context: Record<string, unknown> = { efsGuard: config };
  if (!options.bundle) context["aws:cdk:bundling-stacks"] = [];
  const app = buildApp(new App({ context }));
  const assembly = app.synth();
  const stack = assembly.stacks.find((s) => s.stackName === "EfsGuard");
  if (!stack) throw new Error("stack EfsGuard not synthesized");
  return stack.template as CfnTemplate;
}
