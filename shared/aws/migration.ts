import { createHash } from "node:crypto";
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

/** The error a rejected execution ends with (the approval's SendTaskFailure, verified). */
const REJECTED = "EfsGuard.Rejected";

/** How many attempts one file system may have: a new one is started only after the previous ended unsuccessfully. */
export const MAX_ATTEMPTS = 20;

/**
 * One execution per file system at a time: the name is derived from the file system id, so a duplicate trigger
 * cannot start a second migration. Attempt 1 is `efs-guard-migrate-<fsid>`; after a run that ended without
 * migrating (failed, rejected, timed out, aborted), the next trigger starts `efs-guard-migrate-<fsid>-2`, and so on
 * (Step Functions keeps a finished execution's name taken for 90 days).
 * A member's file system (the hub migrating it in the member account) has the account in the name,
 * `efs-guard-migrate-<fsid>-<account>[-n]`: the same id can exist in two accounts, and a file system created in
 * member B must neither block nor take over the migration of member A's. After the id, so that the name still
 * starts `efs-guard-migrate-fs-` (the step roles' IAM conditions on the efs-guard:migration tag) and `efs-guard
 * approve fs-…` finds it; a 12-digit account cannot be read as an attempt (at most MAX_ATTEMPTS). The longest name
 * (the longest fs id, fs- and 40 hex, the account, attempt 20) is 77 characters, within Step Functions' 80.
 */
export function migrationExecutionName(fileSystemId: string, attempt = 1, account?: string): string {
  const base = account ? `efs-guard-migrate-${fileSystemId}-${account}` : `efs-guard-migrate-${fileSystemId}`;
  return attempt <= 1 ? base : `${base}-${attempt}`;
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
  /** What is asked for (migrationSubject): a rejection holds until it changes. */
  subject?: string;
  /** The finding's severity, so that the approval request and the alert that started it say the same. */
  severity?: string;
  /** The member account of a member's file system (MigrationRequest.account); absent: the hub's own. */
  account?: string;
}

/**
 * What an approval is asked for: this file system, for this reason, to this key, by this strategy. A rejection
 * answers exactly that question, so it holds until the answer could differ: the reason (the file system's
 * encryption or the control's requirement) or the migration asked for (key, strategy) changes.
 */
export function migrationSubject(parts: {
  fileSystemId: string;
  reason: string;
  kmsKeyArn?: string | undefined;
  strategy: string;
}): string {
  const text = JSON.stringify([parts.fileSystemId, parts.reason, parts.kmsKeyArn ?? "the stack's key", parts.strategy]);
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/**
 * `migration`: started now, already running, already succeeded (the replacement exists, cut-over pending), or not
 * started because the same question was rejected and nothing changed since (`declined`).
 */
export type MigrationStart = {
  status: "done" | "already-done" | "declined";
  detail: string;
  executionArn: string;
  migration: "started" | "running" | "succeeded" | "rejected";
};

export interface StartOptions {
  /** An operator asks again (efs-guard migrate): a previous rejection does not hold. */
  askAgain?: boolean;
}

interface Described {
  status: ExecutionStatus;
  startDate?: Date;
  stopDate?: Date;
  error?: string;
  input?: string;
}

async function describe(sfn: SFNClient, executionArn: string): Promise<Described | undefined> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return {
      status: out.status!,
      ...(out.startDate ? { startDate: out.startDate } : {}),
      ...(out.stopDate ? { stopDate: out.stopDate } : {}),
      ...(out.error ? { error: out.error } : {}),
      ...(out.input ? { input: out.input } : {}),
    };
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return undefined;
    return call("states:DescribeExecution", () => Promise.reject(error));
  }
}

function subjectOf(input: string | undefined): string | undefined {
  try {
    return (JSON.parse(input ?? "{}") as { subject?: string }).subject;
  } catch {
    return undefined;
  }
}

