import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { BUNDLE_FILE, bundleFunction } from "../infra/bundling.js";
import { PROJECT_ROOT } from "./venv.js";

/**
 * The functions as they deploy: each entry bundled exactly as `cdk synth` stages it (infra/bundling.ts; the infra
 * test bundle-parity.test.ts proves the two are byte for byte equal), built once and cached under
 * .emulator/bundles/<hash>/, the hash covering package-lock.json and every source a bundle can include. A changed
 * source or lock builds a new set; older sets are removed.
 */
const CACHE = join(PROJECT_ROOT, ".emulator", "bundles");
const SOURCE_DIRS = ["functions", "shared", "events", "infra"];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|js|mjs|json)$/.test(name)) out.push(path);
  }
  return out;
}

let cachedHash: string | undefined;
/** The hash of the lock file, tsconfig and every source file (path and content): the cache key. */
export function sourceHash(): string {
  if (cachedHash) return cachedHash;
  const hash = createHash("sha256");
  const files = [
    join(PROJECT_ROOT, "package-lock.json"),
    join(PROJECT_ROOT, "tsconfig.json"),
    ...SOURCE_DIRS.flatMap((d) => sourceFiles(join(PROJECT_ROOT, d))),
  ];
  for (const file of files) hash.update(relative(PROJECT_ROOT, file)).update("\0").update(readFileSync(file));
  cachedHash = hash.digest("hex").slice(0, 16);
  return cachedHash;
}

const building = new Map<string, Promise<string>>();

/** The path of the bundle of `entry` (functions/NAME/handler.ts), building it if this source hash has none yet. */
export function bundleOf(entry: string): Promise<string> {
  const hash = sourceHash();
  const key = `${hash}:${entry}`;
  let pending = building.get(key);
  if (!pending) {
    pending = build(entry, hash);
    building.set(key, pending);
  }
  return pending;
}

async function build(entry: string, hash: string): Promise<string> {
  const name = entry
    .replace(/^functions\//, "")
    .replace(/\/handler\.ts$/, "")
    .replaceAll("/", "-");
  const dir = join(CACHE, hash, name);
  const file = join(dir, BUNDLE_FILE);
  if (existsSync(file)) return file;
  await mkdir(join(CACHE, hash), { recursive: true });
  // Built beside and renamed into place: another process building the same bundle never sees half a file.
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await bundleFunction(entry, tmp);
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(file)) throw new Error(`bundle ${entry}: neither built nor found at ${file}`);
  }
  removeOtherSets(hash);
  return file;
}

function removeOtherSets(hash: string): void {
  for (const set of readdirSync(CACHE)) {
    if (set !== hash && !set.startsWith(".")) rmSync(join(CACHE, set), { recursive: true, force: true });
  }
}

/** For messages: a bundle's short name. */
export function bundleName(file: string): string {
  return basename(dirname(file));
}
