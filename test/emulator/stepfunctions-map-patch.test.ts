import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configureEmulator, resetEmulator } from "../support/emulator.js";

/**
 * patches/stepfunctions_tolerated_failure_percentage.py: a Distributed Map with a whole-number
 * ToleratedFailurePercentage (what the CDK writes) is accepted and runs, its ItemSelector applied to each item.
 */
const sfn = new SFNClient({ region: "us-east-1" });

beforeAll(async () => {
  await resetEmulator();
  await configureEmulator({ stepfunctions: { execute_state_machine: true } });
});
afterAll(async () => {
  await configureEmulator({ stepfunctions: { execute_state_machine: false } });
});

const definition = (tolerated: number) => ({
  StartAt: "Items",
  States: {
    Items: {
      Type: "Map",
      ItemsPath: "$.items",
      ItemSelector: { "item.$": "$$.Map.Item.Value", "run.$": "$.run" },
      ItemProcessor: {
        ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
        StartAt: "Echo",
        States: { Echo: { Type: "Pass", End: true } },
      },
      MaxConcurrency: 2,
      ToleratedFailurePercentage: tolerated,
      End: true,
    },
  },
});

describe("Step Functions: ToleratedFailurePercentage as a whole number (patch)", () => {
  it("accepts 100 and 0 and runs the Distributed Map over every item", async () => {
    for (const tolerated of [100, 0]) {
      const { stateMachineArn } = await sfn.send(
        new CreateStateMachineCommand({
          name: `tolerated-${tolerated}`,
          definition: JSON.stringify(definition(tolerated)),
          roleArn: "arn:aws:iam::123456789012:role/sfn",
        }),
      );
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn,
          input: JSON.stringify({ items: [{ n: 1 }, { n: 2 }, { n: 3 }], run: { r: "x" } }),
        }),
      );
      let out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      for (let i = 0; i < 120 && out.status === "RUNNING"; i += 1) {
        await new Promise((done) => setTimeout(done, 250));
        out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      }
      expect(out.status, `${out.error}: ${out.cause}`).toBe("SUCCEEDED");
      expect(JSON.parse(out.output ?? "null")).toEqual([1, 2, 3].map((n) => ({ item: { n }, run: { r: "x" } })));
    }
  }, 120_000);

  it("leaves a fractional percentage as it was (the grammar accepted it already)", async () => {
    const out = await sfn.send(
      new CreateStateMachineCommand({
        name: "tolerated-fraction",
        definition: JSON.stringify(definition(12.5)),
        roleArn: "arn:aws:iam::123456789012:role/sfn",
      }),
    );
    expect(out.stateMachineArn).toMatch(/:stateMachine:tolerated-fraction$/);
  });
});
