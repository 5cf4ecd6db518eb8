import { approve } from "./approve.js";
import { demo } from "./demo.js";
import { doctor } from "./doctor.js";
import { emulator } from "./emulator.js";
import { guardrailsCommand } from "./guardrails.js";
import { migrate } from "./migrate.js";
import { reject } from "./reject.js";
import { replay } from "./replay.js";
import { scan } from "./scan.js";
import type { Command } from "./types.js";

/** Every command of the CLI, in the order `efs-guard --help` lists them. Add a command here (one module each). */
export const COMMANDS: Command[] = [emulator, scan, replay, migrate, approve, reject, doctor, guardrailsCommand, demo];
