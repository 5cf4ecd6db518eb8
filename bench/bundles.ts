import { spawnSync } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import type { Metafile } from "esbuild";
import type { CfnTemplate } from "../emulator/template.js";
import { BUNDLE_FILE, bundleFunction, ENTRY_METADATA } from "../infra/constructs/guard-function.js";
import { PROJECT_ROOT } from "../infra/paths.js";

export const OUT_DIR = join(PROJECT_ROOT, "bench", "out");

export interface GuardFunctionInfo {
  /** functions/NAME/handler.ts */
  entry: string;
  name: string;
  logicalId: string;
  environment: Record<string, unknown>;
}

/** Every function of the synthesized stack that runs a guard handler (metadata EfsGuardEntry). */
export function discoverFunctions(template: CfnTemplate): GuardFunctionInfo[] {
  const out: GuardFunctionInfo[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const entry = resource.Metadata?.[ENTRY_METADATA];
    if (resource.Type !== "AWS::Lambda::Function" || typeof entry !== "string") continue;
    out.push({
      entry,
      name: basename(dirname(entry)),
      logicalId,
      environment: resource.Properties?.Environment?.Variables ?? {},
    });
  }
  return out.sort((a, b) => a.entry.localeCompare(b.entry));
}

/**
 * A function's environment from the template, as Lambda sets it; tokens get stand-ins: the topic the given one, the
 * others (the migration's key, backup role and state machine) an ARN that is set, as deployed, and names itself.
 * Decision log lines would drown the tables: LOG_LEVEL is ERROR, the one difference from the deployed function.
 */
export function templateEnv(
  fn: GuardFunctionInfo,
  stand: { region: string; topicArn: string },
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(fn.environment)) {
    env[key] =
      typeof value === "string"
        ? value
        : key === "ALERTS_TOPIC_ARN"
          ? stand.topicArn
          : `arn:aws:bench:${stand.region}:123456789012:unresolved/${key}`;
  }
  env.LOG_LEVEL = "ERROR";
  return env;
}

export interface BundleMeasure {
  file: string;
  minifiedBytes: number;
  gzippedBytes: number;
  /** The biggest contributors to the minified output, by package (or "src" for our own code). */
  packages: { name: string; bytes: number }[];
  /** The biggest single input files. */
  largestInputs: { path: string; bytes: number }[];
  /** @aws-sdk/client-* packages in the bundle: what the floor imports. */
  sdkClients: string[];
}

function packageOf(path: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m ? (m[1] as string) : "src";
}

