import { ExecutionAlreadyExists, ExecutionDoesNotExist, type SFNClient } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { migrationExecutionName, migrationSubject, startMigration } from "../../shared/aws/migration.js";

/** startMigration's decisions, with a scripted Step Functions client (error handling only; the real runs are integration tests). */

const SM = "arn:aws:states:us-east-1:123456789012:stateMachine:efs-guard-migration";
const input = { fileSystemId: "fs-12345678", region: "us-east-1", reason: "r", requestedBy: "b" };
const meta = { $metadata: {} };

type Execution = string | { status: string; error?: string; input?: string };

function fakeSfn(executions: Record<string, Execution>, options: { startedAt?: Date; raceTo?: string } = {}) {
  const calls: string[] = [];
  const client = {
    async send(command: any) {
      const name = command.constructor.name;
      calls.push(`${name}:${command.input.executionArn ?? command.input.name}`);
      if (name === "DescribeExecutionCommand") {
        const execName = command.input.executionArn.split(":").at(-1);
        const found = executions[execName];
        if (!found) throw new ExecutionDoesNotExist({ message: "nope", ...meta });
        const e = typeof found === "string" ? { status: found } : found;
        return { ...e, startDate: new Date(), stopDate: new Date("2026-11-20T10:00:00Z") };
      }
      if (name === "StartExecutionCommand") {
        if (options.raceTo) {
          executions[command.input.name] = options.raceTo;
          throw new ExecutionAlreadyExists({ message: "exists", ...meta });
        }
        return {
          executionArn: `${SM.replace("stateMachine", "execution")}:${command.input.name}`,
          startDate: options.startedAt ?? new Date(),
        };
      }
      throw new Error(name);
    },
  } as unknown as SFNClient;
  return { client, calls };
}

describe("startMigration", () => {
  it("starts attempt 1 when nothing ran", async () => {
    const { client } = fakeSfn({});
    const out = await startMigration(client, SM, input);
    expect(out).toMatchObject({ status: "done", migration: "started" });
    expect(out.executionArn.endsWith(`:${migrationExecutionName("fs-12345678")}`)).toBe(true);
  });

  it("reports a running migration as in progress, and a succeeded one as already migrated", async () => {
    const running = await startMigration(fakeSfn({ "efs-guard-migrate-fs-12345678": "RUNNING" }).client, SM, input);
    expect(running).toMatchObject({ status: "already-done", migration: "running" });
    expect(running.detail).toContain("already in progress");
    const done = await startMigration(fakeSfn({ "efs-guard-migrate-fs-12345678": "SUCCEEDED" }).client, SM, input);
    expect(done).toMatchObject({ status: "already-done", migration: "succeeded" });
    expect(done.detail).toContain("already migrated");
  });

  it("after failed attempts starts the next name", async () => {
    const { client } = fakeSfn({
      "efs-guard-migrate-fs-12345678": "FAILED",
      "efs-guard-migrate-fs-12345678-2": "ABORTED",
    });
    const out = await startMigration(client, SM, input);
    expect(out).toMatchObject({ status: "done" });
    expect(out.executionArn.endsWith(":efs-guard-migrate-fs-12345678-3")).toBe(true);
  });

  it("StartExecution answering with an older execution (same name and input) is reported as in progress", async () => {
    const { client } = fakeSfn({}, { startedAt: new Date(Date.now() - 60_000) });
    expect((await startMigration(client, SM, input)).detail).toContain("already in progress");
  });

  it("a concurrent trigger that won the race is reported as in progress", async () => {
    const { client } = fakeSfn({}, { raceTo: "RUNNING" });
    expect(await startMigration(client, SM, input)).toMatchObject({ status: "already-done" });
  });

  it("without the state machine it fails with NOT_DEPLOYED", async () => {
    await expect(startMigration(fakeSfn({}).client, undefined, input)).rejects.toMatchObject({ code: "NOT_DEPLOYED" });
  });
});

describe("after a rejection", () => {
  const subject = migrationSubject({ fileSystemId: "fs-12345678", reason: "r", strategy: "replication" });
  const asked = { ...input, subject };
  const rejected = (s: string) => ({
    status: "FAILED",
    error: "EfsGuard.Rejected",
    input: JSON.stringify({ subject: s }),
  });

  it("does not ask the same question again: declined, naming the rejection and how to ask again", async () => {
    const { client, calls } = fakeSfn({ "efs-guard-migrate-fs-12345678": rejected(subject) });
    const out = await startMigration(client, SM, asked);
    expect(out.status).toBe("declined");
    expect(out.detail).toContain("rejected on 2026-11-20 (execution efs-guard-migrate-fs-12345678)");
    expect(out.detail).toContain("efs-guard migrate fs-12345678");
    expect(calls.some((c) => c.startsWith("StartExecutionCommand"))).toBe(false);
  });

  it("asks again when the subject changed, when an operator asks, and after other failures", async () => {
    const other = migrationSubject({
      fileSystemId: "fs-12345678",
      reason: "r",
      kmsKeyArn: "arn:new",
      strategy: "replication",
    });
    expect(other).not.toBe(subject);
    const changed = await startMigration(
      fakeSfn({ "efs-guard-migrate-fs-12345678": rejected(other) }).client,
      SM,
      asked,
    );
    expect(changed).toMatchObject({ status: "done" });
    expect(changed.executionArn.endsWith(":efs-guard-migrate-fs-12345678-2")).toBe(true);
    const operator = await startMigration(
      fakeSfn({ "efs-guard-migrate-fs-12345678": rejected(subject) }).client,
      SM,
      asked,
      { askAgain: true },
    );
    expect(operator.status).toBe("done");
    // Rejected, then asked again by an operator, then that run failed: the latest run decides, not the rejection.
    const later = await startMigration(
      fakeSfn({
        "efs-guard-migrate-fs-12345678": rejected(subject),
        "efs-guard-migrate-fs-12345678-2": { status: "FAILED", error: "EfsGuard.MigrationFailed" },
      }).client,
      SM,
      asked,
    );
    expect(later.executionArn.endsWith(":efs-guard-migrate-fs-12345678-3")).toBe(true);
  });

  it("a timed-out request (nobody answered) is asked again", async () => {
    const out = await startMigration(fakeSfn({ "efs-guard-migrate-fs-12345678": "TIMED_OUT" }).client, SM, asked);
    expect(out.status).toBe("done");
  });
});

describe("the approval request's severity", () => {
  it("is the finding's (critical unencrypted, high with the AWS managed key); the other notices keep theirs", async () => {
    const { severityOf } = await import("../../shared/migration/messages.js");
    expect(severityOf("approval-requested", { severity: "critical" })).toBe("critical");
    expect(severityOf("approval-requested", { severity: "high" })).toBe("high");
    // Executions started before the severity was carried in the input.
    expect(severityOf("approval-requested", {})).toBe("high");
    expect(severityOf("migrated", { severity: "critical" })).toBe("info");
  });
});
