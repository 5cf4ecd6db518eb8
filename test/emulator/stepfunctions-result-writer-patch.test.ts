import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRunResults } from "../../shared/aws/sweep-map.js";
import { configureEmulator, resetEmulator } from "../support/emulator.js";

/**
 * patches/stepfunctions_result_writer.py: a Distributed Map reads its items from S3 (ItemReader, moto's own) and its
 * ResultWriter writes the children's results as AWS documents them: SUCCEEDED_0.json and FAILED_0.json under
 * PREFIX/<map run id>/, and the manifest naming them, which is the Map's output. Read back with the summary step's
 * own reader (shared/aws/sweep-map.ts readRunResults).
 */
const region = "us-east-1";
const sfn = new SFNClient({ region });
const s3 = new S3Client({ region });
const BUCKET = "efs-guard-result-writer-test";

beforeAll(async () => {
  await resetEmulator();
  await configureEmulator({ stepfunctions: { execute_state_machine: true } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  await configureEmulator({ stepfunctions: { execute_state_machine: false } });
});

const definition = {
  StartAt: "Items",
  States: {
    Items: {
      Type: "Map",
      ItemReader: {
        Resource: "arn:aws:states:::s3:getObject",
        ReaderConfig: { InputType: "JSON" },
        Parameters: { Bucket: BUCKET, "Key.$": "$.itemsKey" },
      },
      ResultWriter: {
        Resource: "arn:aws:states:::s3:putObject",
        Parameters: { Bucket: BUCKET, "Prefix.$": "$.resultsPrefix" },
      },
      ItemSelector: { "item.$": "$$.Map.Item.Value", "run.$": "$.run" },
      ItemProcessor: {
        ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
        StartAt: "Check",
        States: {
          Check: {
            Type: "Choice",
            Choices: [{ Variable: "$.item.fail", BooleanEquals: true, Next: "Fail" }],
            Default: "Echo",
          },
          Fail: { Type: "Fail", Error: "Boom", Cause: "a bad item" },
          Echo: { Type: "Pass", End: true },
        },
      },
      MaxConcurrency: 2,
      ToleratedFailurePercentage: 100,
      ResultPath: "$.results",
      End: true,
    },
  },
};

async function text(key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await out.Body?.transformToString("utf-8")) ?? "";
}

describe("Step Functions: ItemReader from S3 and ResultWriter's result files (patch)", () => {
  it("reads the items object, writes SUCCEEDED and FAILED files and a manifest naming them", async () => {
    const items = [{ n: 1 }, { n: 2, fail: true }, { n: 3 }];
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "runs/r1/items.json", Body: JSON.stringify(items) }));
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: "result-writer",
        definition: JSON.stringify(definition),
        roleArn: "arn:aws:iam::123456789012:role/sfn",
      }),
    );
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        input: JSON.stringify({ itemsKey: "runs/r1/items.json", resultsPrefix: "runs/r1/results", run: { r: "x" } }),
      }),
    );
    let out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    for (let i = 0; i < 240 && out.status === "RUNNING"; i += 1) {
      await new Promise((done) => setTimeout(done, 250));
      out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    }
    expect(out.status, `${out.error}: ${out.cause}`).toBe("SUCCEEDED");
    const { results } = JSON.parse(out.output ?? "{}");
    const runId = String(results.MapRunArn).split(":").pop();
    expect(results.MapRunArn).toMatch(/^arn:aws:states:us-east-1:123456789012:mapRun:result-writer\//);
    expect(results.ResultWriterDetails).toEqual({ Bucket: BUCKET, Key: `runs/r1/results/${runId}/manifest.json` });

    const manifest = JSON.parse(await text(results.ResultWriterDetails.Key));
    const succeededKey = `runs/r1/results/${runId}/SUCCEEDED_0.json`;
    const failedKey = `runs/r1/results/${runId}/FAILED_0.json`;
    expect(manifest).toEqual({
      DestinationBucket: BUCKET,
      MapRunArn: results.MapRunArn,
      ResultFiles: {
        FAILED: [{ Key: failedKey, Size: Buffer.byteLength(await text(failedKey)) }],
        PENDING: [],
        SUCCEEDED: [{ Key: succeededKey, Size: Buffer.byteLength(await text(succeededKey)) }],
      },
    });

    const entries = await readRunResults(s3, results.ResultWriterDetails);
    const child = (n: number, fail?: boolean) => ({ item: { n, ...(fail ? { fail } : {}) }, run: { r: "x" } });
    expect(entries.map((e) => [e.Status, JSON.parse(e.Input ?? "null")])).toEqual([
      ["SUCCEEDED", child(1)],
      ["SUCCEEDED", child(3)],
      ["FAILED", child(2, true)],
    ]);
    expect(entries.map((e) => (e.Output === undefined ? undefined : JSON.parse(e.Output)))).toEqual([
      child(1),
      child(3),
      undefined,
    ]);
    expect(entries[2]).toMatchObject({ Status: "FAILED", Error: "Boom", Cause: "a bad item" });
    expect(entries.every((e) => e.ExecutionArn?.startsWith(results.MapRunArn.replace(":mapRun:", ":execution:")))).toBe(
      true,
    );
  }, 120_000);
});
