import { allGuards, eventOnlyGuards, type GuardClients } from "../../shared/guards/index.js";
import type { Guard } from "../../shared/pipeline/types.js";

/** The guards `scan` and `replay` run: every guard the deployed stack runs, from the one registry. */
export function cliGuards(
  options: {
    migrationStateMachineArn?: string | undefined;
    /** A member account's clients (`scan --org`): every guard reads with them. */
    clients?: GuardClients;
  } = {},
): Guard[] {
  return allGuards(options);
}

/** The guards `replay` routes events to: every guard the deployed stack runs as a function. */
export function replayGuards(options: { migrationStateMachineArn?: string | undefined } = {}): Guard[] {
  return [...allGuards(options), ...eventOnlyGuards()];
}
