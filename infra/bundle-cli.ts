import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { bundleFunction, METAFILE } from "./bundling.js";

/** `bundle-cli.ts ENTRY OUTDIR`: bundles one guard function the way the stack deploys it (see bundling.ts). */
const [entry, outdir] = process.argv.slice(2);
if (!entry || !outdir) {
  console.error("usage: bundle-cli.ts ENTRY OUTDIR");
  process.exit(2);
}
const metafile = await bundleFunction(entry, outdir);
await writeFile(join(outdir, METAFILE), JSON.stringify(metafile));
