import type { FileSystemDescription } from "@aws-sdk/client-efs";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { tagsToRecord } from "../aws/efs-migration.js";
import { executionStartDate } from "../aws/executions.js";
import { executionArnFor } from "../aws/migration.js";
import type { PerRegion } from "./deps.js";
import { claimedCreator, judgeReplacement, type Verdict } from "./provenance.js";

/** The state machine of the running execution: its ARN without the execution's name. */
function stateMachineArnOf(executionArn: string): string {
  return executionArn.replace(":execution:", ":stateMachine:").split(":").slice(0, -1).join(":");
}

/** Is this file system one this migration created? (provenance.ts: tags checked against AWS's own records.) */
export async function verdictOn(
  deps: { sfn: PerRegion<SFNClient>; homeRegion: string },
  fs: FileSystemDescription,
  sourceId: string,
  kmsKeyArn: string,
  executionArn: string,
  account?: string,
): Promise<Verdict> {
  const tags = tagsToRecord(fs.Tags);
  const claimed = claimedCreator(tags, sourceId, account);
  const executionStart = claimed
    ? await executionStartDate(
        deps.sfn(executionArn.split(":")[3] ?? deps.homeRegion),
        executionArnFor(stateMachineArnOf(executionArn), claimed),
      )
    : undefined;
  return judgeReplacement(
    {
      fileSystemId: fs.FileSystemId!,
      tags,
      ...(fs.CreationToken ? { creationToken: fs.CreationToken } : {}),
      ...(fs.CreationTime ? { creationTime: fs.CreationTime } : {}),
      ...(fs.KmsKeyId ? { kmsKeyId: fs.KmsKeyId } : {}),
      ...(fs.Encrypted !== undefined ? { encrypted: fs.Encrypted } : {}),
    },
    { sourceId, kmsKeyArn, executionStart, account },
  );
}
