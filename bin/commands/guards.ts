import { allGuards, eventOnlyGuards } from "../../shared/guards/index.js";
import type { Guard } from "../../shared/pipeline/types.js";

/** The guards `scan` and `replay` run: every guard the deployed stack runs, from the one registry. */
export function cliGuards(options: { migrationStateMachineArn?: string | undefined } = {}): Guard[] {
  return allGuards(options);
}

/** The guards `replay` routes events to: every guard the deployed stack runs as a function. */
export function replayGuards(options: { migrationStateMachineArn?: string | undefined } = {}): Guard[] {
  return [...allGuards(options), ...eventOnlyGuards()];
}
