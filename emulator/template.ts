import { App } from "aws-cdk-lib";
import { buildApp } from "../infra/app.js";
import type { ConfigInput } from "../shared/config/schema.js";

export type CfnTemplate = { Resources: Record<string, { Type: string; Properties?: any; Metadata?: any }> };

export interface SynthOptions {
  bundle?: boolean;
  /** The home region; needed (and defaulted to us-east-1, the emulator's) when the config lists other `regions`. */
  region?: string;
}

/**
 * Synthesizes the real app (the same one `cdk synth` runs) and returns its templates: the home stack's and, for
 * each of `regions`, its forwarder stack's. Bundling is skipped: the local path runs the handlers from source, and
 * the bundles are tested by the infra tests and the benchmark.
 */
export function synthTemplates(
  config: ConfigInput = {},
  options: SynthOptions = {},
): { home: CfnTemplate; forwarders: Record<string, CfnTemplate> } {
  const context: Record<string, unknown> = { efsGuard: config };
  if (!options.bundle) context["aws:cdk:bundling-stacks"] = [];
  const region = options.region ?? ((config.regions ?? []).length > 0 ? "us-east-1" : undefined);
  const app = buildApp(new App({ context }), region ? { region } : {});
  const assembly = app.synth();
  const home = assembly.stacks.find((s) => s.stackName === "EfsGuard");
  if (!home) throw new Error("stack EfsGuard not synthesized");
  const forwarders: Record<string, CfnTemplate> = {};
  for (const stack of assembly.stacks) {
    const match = /^EfsGuardForwarder-(.+)$/.exec(stack.stackName);
    if (match) forwarders[match[1]!] = stack.template as CfnTemplate;
  }
  return { home: home.template as CfnTemplate, forwarders };
}

/** The home stack's template. */
export function synthTemplate(config: ConfigInput = {}, options: SynthOptions = {}): CfnTemplate {
  return synthTemplates(config, options).home;
}
