import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type BenchResults, type Budgets, type CallResult, checkBudgets } from "../../bench/check.js";
import { identify } from "../../bench/proxy.js";

const budgets = JSON.parse(readFileSync(new URL("../../bench/budgets.json", import.meta.url), "utf8")) as Budgets;

function call(overrides: Partial<CallResult>): CallResult {
  return {
    function: "nfs-ingress",
    trigger: "ec2:AuthorizeSecurityGroupIngress",
    kind: "security-group",
    path: "compliant",
    accountFileSystems: 1,
    reads: 3,
    writes: 0,
    publishes: 0,
    total: 3,
    byOperation: {},
    outcome: "compliant",
    ...overrides,
  };
}

function results(overrides: Partial<BenchResults> = {}): BenchResults {
  return {
    generatedAt: "2026-11-26T00:00:00Z",
    machine: { node: "v20", platform: "linux", arch: "x64", cpus: 2, cpuModel: "test" },
    functions: [
      {
        name: "nfs-ingress",
        entry: "functions/nfs-ingress/handler.ts",
        minifiedBytes: 333_000,
        gzippedBytes: 106_000,
        sdkClients: ["@aws-sdk/client-ec2", "@aws-sdk/client-efs", "@aws-sdk/client-sns"],
        packages: [],
        largestInputs: [],
        floorMinifiedBytes: 230_000,
      },
    ],
    calls: [call({}), call({ accountFileSystems: 200 })],
    unmeasured: [],
    latency: [],
    ...overrides,
  };
}

