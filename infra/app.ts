import { App } from "aws-cdk-lib";
import { parseConfig } from "../shared/config/schema.js";
import { ConfigError } from "../shared/runtime/errors.js";
import { EfsGuardStack } from "./stack.js";

/** `cdk synth` entry point: the efsGuard context is validated by the same schema the functions use. */
export function buildApp(app: App = new App()): App {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(app.node.tryGetContext("efsGuard") ?? {});
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new Error(`cdk.json context "efsGuard" is invalid:\n  - ${error.issues.join("\n  - ")}`);
    }
    throw error;
  }
  new EfsGuardStack(app, "EfsGuard", {
    config,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    description: "EFS Guard: keeps Amazon EFS encrypted at rest, in transit, and closed to the network",
  });
  return app;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ""))) {
  buildApp().synth();
}
