import { loadConfig } from "../config/runtime.js";
import { snsNotifier } from "../notify/sns.js";
import { systemClock } from "../runtime/clock.js";
import { ConfigError } from "../runtime/errors.js";
import type { PipelineDeps } from "./run.js";

/** The dependencies of a deployed function, from its environment; a missing or bad setting fails the init. */
export async function deployedDeps(env: NodeJS.ProcessEnv = process.env): Promise<PipelineDeps> {
  const config = await loadConfig(env);
  const topic = env.ALERTS_TOPIC_ARN;
  if (!topic) throw new ConfigError(["ALERTS_TOPIC_ARN is not set: the function has nowhere to report"]);
  return { config, clock: systemClock, notifier: snsNotifier(topic) };
}
