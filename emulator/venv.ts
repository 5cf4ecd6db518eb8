import { execFileSync } from "node:child_process";
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
