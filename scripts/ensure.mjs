#!/usr/bin/env node
// Installs the npm dependencies from the lock file when they are missing or were installed from another lock,
// so that `npm start` and `npm test` work on a fresh clone with nothing run before them. The check compares a
// hash of package-lock.json with the one recorded at install time (file times are unreliable: a fresh checkout
// makes the lock look newer than an install that matches it). Plain Node: no dependencies.
import { execSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const lockHash = createHash("sha256").update(readFileSync("package-lock.json")).digest("hex");
const stamp = "node_modules/.efs-guard-lock-hash";
const current = existsSync(stamp) ? readFileSync(stamp, "utf8").trim() : "";
if (current !== lockHash) {
  console.log("installing npm dependencies (npm ci) ...");
  execSync("npm ci --no-audit --no-fund --loglevel=error", { stdio: "inherit" });
  writeFileSync(stamp, lockHash);
}
