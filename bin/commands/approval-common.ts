import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { ApprovalError } from "../../shared/aws/approvals.js";
import { sfnClient } from "../../shared/aws/migration.js";
import { clientConfig } from "../../shared/aws/sdk-config.js";
import type { Io } from "./types.js";

/** Shared by approve and reject: the region, the client and who is answering. */
export function regionFor(execution: string, given?: string): string {
  if (given) return given;
  if (execution.startsWith("arn:")) {
    const region = execution.split(":")[3];
    if (region) return region;
  }
  const env = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!env) throw new ApprovalError("no region: pass --region, set AWS_REGION, or give the execution ARN");
  return env;
}

export function clientFor(region: string) {
  return sfnClient(region);
}

/** The caller's identity, for the record in the notification (CloudTrail has the authoritative one). */
export async function whoAmI(region: string): Promise<string> {
  try {
    const out = await new STSClient(clientConfig(region)).send(new GetCallerIdentityCommand({}));
    return out.Arn ?? process.env.USER ?? "unknown";
  } catch {
    return process.env.USER ?? "unknown";
  }
}

/** Errors that name what was wrong and what to do: exit code 2, one line on stderr. */
export function failed(command: string, error: unknown, io: Io): number {
  io.err(`efs-guard ${command}: ${error instanceof Error ? error.message : String(error)}`);
  return 2;
}
