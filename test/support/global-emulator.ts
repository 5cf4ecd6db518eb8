import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startEmulator } from "../../emulator/emulator.js";
import { PROJECT_ROOT } from "../../emulator/venv.js";

declare module "vitest" {
  export interface ProvidedContext {
    emulatorEndpoint: string;
    /** Where the hosts record every operation each function makes (emulator/recorder.ts), for this run. */
    operationsLog: string;
  }
}

/** One emulator for the integration project, stopped when the run ends (also on failure). */
export default async function setup(project: TestProject) {
  const emulator = await startEmulator({ log: (line) => console.log(line) });
  project.provide("emulatorEndpoint", emulator.endpoint);
  const dir = join(PROJECT_ROOT, ".emulator", "operations");
  mkdirSync(dir, { recursive: true });
  const log = join(dir, `integration-${process.pid}.jsonl`);
  writeFileSync(log, "");
  project.provide("operationsLog", log);
  return async () => {
    await emulator.stop();
  };
}
