import { DescribeFileSystemsCommand, EFSClient, PutBackupPolicyCommand } from "@aws-sdk/client-efs";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSweepAccount, SEED_CONCURRENCY, type SweepAccount } from "../../bench/sweep-account.js";
import { FunctionHost } from "../../emulator/host.js";
import { LambdaHost } from "../../emulator/lambda-host.js";
import { synthTemplate } from "../../emulator/template.js";
import { mapLimit } from "../../shared/pipeline/concurrency.js";
import type { SweepSummary } from "../../shared/pipeline/sweep.js";
import { configureEmulator, resetEmulator } from "../support/emulator.js";
import { maxOverlap } from "../support/overlap.js";

/**
 * Issue 17: a region too large for one invocation is swept on the Distributed Map of the synthesized state machine
 * efs-guard-sweep, as moto's Step Functions runs it, each child the sweep bundle in its Node.js 24 sandbox under the
 * sweep function's role (IAM enforced). The split threshold is lowered to one listing page (100 file systems) so
 * that 300 file systems make 3 items; at most 2 children at once. Every file system has backups off, so each one's
 * assessment shows as exactly one efs-backup-enabled alert: every file system assessed once, none twice.
 */
const N = Number(process.env.SWEEP_MAP_N ?? 300);
const K = 5;
const PER_ITEM = 100;
const CONCURRENCY = 2;
const SWEEP = "functions/sweep/handler.ts";
const region = "us-east-1";

let host: FunctionHost;
let lambdas: LambdaHost;
let account: SweepAccount;
/** The file systems in the listing's order: item i covers [i * 100, i * 100 + 100). */
let listed: string[];
const sfn = new SFNClient({ region });

beforeAll(async () => {
  await resetEmulator();
  // moto runs the definitions (its ASL interpreter) only when asked to; the other tests keep it off.
  await configureEmulator({ stepfunctions: { execute_state_machine: true } });
  const template = synthTemplate({
    observeDays: 0,
    alertDedupWindowMinutes: 0,
    sweepMap: { fileSystemsPerItem: PER_ITEM, maxConcurrency: CONCURRENCY },
  });
  host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  lambdas = await LambdaHost.deploy(template, {
    topicArn: host.alertsTopicArn,
    region,
    stateMachines: ["SweepSplit"],
  });
  account = await buildSweepAccount(N, K, { groups: 2 });
  const efs = new EFSClient({ region });
  await mapLimit(account.fileSystems, SEED_CONCURRENCY, (FileSystemId) =>
    efs.send(new PutBackupPolicyCommand({ FileSystemId, BackupPolicy: { Status: "DISABLED" } })),
  );
  listed = [];
  let Marker: string | undefined;
  do {
    const page = await efs.send(new DescribeFileSystemsCommand({ Marker, MaxItems: 100 }));
    for (const fs of page.FileSystems ?? []) listed.push(fs.FileSystemId!);
    Marker = page.NextMarker;
  } while (Marker);
}, 900_000);

afterAll(async () => {
  await configureEmulator({ stepfunctions: { execute_state_machine: false } });
  await lambdas?.stop();
  await host?.stop();
});

const stateMachineArn = () => Object.values(lambdas.stateMachineArns)[0] as string;

/** The scheduled sweep, then its execution to the end: the parent's answer, the execution's output, the alerts. */
async function sweepOnTheMap() {
  const before = lambdas.invocations.length;
  const parent = (await host.invoke(SWEEP, {})) as SweepSummary;
  const executions = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stateMachineArn() }));
  const arn = parent.split?.execution as string;
  expect(executions.executions?.map((e) => e.executionArn)).toContain(arn);
  let status = "RUNNING";
  let output = "";
  for (let i = 0; i < 400 && status === "RUNNING"; i += 1) {
    await new Promise((done) => setTimeout(done, 500));
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    status = out.status ?? "";
    output = out.output ?? "";
  }
  if (status !== "SUCCEEDED") {
    // What moto's interpreter did last, for the failure message.
    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: arn, reverseOrder: true, maxResults: 15 }),
    );
    process.stderr.write(
      `sweep-map: execution ${status}:\n${JSON.stringify(history.events, null, 1).slice(0, 6000)}\n`,
    );
  }
  const alerts = await host.alerts();
  const children = lambdas.invocations.slice(before).filter((i) => i.event?.sweepItem);
  return { parent, status, summary: JSON.parse(output || "{}") as SweepSummary, alerts, children };
}

