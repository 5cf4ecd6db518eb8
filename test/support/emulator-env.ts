import { inject } from "vitest";
import { emulatorEnv } from "../../emulator/emulator.js";

// Every SDK client in the test process reaches the emulator through the standard variables only.
Object.assign(process.env, emulatorEnv(inject("emulatorEndpoint")), {
  POWERTOOLS_LOG_LEVEL: "WARN",
  LOG_LEVEL: "WARN",
  // The hosted handlers' EMF metric lines would flood the test output; test/unit/metrics.test.ts checks them.
  POWERTOOLS_METRICS_DISABLED: "true",
});
