import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { ResultEntry, ResultManifest, SweepItem, SweepMapInput } from "../pipeline/sweep-map.js";
import { AwsCallError, GuardError } from "../runtime/errors.js";
import { call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

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
  const name = sweepExecutionName(requestId);
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

/** The runs bucket's client (SSE-S3: the bucket encrypts, nothing to pass). */
export const s3Client = perRegion((region) => new S3Client(clientConfig(region)));

/** The execution's name: the sweep invocation's request id (see startSweepMap). */
export function sweepExecutionName(requestId: string): string {
  return `sweep-${requestId}`.replace(/[^\w-]/g, "-").slice(0, 80);
}

/** Writes the run's items, the ItemReader's JSON array (one object per item). */
export async function putRunItems(s3: S3Client, bucket: string, key: string, items: readonly SweepItem[]) {
  await call("s3:PutObject", () =>
    s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(items), ContentType: "application/json" }),
    ),
  );
}

async function getJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  const out = await call("s3:GetObject", () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
  const text = (await out.Body?.transformToString("utf-8")) ?? "";
  try {
    return JSON.parse(text);
  } catch {
    throw new GuardError("EVENT_MALFORMED", `s3://${bucket}/${key} is not JSON`);
  }
}

/** The run's items, as the sweep function wrote them. */
export async function readRunItems(s3: S3Client, bucket: string, key: string): Promise<SweepItem[]> {
  const items = await getJson(s3, bucket, key);
  if (!Array.isArray(items)) throw new GuardError("EVENT_MALFORMED", `s3://${bucket}/${key} is not an item array`);
  return items as SweepItem[];
}

/**
 * Every child's entry that the ResultWriter wrote: its manifest, then each SUCCEEDED and FAILED result file it names
 * (PENDING lists children that never ran; their items have no result, which the summary reports).
 */
export async function readRunResults(s3: S3Client, manifest: { Bucket: string; Key: string }): Promise<ResultEntry[]> {
  const found = (await getJson(s3, manifest.Bucket, manifest.Key)) as ResultManifest;
  if (!found || typeof found.ResultFiles !== "object")
    throw new GuardError("EVENT_MALFORMED", `s3://${manifest.Bucket}/${manifest.Key} is not a ResultWriter manifest`);
  const files = [...(found.ResultFiles.SUCCEEDED ?? []), ...(found.ResultFiles.FAILED ?? [])];
  const entries: ResultEntry[] = [];
  for (const file of files) {
    const content = await getJson(s3, found.DestinationBucket ?? manifest.Bucket, file.Key);
    if (Array.isArray(content)) entries.push(...(content as ResultEntry[]));
  }
  return entries;
}
