import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type ExecutionStatus,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import type { Creator } from "../migration/approval.js";
import { GuardError } from "../runtime/errors.js";
import { call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const sfnClient = perRegion((region) => new SFNClient(clientConfig(region)));

/** The environment variable through which the stack tells a function where the migration workflow is. */
export const MIGRATION_ENV = "MIGRATION_STATE_MACHINE_ARN";

/** How many attempts one file system may have: a new one is started only after the previous ended unsuccessfully. */
export const MAX_ATTEMPTS = 20;

/**
 * One execution per file system at a time: the name is derived from the file system id, so a duplicate trigger
 * cannot start a second migration. Attempt 1 is `efs-guard-migrate-<fsid>`; after a run that ended without
 * migrating (failed, rejected, timed out, aborted), the next trigger starts `efs-guard-migrate-<fsid>-2`, and so on
 * (Step Functions keeps a finished execution's name taken for 90 days).
 */
export function migrationExecutionName(fileSystemId: string, attempt = 1): string {
  return attempt <= 1 ? `efs-guard-migrate-${fileSystemId}` : `efs-guard-migrate-${fileSystemId}-${attempt}`;
}

export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
}

export interface MigrationInput {
  fileSystemId: string;
  region: string;
  reason: string;
  requestedBy: string;
  /** Who created the file system (CloudTrail), for requireSeparateApprover. */
  createdBy?: Creator;
}

export type MigrationStart =
  | { status: "done"; detail: string; executionArn: string }
  | { status: "already-done"; detail: string; executionArn: string };

async function describe(
  sfn: SFNClient,
  executionArn: string,
): Promise<{ status: ExecutionStatus; startDate?: Date } | undefined> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return { status: out.status!, ...(out.startDate ? { startDate: out.startDate } : {}) };
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return undefined;
    return call("states:DescribeExecution", () => Promise.reject(error));
  }
}

/**
 * Starts the migration of a file system unless one is running or already succeeded, and says truthfully which.
 * StartExecution alone cannot tell: with the same name and input as a running execution it succeeds and returns
 * the running one; with another input, or after the execution finished, it raises ExecutionAlreadyExists.
 */
export async function startMigration(
  sfn: SFNClient,
  stateMachineArn: string | undefined,
  input: MigrationInput,
): Promise<MigrationStart> {
  if (!stateMachineArn) {
    throw new GuardError(
      "NOT_DEPLOYED",
      `the migration workflow is not deployed (${MIGRATION_ENV} is not set): ${input.fileSystemId} was not migrated`,
    );
  }
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const name = migrationExecutionName(input.fileSystemId, attempt);
    const executionArn = executionArnFor(stateMachineArn, name);
    const previous = await describe(sfn, executionArn);
    if (previous?.status === "RUNNING" || previous?.status === "PENDING_REDRIVE") {
      return { status: "already-done", executionArn, detail: `migration already in progress (execution ${name})` };
    }
    if (previous?.status === "SUCCEEDED") {
      return {
        status: "already-done",
        executionArn,
        detail: `already migrated by execution ${name}: the encrypted replacement awaits cut-over (see the source's efs-guard:replacement tag)`,
      };
    }
    if (previous) continue; // failed, timed out or aborted: the next attempt gets the next name
    const askedAt = Date.now();
    try {
      const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      // Same name and input as a running execution: AWS answers with that execution instead of starting one.
      if (out.startDate && out.startDate.getTime() < askedAt - 5_000) {
        return {
          status: "already-done",
          executionArn: out.executionArn ?? executionArn,
          detail: `migration already in progress (execution ${name})`,
        };
      }
      return {
        status: "done",
        executionArn: out.executionArn ?? executionArn,
        detail: `migration ${name} started; it waits for approval after the safety backup`,
      };
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) return call("states:StartExecution", () => Promise.reject(error));
      // Another trigger started it between our look and our start: look again.
      const now = await describe(sfn, executionArn);
      if (now?.status === "SUCCEEDED") {
        return { status: "already-done", executionArn, detail: `already migrated by execution ${name}` };
      }
      if (now && now.status !== "RUNNING") continue;
      return { status: "already-done", executionArn, detail: `migration already in progress (execution ${name})` };
    }
  }
  throw new GuardError(
    "REMEDIATION_FAILED",
    `${input.fileSystemId} had ${MAX_ATTEMPTS} unsuccessful migration attempts; not starting another. Look at the executions efs-guard-migrate-${input.fileSystemId}*`,
  );
}
