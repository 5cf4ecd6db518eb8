import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { bucketNameOf } from "../../emulator/intrinsics.js";
import { LambdaHost } from "../../emulator/lambda-host.js";
import { synthTemplate } from "../../emulator/template.js";
import { CONTROL_IDS } from "../../shared/config/controls.js";
import type { SweepSummary } from "../../shared/pipeline/sweep.js";
import { SUMMARY_ERRORS, SUMMARY_UNREACHABLE } from "../../shared/pipeline/sweep-map.js";
import { configureEmulator, resetEmulator } from "../support/emulator.js";
import { organization } from "../support/organization.js";
import { maxOverlap } from "../support/overlap.js";

/**
 * Issue 13 at scale: an organization sweep whose items and results are both far past the 256 KiB that the
 * execution's state can hold, on the emulator, through S3 (the Map's ItemReader and ResultWriter,
 * emulator/patches/stepfunctions_result_writer.py) and the deployed sweep bundle under its synthesized role.
 * ACCOUNTS accounts (organization.accounts) x the 17 regions below: every member is without its role (the cheapest
 * real child: one AssumeRole, AccessDenied), so every item fails fast, is caught, and is reported; the summary must
 * count every one of them exactly. (17,000 children, 1,000 x 17, take too long on this shared machine: the figure
 * measured here is in docs/organizations.md.)
 */
const ACCOUNTS = 320;
const CONCURRENCY = 20;
const REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-central-1",
  "eu-north-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-south-1",
  "sa-east-1",
];
const ITEMS = ACCOUNTS * REGIONS.length;
const SWEEP = "functions/sweep/handler.ts";
const KIB256 = 256 * 1024;
const HUB = "123456789012";

let host: FunctionHost;
let runsBucket: string;
let lambdas: LambdaHost;
let accounts: string[];
const sfn = new SFNClient({ region: "us-east-1" });
const s3 = new S3Client({ region: "us-east-1" });

beforeAll(async () => {
  await resetEmulator();
  await configureEmulator({ stepfunctions: { execute_state_machine: true } });
  // Members of the organization (the sweep role may assume member roles only there, aws:ResourceOrgID), each
  // without its role: a denial by the member's side, never by the hub's own policy.
  const org = await organization(Array.from({ length: ACCOUNTS }, (_, i) => `member-${i}`));
  accounts = org.members;
  const modes = Object.fromEntries(CONTROL_IDS.map((c) => [c, "off"]));
  const template = synthTemplate(
    {
      observeDays: 0,
      alertDedupWindowMinutes: 0,
      regions: REGIONS.slice(1),
      modes: { ...modes, "efs-backup-enabled": "alert" },
      organization: {
        organizationId: org.id,
        organizationalUnitIds: ["ou-ab12-11112222"],
        accounts,
        sweepConcurrency: CONCURRENCY,
      },
    },
    { region: "us-east-1" },
  );
  const [bucketId] = Object.entries(template.Resources).find(([, r]) => r.Type === "AWS::S3::Bucket")!;
  runsBucket = bucketNameOf(bucketId);
  host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  lambdas = await LambdaHost.deploy(template, {
    topicArn: host.alertsTopicArn,
    region: "us-east-1",
    stateMachines: ["SweepSplit"],
  });
}, 600_000);

afterAll(async () => {
  await configureEmulator({ stepfunctions: { execute_state_machine: false } });
  await lambdas?.stop();
  await host?.stop();
});

async function objectSize(bucket: string, prefix: string): Promise<number> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).reduce((n, o) => n + (o.Size ?? 0), 0);
}

describe("the organization sweep past the 256 KiB state limit (emulator, S3)", () => {
  it(`${ACCOUNTS} accounts x ${REGIONS.length} regions: every item run, caught and counted`, async () => {
    const started = Date.now();
    const parent = (await host.invoke(SWEEP, {})) as SweepSummary;
    expect(parent.split).toMatchObject({ items: ITEMS, failedItems: 0 });
    const executionArn = parent.split?.execution as string;
    let out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    for (let i = 0; i < 3600 && out.status === "RUNNING"; i += 1) {
      await new Promise((done) => setTimeout(done, 500));
      out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    }
    expect(out.status, `${out.error}: ${out.cause}`).toBe("SUCCEEDED");
    const elapsed = Date.now() - started;

    // The execution's input names the objects: no item travels in the state.
    const input = JSON.parse(out.input ?? "{}");
    expect(input.items).toBeUndefined();
    expect(input.itemsKey).toMatch(/^runs\/sweep-[\w-]+\/items\.json$/);
    expect(input.resultsPrefix).toBe(input.itemsKey.replace(/items\.json$/, "results"));
    const bucket = runsBucket;
    const itemsBytes = await objectSize(bucket, input.itemsKey);
    const resultsBytes = await objectSize(bucket, `${input.resultsPrefix}/`);
    const items = JSON.parse(
      (await (
        await s3.send(new GetObjectCommand({ Bucket: bucket, Key: input.itemsKey }))
      ).Body?.transformToString()) ?? "[]",
    );
    expect(items).toHaveLength(ITEMS);
    expect(itemsBytes).toBeGreaterThan(KIB256);
    expect(resultsBytes).toBeGreaterThan(KIB256);

    const children = lambdas.invocations.filter((c) => c.event?.sweepItem);
    const overlap = maxOverlap(children);
    process.stderr.write(
      `sweep-org-s3: ${children.length} children, at most ${overlap} at once, items ${itemsBytes} B, results ${resultsBytes} B, ${elapsed} ms from the schedule to the summary\n`,
    );
    expect(children).toHaveLength(ITEMS);
    expect(overlap).toBeLessThanOrEqual(CONCURRENCY);

    // Every item failed in its child (no role), was caught and is counted; the output stays within 256 KiB.
    expect(Buffer.byteLength(out.output ?? "")).toBeLessThan(KIB256);
    const summary = JSON.parse(out.output ?? "{}") as SweepSummary;
    expect(summary.split).toEqual({ items: ITEMS, failedItems: ITEMS });
    expect(summary.errors).toHaveLength(SUMMARY_ERRORS);
    expect(summary.errors.length + (summary.omittedErrors ?? 0)).toBe(ITEMS);
    expect(new Set(summary.errors.map((e) => e.code))).toEqual(new Set(["MemberRoleUnavailableError"]));
    // The output names the first SUMMARY_UNREACHABLE accounts (each in all 17 regions) and counts the rest.
    expect(summary.unreachable).toHaveLength(SUMMARY_UNREACHABLE);
    expect(summary.omittedUnreachable).toBe(ACCOUNTS - SUMMARY_UNREACHABLE);
    expect(summary.unreachable?.every((u) => accounts.includes(u.account) && u.regions.length === REGIONS.length)).toBe(
      true,
    );
    expect(summary.accounts).toEqual({ [HUB]: { counts: {}, nonCompliant: 0, remediated: 0, failed: 0, errors: 0 } });
    const alerts = await host.alerts();
    const summaries = alerts.filter((a) => a.attributes.outcome === "summary");
    expect(summaries).toHaveLength(1);
    expect(JSON.stringify(summaries[0]?.message)).toContain(`1 swept, ${ACCOUNTS} unreachable`);
    expect(Buffer.byteLength(JSON.stringify(summaries[0]?.message))).toBeLessThan(KIB256);
  }, 3_600_000);
});
