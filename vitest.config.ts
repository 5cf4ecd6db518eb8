import { defineConfig } from "vitest/config";
import { RecordedPermissionsLast } from "./test/support/sequencer.js";

/**
 * Three projects: unit tests run in parallel; integration tests share one emulator (started once by the global
 * setup, reset by each test file) and run one file at a time, the check of what they recorded last; infra tests
 * synthesize the stack. The structured log lines a test provokes are kept with it and printed only when it fails
 * (test/support/quiet-logs.ts).
 */
export default defineConfig({
  test: {
    reporters: ["default", ["json", { outputFile: "test-results.json" }]],
    sequence: { sequencer: RecordedPermissionsLast },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          setupFiles: ["test/support/quiet-logs.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/emulator/**/*.test.ts"],
          globalSetup: ["test/support/global-emulator.ts"],
          setupFiles: ["test/support/emulator-env.ts", "test/support/quiet-logs.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: "infra",
          include: ["test/infra/**/*.test.ts"],
          setupFiles: ["test/support/quiet-logs.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
