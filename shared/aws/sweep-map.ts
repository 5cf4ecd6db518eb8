import { type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { SweepMapInput } from "../pipeline/sweep-map.js";
import { AwsCallError } from "../runtime/errors.js";
import { call } from "./errors.js";

/**
 * Starts the split sweep's state machine. The name is the sweep invocation's request id, which Lambda keeps across
 * its own retries of an asynchronous invocation: a retried sweep finds its execution already started
 * (ExecutionAlreadyExists) instead of assessing the items twice.
 */
export async function startSweepMap(
  sfn: SFNClient,
  stateMachineArn: string,
  requestId: string,
  input: SweepMapInput,
): Promise<string> {
  const name = `sweep-${requestId}`.replace(/[^\w-]/g, "-").slice(0, 80);
  try {
    const out = await call("states:StartExecution", () =>
      sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })),
    );
    return out.executionArn ?? name;
  } catch (error) {
    if (error instanceof AwsCallError && error.awsCode === "ExecutionAlreadyExists") return name;
    throw error;
  }
}
