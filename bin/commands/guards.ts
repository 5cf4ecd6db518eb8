import { allGuards } from "../../shared/guards/index.js";
import type { Guard } from "../../shared/pipeline/types.js";

/** The guards `scan` and `replay` run: every guard the deployed stack runs, from the one registry. */
export function cliGuards(options: { migrationStateMachineArn?: string | undefined } = {}): Guard[] {
  return allGuards(options);
}
