#!/usr/bin/env node
// The efs-guard command line, run from source through tsx (TypeScript, ESM).
import { register } from "tsx/esm/api";

register();
const { main } = await import("./cli.ts");
process.exitCode = await main(process.argv.slice(2));
