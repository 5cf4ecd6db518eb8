#!/usr/bin/env node
// Installs the npm dependencies from the lock file when they are missing or older than the lock, so that
// `npm start` and `npm test` work on a fresh clone with nothing run before them. Plain Node: no dependencies.
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const lock = "package-lock.json";
const installed = "node_modules/.package-lock.json";
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  console.log("installing npm dependencies (npm ci) ...");
  execSync("npm ci --no-audit --no-fund --loglevel=error", { stdio: "inherit" });
}
