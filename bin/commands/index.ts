import { demo } from "./demo.js";
import { doctor } from "./doctor.js";
import type { Command } from "./types.js";

/** Every command of the CLI, in the order `efs-guard --help` lists them. */
export const COMMANDS: Command[] = [demo, doctor];
