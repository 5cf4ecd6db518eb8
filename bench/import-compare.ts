/**
 * `npx tsx bench/import-compare.ts DIR [--runs 30] [--before-env KEY=VALUE ...]`: cold import of two builds of every
 * function, alternated in one run: the bundles in DIR (another build, e.g. `bench/out` copied from an earlier
 * commit), this build (`bench/out`, made by `npm run bench`) and each function's SDK floor, one fresh process of
 * each per round. Each build runs with the environment its template gives (this template's), plus --before-env for
 * the other build when its template differed (e.g. NODE_OPTIONS=--enable-source-maps). Prints, per function, the
 * medians and the per-round ratios to the floor (median [interquartile range]).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { synthTemplate } from "../emulator/template.js";
import { coldImports, discoverFunctions, median, OUT_DIR, pairedRatio, templateEnv } from "./bundles.js";
import { BENCH_CONFIG } from "./scenarios.js";

const argv = process.argv.slice(2);
const dir = argv[0];
if (!dir || dir.startsWith("--")) throw new Error("usage: bench/import-compare.ts DIR [--runs N] [--before-env K=V]");
const runs = Number(argv[argv.indexOf("--runs") + 1] || 30) || 30;
const beforeEnv: Record<string, string> = {};
argv.forEach((a, i) => {
  if (a !== "--before-env") return;
  const [key, ...rest] = (argv[i + 1] ?? "").split("=");
  if (key) beforeEnv[key] = rest.join("=");
});

const base = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_SESSION_TOKEN: "testing",
};
const rows: string[][] = [["function", "other build", "this build", "floor", "other / floor", "this / floor"]];
const fmt = (r: ReturnType<typeof pairedRatio>) => `${r.median.toFixed(2)} [${r.p25.toFixed(2)}-${r.p75.toFixed(2)}]`;
for (const fn of discoverFunctions(synthTemplate(BENCH_CONFIG))) {
  const other = join(dir, fn.name, "index.mjs");
  const mine = join(OUT_DIR, fn.name, "index.mjs");
  const floor = join(OUT_DIR, `${fn.name}.floor`, "index.mjs");
  if (![other, mine, floor].every(existsSync)) continue;
  const env = {
    ...base,
    ...templateEnv(fn, { region: "us-east-1", topicArn: "arn:aws:sns:us-east-1:123456789012:t" }),
  };
  process.stderr.write(`${fn.name}: ${runs} rounds\n`);
  // One call per bundle keeps each its own environment; rounds still alternate the three.
  const samples = new Map<string, number[]>([
    [other, []],
    [mine, []],
    [floor, []],
  ]);
  for (let i = 0; i < runs; i++) {
    for (const [file, extra] of [
      [other, beforeEnv],
      [mine, {}],
      [floor, {}],
    ] as const) {
      const one = await coldImports([file], 1, { ...env, ...extra });
      samples.get(file)?.push(...(one.get(file) ?? []));
    }
  }
  const [o, m, f] = [other, mine, floor].map((file) => samples.get(file) ?? []) as [number[], number[], number[]];
  rows.push([
    fn.name,
    `${median(o).toFixed(1)} ms`,
    `${median(m).toFixed(1)} ms`,
    `${median(f).toFixed(1)} ms`,
    fmt(pairedRatio(o, f)),
    fmt(pairedRatio(m, f)),
  ]);
}
const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
for (const r of rows) console.log(`| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(" | ")} |`);
