#!/usr/bin/env node
// The efs-guard command line, run from source through tsx (TypeScript, ESM).
import { register } from "tsx/esm/api";

// The pipeline's JSON logs are meant for Lambda; on the command line they stay off unless EFS_GUARD_LOG_LEVEL asks
// for them. The logger reads its level once, when it is created, so it is set before anything imports it.
process.env.LOG_LEVEL = process.env.EFS_GUARD_LOG_LEVEL ?? "SILENT";

// Supported: Node.js 22 and 24 (package.json engines). Node.js 20 reached end of life in April 2026 and AWS SDK
// releases after the first week of January 2027 require 22 (https://github.com/aws/aws-sdk-js-v3/issues/7983).
// The CLI still runs on 20 with the pinned SDK; it says so in one line instead of the SDK's 9-line warning on
// every command, which AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED (the SDK's documented switch) turns off.
// NODE_NO_WARNINGS=1 silences the line, as it does Node's own warnings.
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  if (process.env.NODE_NO_WARNINGS !== "1") {
    process.stderr.write(
      `efs-guard: Node.js ${process.version} is past its end of life (April 2026) and unsupported; use Node.js 22 or 24\n`,
    );
  }
}
register();
const { main } = await import("./cli.ts");
process.exitCode = await main(process.argv.slice(2));
