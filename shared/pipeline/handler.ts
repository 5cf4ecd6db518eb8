import type { Context } from "aws-lambda";
import { guardHandler } from "../runtime/middleware.js";
import { type PipelineDeps, processEvent } from "./run.js";
import type { Guard } from "./types.js";

/** The account in a Lambda function ARN (arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME). */
export function accountOfFunctionArn(arn: string): string | undefined {
  return /^arn:[a-z-]+:lambda:[a-z0-9-]+:(\d{12}):function:/.exec(arn)?.[1];
}

/**
 * The handler of a guard function: each invocation runs processEvent with the account the function itself runs in
 * (its ARN in the Lambda context), so that another account's event is ignored. `hub` (the functions that can act in
 * the organization's members, shared/pipeline/members.ts withMembers) turns the deps into the hub's once, from the
 * function's ARN at its first invocation: it acts in the member accounts when organization.organizationId is set.
 */
export function guardEventHandler(guard: Guard, deps: PipelineDeps, hub?: (functionArn: string) => PipelineDeps) {
  let ready: PipelineDeps | undefined;
  return guardHandler(async (event: unknown, context: Context) => {
    const account = accountOfFunctionArn(context.invokedFunctionArn);
    ready ??= hub ? hub(context.invokedFunctionArn) : deps;
    return processEvent(event, guard, account ? { ...ready, account } : ready);
  });
}
