import { inject } from "vitest";
import { emulatorEnv } from "../../emulator/emulator.js";

// Every SDK client in the test process reaches the emulator through the standard variables only.
Object.assign(process.env, emulatorEnv(inject("emulatorEndpoint")), {
  POWERTOOLS_LOG_LEVEL: "WARN",
  LOG_LEVEL: "WARN",
});
