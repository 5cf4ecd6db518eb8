#!/usr/bin/env node
// The efs-guard command line, run from source through tsx (TypeScript, ESM).
import { register } from "tsx/esm/api";

// The pipeline's JSON logs are meant for Lambda; on the command line they stay off unless EFS_GUARD_LOG_LEVEL asks
// for them. The logger reads its level once, when it is created, so it is set before anything imports it.
process.env.LOG_LEVEL = process.env.EFS_GUARD_LOG_LEVEL ?? "SILENT";
register();
const { main } = await import("./cli.ts");
process.exitCode = await main(process.argv.slice(2));
