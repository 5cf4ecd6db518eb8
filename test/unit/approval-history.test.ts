import type { HistoryEvent, SFNClient } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { APPROVAL_STATE, pendingApproval } from "../../shared/aws/approvals.js";

/** pendingApproval's reading of an execution history (shapes as Step Functions writes them), with a scripted client. */

const ARN = "arn:aws:states:us-east-1:123456789012:execution:efs-guard-migration:efs-guard-migrate-fs-12345678";
const at = new Date("2026-01-01T00:00:00Z");
let id = 0;
const ev = (type: string, extra: Partial<HistoryEvent> = {}): HistoryEvent => ({
  id: ++id,
  timestamp: at,
  type: type as HistoryEvent["type"],
  ...extra,
});
const entered = () => ev("TaskStateEntered", { stateEnteredEventDetails: { name: APPROVAL_STATE } });
const scheduled = (token: string) =>
  ev("TaskScheduled", {
    taskScheduledEventDetails: {
      resourceType: "lambda",
      resource: "invoke.waitForTaskToken",
      region: "us-east-1",
      parameters: JSON.stringify({ Payload: { taskToken: token, state: { fileSystemId: "fs-12345678" } } }),
    },
  });
const failed = (error = "Lambda.ServiceException") =>
  ev("TaskFailed", { taskFailedEventDetails: { resourceType: "lambda", resource: "invoke", error } });

function sfn(events: HistoryEvent[]): SFNClient {
  return {
    async send(command: { constructor: { name: string } }) {
      if (command.constructor.name === "DescribeExecutionCommand") return { status: "RUNNING" };
      return { events };
    },
  } as unknown as SFNClient;
}

describe("pendingApproval", () => {
  it("takes the token of the last scheduled attempt when an earlier one failed and was retried", async () => {
    const history = [entered(), scheduled("t1"), ev("TaskStarted"), failed(), scheduled("t2"), ev("TaskStarted")];
    expect(await pendingApproval(sfn(history), ARN)).toMatchObject({ taskToken: "t2", fileSystemId: "fs-12345678" });
  });

  it("says the step is being retried while the failed attempt has no successor yet", async () => {
    const history = [entered(), scheduled("t1"), ev("TaskStarted"), failed()];
    await expect(pendingApproval(sfn(history), ARN)).rejects.toThrow(/failed \(Lambda.ServiceException\).*try again/);
  });

  it("refuses an answered, a timed-out and an exited approval with the reason", async () => {
    await expect(pendingApproval(sfn([entered(), scheduled("t1"), ev("TaskSucceeded")]), ARN)).rejects.toThrow(
      /already answered/,
    );
    await expect(pendingApproval(sfn([entered(), scheduled("t1"), ev("TaskTimedOut")]), ARN)).rejects.toThrow(
      /already timed out/,
    );
    await expect(
      pendingApproval(sfn([entered(), scheduled("t1"), ev("TaskSucceeded"), ev("TaskStateExited")]), ARN),
    ).rejects.toThrow(/past its approval step/);
  });

  it("a later entry of the approval state (a new round) is the one that counts", async () => {
    const history = [
      entered(),
      scheduled("t1"),
      ev("TaskSucceeded"),
      ev("TaskStateExited"),
      entered(),
      scheduled("t3"),
    ];
    expect((await pendingApproval(sfn(history), ARN)).taskToken).toBe("t3");
  });
});