const backupAlerts = (alerts: { message: any; attributes: Record<string, string> }[]) =>
  alerts
    .filter((a) => a.attributes.control === "efs-backup-enabled" && a.attributes.outcome !== "summary")
    .map((a) => JSON.stringify(a.message).match(/\bfs-[0-9a-f]{8,17}\b/)?.[0] ?? "");

describe("the sweep split on a Distributed Map (emulator)", () => {
  it("splits 300 file systems into 3 items, at most 2 at once, each assessed once, one summary with exact totals", async () => {
    const { parent, status, summary, alerts, children } = await sweepOnTheMap();
    // The scheduled invocation only planned the items: it sent no summary of its own.
    expect(parent.split).toMatchObject({ items: 3, failedItems: 0 });
    expect(status).toBe("SUCCEEDED");
    expect(children.map((c) => c.event.sweepItem.page.index).sort()).toEqual([0, 1, 2]);
    expect(children.every((c) => !c.error)).toBe(true);
    const overlap = maxOverlap(children);
    process.stderr.write(`sweep-map: ${children.length} children, at most ${overlap} at once\n`);
    expect(overlap).toBeLessThanOrEqual(CONCURRENCY);

    const summaries = alerts.filter((a) => a.attributes.outcome === "summary");
    expect(summaries).toHaveLength(1);
    const ids = backupAlerts(alerts);
    expect(ids).toHaveLength(N);
    expect(new Set(ids)).toEqual(new Set(account.fileSystems));

    expect(summary.split).toEqual({ items: 3, failedItems: 0 });
    expect(summary.errors).toEqual([]);
    expect(summary.nonCompliant).toBe(N);
    expect(summary.counts["efs-backup-enabled"]).toEqual({ alerted: N });
    for (const control of ["efs-encrypted-at-rest", "efs-tls-enforced", "efs-policy-not-public"]) {
      expect(summary.counts[control], control).toEqual({ compliant: N });
    }
    expect(summary.counts["efs-key-rotation-enabled"]).toEqual({ compliant: K });
    // Mount targets on every 10th file system, behind groups[i % 2]: i is even, so only the first group has any.
    expect(summary.counts["efs-nfs-ingress-restricted"]).toEqual({ compliant: 1 });
  }, 900_000);

  it("reports a failed child in the summary, names its file systems as not assessed, and the others complete", async () => {
    lambdas.failWhere(SWEEP, (event) => event?.sweepItem?.page?.index === 1, "Sandbox.Timedout");
    try {
      const { status, summary, alerts } = await sweepOnTheMap();
      expect(status).toBe("SUCCEEDED");
      expect(summary.split).toEqual({ items: 3, failedItems: 1 });
      expect(summary.errors).toHaveLength(1);
      expect(summary.errors[0]).toMatchObject({ guard: "sweep", region, code: "Sandbox.Timedout" });
      expect(summary.errors[0]?.message).toMatch(
        /^item 2 of 3 \(file systems 101 to 200 of the listing\) not assessed/,
      );
      const ids = backupAlerts(alerts);
      expect(new Set(ids)).toEqual(new Set([...listed.slice(0, 100), ...listed.slice(200)]));
      expect(ids).toHaveLength(N - PER_ITEM);
      expect(summary.counts["efs-backup-enabled"]).toEqual({ alerted: N - PER_ITEM });
      const message = JSON.stringify(alerts.find((a) => a.attributes.outcome === "summary")?.message);
      expect(message).toContain("3 items, 1 failed");
    } finally {
      lambdas.clearOverrides();
    }
  }, 900_000);
});
