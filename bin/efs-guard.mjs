#!/usr/bin/env node
// The efs-guard command line, run from source through tsx (TypeScript, ESM).
import { register } from "tsx/esm/api";

register();
await import("./cli.ts");