/**
 * Starts the migration of a file system unless one is running or already succeeded, and says truthfully which.
 * StartExecution alone cannot tell: with the same name and input as a running execution it succeeds and returns
 * the running one; with another input, or after the execution finished, it raises ExecutionAlreadyExists.
 * At most one execution (one open approval request) per file system runs at a time. After a rejection, the same
 * question is not asked again (declined) until its subject changes or an operator asks (`askAgain`). Step
 * Functions keeps a closed execution for 90 days: so long is a rejection remembered.
 */
export async function startMigration(
  sfn: SFNClient,
  stateMachineArn: string | undefined,
  input: MigrationInput,
  options: StartOptions = {},
): Promise<MigrationStart> {
  if (!stateMachineArn) {
    throw new GuardError(
      "NOT_DEPLOYED",
      `the migration workflow is not deployed (${MIGRATION_ENV} is not set): ${input.fileSystemId} was not migrated`,
    );
  }
  let last: (Described & { name: string; executionArn: string }) | undefined;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const name = migrationExecutionName(input.fileSystemId, attempt, input.account);
    const executionArn = executionArnFor(stateMachineArn, name);
    const previous = await describe(sfn, executionArn);
    if (previous?.status === "RUNNING" || previous?.status === "PENDING_REDRIVE") {
      return {
        status: "already-done",
        executionArn,
        migration: "running",
        detail: `migration already in progress (execution ${name})`,
      };
    }
    if (previous?.status === "SUCCEEDED") {
      return {
        status: "already-done",
        executionArn,
        migration: "succeeded",
        detail: `already migrated by execution ${name}: the encrypted replacement awaits cut-over (see the source's efs-guard:replacement tag)`,
      };
    }
    if (previous) {
      last = { name, executionArn, ...previous };
      continue; // failed, rejected, timed out or aborted: the next attempt gets the next name
    }
    if (last?.status === "FAILED" && last.error === REJECTED && !options.askAgain) {
      const before = subjectOf(last.input);
      if (before !== undefined && before === input.subject) {
        const when = last.stopDate ? ` on ${last.stopDate.toISOString().slice(0, 10)}` : "";
        return {
          status: "declined",
          executionArn: last.executionArn,
          migration: "rejected",
          detail: `the migration was rejected${when} (execution ${last.name}); not asked again until the file system or the migration asked for changes, or an operator runs efs-guard migrate ${input.fileSystemId}${input.account ? ` --account ${input.account}` : ""}`,
        };
      }
    }
    const askedAt = Date.now();
    try {
      const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      // Same name and input as a running execution: AWS answers with that execution instead of starting one.
      if (out.startDate && out.startDate.getTime() < askedAt - 5_000) {
        return {
          status: "already-done",
          executionArn: out.executionArn ?? executionArn,
          migration: "running",
          detail: `migration already in progress (execution ${name})`,
        };
      }
      return {
        status: "done",
        executionArn: out.executionArn ?? executionArn,
        migration: "started",
        detail: `migration ${name} started; it asks for approval first; the safety backup starts after the approval`,
      };
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) return call("states:StartExecution", () => Promise.reject(error));
      // Another trigger started it between our look and our start: look again.
      const now = await describe(sfn, executionArn);
      if (now?.status === "SUCCEEDED") {
        return {
          status: "already-done",
          executionArn,
          migration: "succeeded",
          detail: `already migrated by execution ${name}: the encrypted replacement awaits cut-over`,
        };
      }
      if (now && now.status !== "RUNNING") continue;
      return {
        status: "already-done",
        executionArn,
        migration: "running",
        detail: `migration already in progress (execution ${name})`,
      };
    }
  }
  throw new GuardError(
    "REMEDIATION_FAILED",
    `${input.fileSystemId} had ${MAX_ATTEMPTS} unsuccessful migration attempts; not starting another. Look at the executions ${migrationExecutionName(input.fileSystemId, 1, input.account)}*`,
  );
}
