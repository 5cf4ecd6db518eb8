import { inject } from "vitest";
import { emulatorEnv } from "../../emulator/emulator.js";

// Every SDK client in the test process reaches the emulator through the standard variables only, as the
// emulator's administrator; the hosted functions get their own role's credentials. The hosts append every
// operation a function makes to the run's operations log (checked by recorded-permissions.test.ts, run last).
Object.assign(process.env, emulatorEnv(inject("emulatorEndpoint")), {
  POWERTOOLS_LOG_LEVEL: "WARN",
  LOG_LEVEL: "WARN",
  EFS_GUARD_OPERATIONS_LOG: inject("operationsLog"),
  // The hosted handlers' EMF metric lines would flood the test output; test/unit/metrics.test.ts checks them.
  POWERTOOLS_METRICS_DISABLED: "true",
});
