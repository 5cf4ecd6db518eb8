import { type Emulator, startEmulator } from "../../emulator/emulator.js";
import { installVenv, venvReady } from "../../emulator/venv.js";

type Progress = <T>(label: string, work: () => Promise<T>) => Promise<T>;

/**
 * Starts the embedded emulator under the caller's progress indicator: the first-run install (pip, about a minute)
 * as its own step, so it is never a silent wait, then the server.
 */
export async function startWithProgress(progress: Progress, port?: number): Promise<Emulator> {
  if (!venvReady())
    await progress("installing the emulator (moto, pinned) into .venv, once: about a minute", installVenv);
  return progress("moto server on 127.0.0.1", () => startEmulator(port ? { port } : {}));
}