describe("bench budget check", () => {
  it("passes results within every budget", () => {
    expect(checkBudgets(results(), budgets).violations).toEqual([]);
  });

  it("fails a bundle over its limit, which depends on whether it carries the EC2 client", () => {
    const big = results();
    big.functions[0]!.minifiedBytes = 951_000;
    expect(checkBudgets(big, budgets).violations).toEqual([expect.stringContaining("bundle 951.0 kB > 950 kB")]);
    const noEc2 = results();
    noEc2.functions[0]!.sdkClients = ["@aws-sdk/client-efs", "@aws-sdk/client-sns"];
    noEc2.functions[0]!.minifiedBytes = 351_000;
    expect(checkBudgets(noEc2, budgets).violations).toEqual([expect.stringContaining("> 350 kB")]);
  });

  it("fails too many reads, writes or publishes per event", () => {
    const verdict = checkBudgets(
      results({
        calls: [
          call({ reads: 4, total: 4 }),
          call({ reads: 4, total: 4, accountFileSystems: 200 }),
          call({ function: "kms-key", path: "remediation", reads: 3, writes: 2, publishes: 2, total: 7 }),
          call({
            function: "kms-key",
            path: "remediation",
            reads: 3,
            writes: 2,
            publishes: 2,
            total: 7,
            accountFileSystems: 200,
          }),
        ],
      }),
      budgets,
    );
    expect(verdict.violations).toEqual(
      expect.arrayContaining([
        expect.stringContaining("compliant (1 file systems): 4 reads > 3"),
        expect.stringContaining("remediation (1 file systems): 2 writes > 1"),
        expect.stringContaining("remediation (1 file systems): 2 publishes > 1"),
      ]),
    );
  });

  it("applies a documented exception only to the function and paths it names, and only up to its limit", () => {
    const remediation = (fn: string, reads: number) => [
      call({ function: fn, path: "remediation", reads, writes: 1, publishes: 1, total: reads + 2 }),
      call({
        function: fn,
        path: "remediation",
        reads,
        writes: 1,
        publishes: 1,
        total: reads + 2,
        accountFileSystems: 200,
      }),
    ];
    const within = checkBudgets(results({ calls: remediation("nfs-ingress", 5) }), budgets);
    expect(within.violations).toEqual([]);
    expect(within.warnings).toEqual([expect.stringContaining("documented exception")]);
    expect(checkBudgets(results({ calls: remediation("nfs-ingress", 6) }), budgets).violations).toHaveLength(2);
    expect(checkBudgets(results({ calls: remediation("file-system", 4) }), budgets).violations).toHaveLength(2);
  });

  it("scopes an exception to its trigger, lets it raise writes, and grants a paging path its pages per event", () => {
    const key = (trigger: string, path: string, reads: number, writes: number, accountFileSystems: number) =>
      call({
        function: "kms-key",
        kind: "key",
        trigger,
        path,
        reads,
        writes,
        publishes: path === "compliant" ? 0 : 1,
        total: reads + writes,
        accountFileSystems,
      });
    // ScheduleKeyDeletion's remediation may write twice; DisableKey's may not.
    const schedule = [
      key("kms:ScheduleKeyDeletion", "remediation", 5, 2, 1),
      key("kms:ScheduleKeyDeletion", "remediation", 6, 2, 200),
    ];
    expect(checkBudgets(results({ calls: schedule }), budgets).violations).toEqual([]);
    const disable = [key("kms:DisableKey", "remediation", 5, 2, 1), key("kms:DisableKey", "remediation", 6, 2, 200)];
    expect(checkBudgets(results({ calls: disable }), budgets).violations).toEqual([
      expect.stringContaining("2 writes > 1"),
      expect.stringContaining("2 writes > 1"),
    ]);
    // A key path reads one more page with 200 file systems than with 1: within the compliant budget of 3.
    const paged = [key("kms:DisableKey", "compliant", 3, 0, 1), key("kms:DisableKey", "compliant", 4, 0, 200)];
    expect(checkBudgets(results({ calls: paged }), budgets).violations).toEqual([]);
    // A policy path gets no pages: 4 reads stay over 3.
    const policy = (reads: number, accountFileSystems: number) =>
      call({
        function: "file-system",
        kind: "policy",
        trigger: "elasticfilesystem:PutFileSystemPolicy",
        reads,
        total: reads,
        accountFileSystems,
      });
    expect(checkBudgets(results({ calls: [policy(3, 1), policy(4, 200)] }), budgets).violations).toEqual(
      expect.arrayContaining([expect.stringContaining("4 reads > 3")]),
    );
    // The file-system exception is CreateFileSystem's only.
    const create = (trigger: string) => [
      call({ function: "file-system", kind: "policy", trigger, reads: 4, total: 4 }),
      call({ function: "file-system", kind: "policy", trigger, reads: 4, total: 4, accountFileSystems: 200 }),
    ];
    expect(checkBudgets(results({ calls: create("elasticfilesystem:CreateFileSystem") }), budgets).violations).toEqual(
      [],
    );
    expect(
      checkBudgets(results({ calls: create("elasticfilesystem:PutBackupPolicy") }), budgets).violations,
    ).toHaveLength(2);
  });

  it("a bundle exception raises the limit of the function it names only", () => {
    const fs = results();
    fs.functions[0] = {
      ...fs.functions[0]!,
      name: "file-system",
      sdkClients: ["@aws-sdk/client-efs", "@aws-sdk/client-kms", "@aws-sdk/client-sfn", "@aws-sdk/client-sns"],
      minifiedBytes: 372_300,
    };
    const within = checkBudgets(fs, budgets);
    expect(within.violations).toEqual([]);
    expect(within.warnings).toEqual([expect.stringContaining("file-system: bundle 372.3 kB, over the general limit")]);
    // A function without an exception of its own gets the general limit.
    fs.functions[0]!.name = "verify";
    expect(checkBudgets(fs, budgets).violations).toEqual([expect.stringContaining("verify: bundle 372.3 kB > 350 kB")]);
  });

  it("fails calls that grow with the number of file systems beyond what the path's kind allows", () => {
    const grows = checkBudgets(
      results({ calls: [call({}), call({ accountFileSystems: 200, total: 4, reads: 3 })] }),
      budgets,
    );
    expect(grows.violations).toEqual([expect.stringContaining("+1, allowed +0")]);
    const key = (total: number, accountFileSystems: number) =>
      call({ kind: "key", trigger: "kms:DisableKeyRotation", reads: 1, total, accountFileSystems });
    expect(checkBudgets(results({ calls: [key(2, 1), key(4, 200)] }), budgets).violations).toEqual([]);
    expect(checkBudgets(results({ calls: [key(2, 1), key(5, 200)] }), budgets).violations).toEqual([
      expect.stringContaining("+3, allowed +2"),
    ]);
  });

  it("an exception's reads per file system are allowed per event and in the growth, and nothing more", () => {
    const path = "remediation, all traffic";
    const row = (accountFileSystems: number, reads: number) =>
      call({ path, accountFileSystems, reads, writes: 1, publishes: 1, total: reads + 2 });
    expect(checkBudgets(results({ calls: [row(1, 5), row(200, 204)] }), budgets).violations).toEqual([]);
    expect(checkBudgets(results({ calls: [row(1, 5), row(200, 205)] }), budgets).violations).toEqual([
      expect.stringContaining("205 reads > 204"),
      expect.stringContaining("+200, allowed +199"),
    ]);
    // The other NFS paths get no such allowance: they confirm one mount target whatever the account's size.
    const narrow = (accountFileSystems: number, reads: number) =>
      call({ path: "remediation", accountFileSystems, reads, writes: 1, publishes: 1, total: reads + 2 });
    expect(checkBudgets(results({ calls: [narrow(1, 5), narrow(200, 6)] }), budgets).violations).toEqual([
      expect.stringContaining("6 reads > 5"),
      expect.stringContaining("+1, allowed +0"),
    ]);
  });

  it("fails when growth was measured in one account size only, or nothing was measured", () => {
    expect(checkBudgets(results({ calls: [call({})] }), budgets).violations).toEqual([
      expect.stringContaining("growth not measured"),
    ]);
    expect(checkBudgets(results({ functions: [], calls: [] }), budgets).violations).toEqual([
      "no function was measured",
    ]);
  });

  it("reports, but does not fail, a slow import or a function without call scenarios", () => {
    const slow = results({ unmeasured: ["sweep"] });
    slow.functions[0]!.importRatio = 1.4;
    const verdict = checkBudgets(slow, budgets);
    expect(verdict.violations).toEqual([]);
    expect(verdict.warnings).toEqual([
      expect.stringContaining("import 1.40x the floor > 1.15x"),
      expect.stringContaining("sweep: no call-count scenario"),
    ]);
  });
});

