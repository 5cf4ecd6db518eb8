import type { TestProject } from "vitest/node";
import { startEmulator } from "../../emulator/emulator.js";

declare module "vitest" {
  export interface ProvidedContext {
    emulatorEndpoint: string;
  }
}

/** One emulator for the integration project, stopped when the run ends (also on failure). */
export default async function setup(project: TestProject) {
  const emulator = await startEmulator({ log: (line) => console.log(line) });
  project.provide("emulatorEndpoint", emulator.endpoint);
  return async () => {
    await emulator.stop();
  };
}
