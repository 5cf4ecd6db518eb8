import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const EMULATOR_DIR = dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = resolve(EMULATOR_DIR, "..");
export const VENV = join(PROJECT_ROOT, ".venv");
export const PYTHON = join(VENV, "bin", "python");

/**
 * Creates the project-local Python environment with the pinned emulator, once: a stamp holding the hash of
 * requirements.txt makes later calls free, and a changed pin reinstalls.
 */
export function ensureVenv(log: (line: string) => void = () => {}): string {
  const requirements = join(EMULATOR_DIR, "requirements.txt");
  const hash = createHash("sha256").update(readFileSync(requirements)).digest("hex");
  const stamp = join(VENV, ".efs-guard-requirements");
  if (existsSync(PYTHON) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return PYTHON;
  const python = process.env.PYTHON ?? "python3";
  log(`installing the emulator (moto, pinned in ${requirements}) into ${VENV} ...`);
  if (!existsSync(PYTHON)) execFileSync(python, ["-m", "venv", VENV], { stdio: "inherit" });
  execFileSync(PYTHON, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements], {
    stdio: "inherit",
  });
  writeFileSync(stamp, hash);
  return PYTHON;
}

/** Whether the pinned emulator is installed (the stamp matches requirements.txt): starting it costs nothing more. */
export function venvReady(): boolean {
  const hash = createHash("sha256")
    .update(readFileSync(join(EMULATOR_DIR, "requirements.txt")))
    .digest("hex");
  const stamp = join(VENV, ".efs-guard-requirements");
  return existsSync(PYTHON) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    // Output is kept, not inherited: a live progress line owns the terminal meanwhile; it is shown on failure.
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0 ? done() : fail(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output}`)),
    );
  });
}

/** ensureVenv without blocking the event loop, so a progress indicator can run during the minute pip takes. */
export async function installVenv(): Promise<string> {
  if (venvReady()) return PYTHON;
  const requirements = join(EMULATOR_DIR, "requirements.txt");
  const hash = createHash("sha256").update(readFileSync(requirements)).digest("hex");
  if (!existsSync(PYTHON)) await run(process.env.PYTHON ?? "python3", ["-m", "venv", VENV]);
  await run(PYTHON, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements]);
  writeFileSync(join(VENV, ".efs-guard-requirements"), hash);
  return PYTHON;
}