describe("counting proxy: naming a request on the wire", () => {
  const auth = (service: string) => ({
    authorization: `AWS4-HMAC-SHA256 Credential=testing/20261126/us-east-1/${service}/aws4_request, SignedHeaders=host`,
  });

  it("query protocols (EC2, SNS) by Action, JSON protocols by X-Amz-Target, EFS by method and path", () => {
    expect(identify("POST", "/", auth("ec2"), "Action=DescribeVpcs&Version=2016-11-15")).toEqual({
      service: "ec2",
      operation: "DescribeVpcs",
    });
    expect(identify("POST", "/", auth("sns"), "Action=Publish&TopicArn=x")).toEqual({
      service: "sns",
      operation: "Publish",
    });
    expect(identify("POST", "/", { ...auth("kms"), "x-amz-target": "TrentService.EnableKeyRotation" }, "{}")).toEqual({
      service: "kms",
      operation: "EnableKeyRotation",
    });
    expect(
      identify("GET", "/2015-02-01/mount-targets/fsmt-0123abcd/security-groups", auth("elasticfilesystem"), ""),
    ).toEqual({ service: "elasticfilesystem", operation: "DescribeMountTargetSecurityGroups" });
    expect(identify("GET", "/2015-02-01/file-systems/fs-0a1b/unknown", auth("elasticfilesystem"), "")).toEqual({
      service: "elasticfilesystem",
      operation: "GET /2015-02-01/file-systems/{id}/unknown",
    });
  });
});
