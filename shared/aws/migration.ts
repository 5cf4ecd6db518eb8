import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { GuardError } from "../runtime/errors.js";
import { call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const sfnClient = perRegion((region) => new SFNClient(clientConfig(region)));

/** The environment variable through which the stack tells a function where the migration workflow is. */
export const MIGRATION_ENV = "MIGRATION_STATE_MACHINE_ARN";

/**
 * One execution per file system: the name is derived from the file system id, so a duplicate trigger cannot
 * start a second migration (Step Functions refuses a second running execution with the same name).
 */
export function migrationExecutionName(fileSystemId: string): string {
  return `efs-guard-migrate-${fileSystemId}`;
}

export interface MigrationInput {
  fileSystemId: string;
  region: string;
  reason: string;
  requestedBy: string;
}

export type MigrationStart =
  | { status: "done"; detail: string; executionArn: string }
  | { status: "already-done"; detail: string };

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
  const name = migrationExecutionName(input.fileSystemId);
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return { status: "done", executionArn: out.executionArn ?? name, detail: `migration ${name} started` };
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists) {
      return { status: "already-done", detail: `migration already in progress (execution ${name})` };
    }
    return call("states:StartExecution", () => Promise.reject(error));
  }
}
