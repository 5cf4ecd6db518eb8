import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CountingProxy } from "../../bench/proxy.js";
import { buildSweepAccount, type SweepAccount } from "../../bench/sweep-account.js";
import { parseConfig } from "../../shared/config/schema.js";
import { allGuards } from "../../shared/guards/index.js";
import { scanAccount } from "../../shared/pipeline/scan.js";
import { sweepRegion } from "../../shared/pipeline/sweep.js";
import { fixedClock } from "../../shared/runtime/clock.js";
import { testDeps } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";

/**
 * Issue 17: the sweep's and scan's cost is linear in the account. A compliant region of 2,000 file systems on 20
 * keys behind 3 security groups, counted on the wire: every listing once (file systems 100 per page, mount-target
 * interfaces, the groups' interfaces, rules and VPC in one batch each), DescribeKey, GetKeyRotationStatus and
 * GetKeyPolicy once per key, and per file system only the two reads that have no batch form (its policy and backup policy).
 */
const N = 2000;
const K = 20;
const G = 3;
/** File systems with a mount target (bench/sweep-account.ts: every 10th), each judged by efs-mount-target-private. */
const M = Math.ceil(N / 10);

const EXPECTED: Record<string, number> = {
  "elasticfilesystem:DescribeFileSystems": Math.ceil(N / 100),
  "elasticfilesystem:DescribeFileSystemPolicy": N,
  "elasticfilesystem:DescribeBackupPolicy": N,
  "kms:DescribeKey": K,
  "kms:GetKeyRotationStatus": K,
  // efs-key-policy-restricted: each key's policy once, never per file system.
  "kms:GetKeyPolicy": K,
  // The requester-managed mount-target interfaces, then every interface on their groups (one batch of <= 200).
  "ec2:DescribeNetworkInterfaces": 2,
  "ec2:DescribeSecurityGroupRules": 1,
  "ec2:DescribeVpcs": 1,
  // efs-access: the region's access points in one listing (its policy reads are the file-system guard's).
  "elasticfilesystem:DescribeAccessPoints": 1,
  // efs-replica-encrypted: the region's replications in one listing (none here, so no destination is read).
  "elasticfilesystem:DescribeReplicationConfigurations": 1,
  // efs-clients-use-tls: the region's ACTIVE task definitions (none here), one page.
  "ecs:ListTaskDefinitions": 1,
  // efs-mount-target-private: the region's subnets and route tables, one listing each (none per file system).
  "ec2:DescribeSubnets": 1,
  "ec2:DescribeRouteTables": 1,
};

let proxy: CountingProxy;
let account: SweepAccount;
const endpoint = process.env.AWS_ENDPOINT_URL;

beforeAll(async () => {
  await resetEmulator();
  account = await buildSweepAccount(N, K, { groups: G });
  process.stderr.write(`seeded ${N} file systems on ${K} keys in ${account.seededInMs} ms\n`);
  proxy = await CountingProxy.start(inject("emulatorEndpoint"));
  // Every client made from here on (the guards' own, created on first use) reaches the emulator through the proxy.
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
}, 600_000);

afterAll(async () => {
  process.env.AWS_ENDPOINT_URL = endpoint;
  await proxy?.stop();
});

function byOperation(calls: { service: string; operation: string }[]) {
  const out: Record<string, number> = {};
  for (const c of calls) out[`${c.service}:${c.operation}`] = (out[`${c.service}:${c.operation}`] ?? 0) + 1;
  return out;
}

describe(`the sweep at scale: ${N} file systems on ${K} keys`, () => {
  it("scan makes exactly the floor's calls, by operation, and finds everything compliant", async () => {
    const started = performance.now();
    const { result: report, calls } = await proxy.count(() =>
      scanAccount(allGuards(), ["us-east-1"], { config: parseConfig({}), clock: fixedClock("2026-11-26T12:00:00Z") }),
    );
    const ms = Math.round(performance.now() - started);
    process.stderr.write(`scan of ${N} file systems: ${calls.length} calls in ${ms} ms\n`);
    expect(report.errors).toEqual([]);
    expect(byOperation(calls)).toEqual(EXPECTED);
    expect(calls.length).toBeLessThanOrEqual(2 * N + 3 * K + Math.ceil(N / 100) + 20);
    // 4 file-system and 2 access controls per file system, efs-mount-target-private per file system with a mount
    // target, 3 key controls per key, 1 per group: all compliant.
    expect(report.summary).toMatchObject({ resources: N + K + G, compliant: 6 * N + M + 3 * K + G, nonCompliant: 0 });
  }, 600_000);

  it("the sweep makes the same calls, changes nothing and reports everything compliant", async () => {
    const deps = testDeps();
    const { result: report, calls } = await proxy.count(() => sweepRegion(allGuards(), "us-east-1", deps));
    expect(report.errors).toEqual([]);
    expect(byOperation(calls)).toEqual(EXPECTED);
    expect(report.results.every((r) => r.outcome === "compliant")).toBe(true);
    expect(report.results).toHaveLength(6 * N + M + 3 * K + G);
    expect(deps.notifier.published).toEqual([]);
    expect(new Set(report.results.map((r) => r.finding.resource.id))).toEqual(
      new Set([...account.fileSystems, ...account.keys.map((k) => k.split("/").at(-1)), ...account.groups]),
    );
    expect(report.tally.resources.size).toBe(N + K + G);
  }, 600_000);

  it("streamed as the scheduled sweep runs it: no finding kept, the tally complete; heap high-water reported", async () => {
    const deps = testDeps();
    globalThis.gc?.();
    const base = process.memoryUsage().heapUsed;
    let peak = base;
    const sample = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 20);
    const started = performance.now();
    const report = await sweepRegion(allGuards(), "us-east-1", deps, { keepResults: false });
    clearInterval(sample);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    const ms = Math.round(performance.now() - started);
    process.stderr.write(
      `streamed sweep of ${N} file systems: ${ms} ms, heap ${Math.round(base / 1e6)} MB before, high-water ${Math.round(peak / 1e6)} MB\n`,
    );
    expect(report.errors).toEqual([]);
    expect(report.results).toEqual([]);
    expect(report.tally.resources.size).toBe(N + K + G);
    expect(report.tally.counts["efs-tls-enforced"]).toEqual({ compliant: N });
    expect(report.tally.counts["efs-iam-authorization-required"]).toEqual({ compliant: N });
    expect(report.tally.counts["efs-key-rotation-enabled"]).toEqual({ compliant: K });
    expect(report.tally.nonCompliant).toBe(0);
  }, 600_000);
});
