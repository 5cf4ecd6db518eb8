import { DescribeExecutionCommand, ExecutionDoesNotExist, type SFNClient } from "@aws-sdk/client-sfn";
import { call } from "./errors.js";

/**
 * When Step Functions started an execution (its own record: no caller can backdate it), or undefined when the
 * execution does not exist. The migration uses it to tell what one of its runs created from what existed before.
 */
export async function executionStartDate(sfn: SFNClient, executionArn: string): Promise<Date | undefined> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.startDate;
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return undefined;
    return call("states:DescribeExecution", () => Promise.reject(error));
  }
}