export async function measureBundle(metafile: Metafile, outdir: string): Promise<BundleMeasure> {
  const file = join(outdir, BUNDLE_FILE);
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith(BUNDLE_FILE))?.[1];
  if (!output) throw new Error(`no ${BUNDLE_FILE} in the metafile of ${outdir}`);
  const code = await readFile(file);
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(output.inputs)) {
    byPackage.set(packageOf(path), (byPackage.get(packageOf(path)) ?? 0) + input.bytesInOutput);
  }
  const sdkClients = [...byPackage.keys()].filter((p) => /^@aws-sdk\/client-/.test(p)).sort();
  return {
    file: relative(PROJECT_ROOT, file),
    minifiedBytes: code.length,
    gzippedBytes: gzipSync(code, { level: 9 }).length,
    packages: [...byPackage.entries()]
      .map(([name, bytes]) => ({ name, bytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 8),
    largestInputs: Object.entries(output.inputs)
      .map(([path, input]) => ({ path: path.replace(/^.*node_modules\//, ""), bytes: input.bytesInOutput }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 5),
    sdkClients,
  };
}

/** PascalCase client class of a package: client-ec2 -> EC2Client, client-efs -> EFSClient, ... */
async function clientClassOf(pkg: string): Promise<string> {
  const index = await readFile(join(PROJECT_ROOT, "node_modules", pkg, "dist-es", "index.js"), "utf8");
  const m = /export \* from "\.\/(\w+Client)";/.exec(index);
  if (!m) throw new Error(`cannot find the client class of ${pkg}`);
  return m[1] as string;
}

/**
 * The floor of a function: a bundle built the same way that only imports the SDK clients the function's bundle
 * contains and constructs each once (as the guard does at init). What a function costs above it is ours.
 */
export async function buildFloor(name: string, sdkClients: string[]): Promise<{ metafile: Metafile; outdir: string }> {
  const dir = join(OUT_DIR, "floors");
  await mkdir(dir, { recursive: true });
  const lines: string[] = [];
  const names: string[] = [];
  for (const pkg of sdkClients) {
    const cls = await clientClassOf(pkg);
    lines.push(`import { ${cls} } from "${pkg}";`);
    names.push(cls);
  }
  lines.push(
    `export const clients = [${names.map((c) => `new ${c}({ region: process.env.AWS_REGION })`).join(", ")}];`,
  );
  lines.push("export const handler = async () => clients.length;");
  const entryFile = join(dir, `${name}.ts`);
  await writeFile(entryFile, `${lines.join("\n")}\n`);
  const outdir = join(OUT_DIR, `${name}.floor`);
  await rm(outdir, { recursive: true, force: true });
  const metafile = await bundleFunction(relative(PROJECT_ROOT, entryFile), outdir);
  return { metafile, outdir };
}

export async function buildFunction(fn: GuardFunctionInfo): Promise<{ metafile: Metafile; outdir: string }> {
  const outdir = join(OUT_DIR, fn.name);
  await rm(outdir, { recursive: true, force: true });
  return { metafile: await bundleFunction(fn.entry, outdir), outdir };
}

const IMPORT_ONE = `const url = process.argv[2];
const started = performance.now();
await import(url);
process.stdout.write(String(performance.now() - started));
`;

/**
 * Import time of bundles in fresh Node processes: the time from before `import()` to its completion, which is what
 * Lambda's init phase spends in our code. The bundles are measured in rounds, one process of each per round in
 * turn, so drift in the machine's load (other processes, CPU frequency) hits all of them alike; samples[i] of every
 * file come from the same round.
 */
export async function coldImports(
  files: string[],
  runs: number,
  env: Record<string, string>,
): Promise<Map<string, number[]>> {
  const runner = join(OUT_DIR, "import-one.mjs");
  await mkdir(OUT_DIR, { recursive: true });
  await writeFile(runner, IMPORT_ONE);
  const samples = new Map<string, number[]>(files.map((f) => [f, []]));
  for (let i = 0; i < runs; i++) {
    for (const file of files) {
      const out = spawnSync(process.execPath, [runner, pathToFileURL(file).href], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", ...env },
      });
      if (out.status !== 0) throw new Error(`importing ${file} failed:\n${out.stderr}`);
      samples.get(file)?.push(Number(out.stdout));
    }
  }
  return samples;
}

export interface RatioStats {
  /** Median of the per-round ratios ours / floor. */
  median: number;
  /** Interquartile range of the per-round ratios: half of the rounds fall inside it. */
  p25: number;
  p75: number;
  rounds: number;
}

/**
 * The ratio of two bundles' import times from alternated rounds: one ratio per round (both processes ran within
 * milliseconds of each other, under the same load), then the median and quartiles of those ratios. A ratio of
 * medians would mix rounds taken under different loads.
 */
export function pairedRatio(ours: number[], floor: number[]): RatioStats {
  const ratios = ours.map((v, i) => v / (floor[i] as number)).filter((r) => Number.isFinite(r));
  const r2 = (n: number) => Math.round(n * 100) / 100;
  return {
    median: r2(median(ratios)),
    p25: r2(percentile(ratios, 25)),
    p75: r2(percentile(ratios, 75)),
    rounds: ratios.length,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}
