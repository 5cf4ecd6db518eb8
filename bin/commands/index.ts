import { demo } from "./demo.js";
import { replay } from "./replay.js";
import { scan } from "./scan.js";
import type { Command } from "./types.js";

/** Every command of the CLI, in the order `efs-guard --help` lists them. */
export const COMMANDS: Command[] = [scan, replay, demo];
