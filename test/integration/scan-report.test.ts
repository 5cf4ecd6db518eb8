import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnableSecurityHubCommand, GetFindingsCommand, SecurityHubClient } from "@aws-sdk/client-securityhub";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "csv-parse/sync";
import { beforeEach, describe, expect, it } from "vitest";
import { CSV_COLUMNS } from "../../shared/report/csv.js";
import { runCli } from "../support/cli.js";
import { resetEmulator } from "../support/emulator.js";
import { HOSTILE_TAG, reportAccount } from "../support/report-account.js";

const SCHEMAS = join(import.meta.dirname, "..", "fixtures", "schemas");
const schema = (name: string) => JSON.parse(readFileSync(join(SCHEMAS, name), "utf8"));

function validator(name: string) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  return ajv.compile(schema(name));
}

describe("efs-guard scan --format: every format parsed by a real parser, the JSON ones against their schemas", () => {
  beforeEach(resetEmulator);

  it("csv: RFC 4180 with the stable columns, one row per finding, worst first", async () => {
    const { open, exempt, good } = await reportAccount();
    const json = JSON.parse((await runCli(["scan", "--format", "json"])).stdout);
    const run = await runCli(["scan", "--format", "csv"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("\r\n");
    const rows: string[][] = parse(run.stdout, { relax_column_count: false });
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const records = rows.slice(1).map((r) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]])));
    expect(records).toHaveLength(json.findings.length);
    const at = (id: string, control = "efs-nfs-ingress-restricted") =>
      records.findIndex((r) => r.resource_id === id && r.control === control);
    expect(records[at(open)]).toMatchObject({
      severity: "critical",
      verdict: "non-compliant",
      lifecycle: "failed",
      outcome: "would-remediate",
      resource_type: "security-group",
      resource_arn: `arn:aws:ec2:us-east-1:123456789012:security-group/${open}`,
      account: "123456789012",
      security_hub_controls: "EC2.18",
    });
    // Worst first: critical before the exempt group, both before the compliant one.
    expect(at(open)).toBe(0);
    expect(at(open)).toBeLessThan(at(exempt));
    expect(at(exempt)).toBeLessThan(at(good));
    const severities = records.filter((r) => r.lifecycle === "failed").map((r) => r.severity as string);
    const order = ["critical", "high", "medium", "low", "info"];
    expect(severities).toEqual([...severities].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
  });

  it("asff: {Findings:[...]} valid against the ASFF schema (Security Hub API model), with the account from STS", async () => {
    const { open } = await reportAccount();
    const run = await runCli(["scan", "--format", "asff"]);
    expect(run.stderr).toBe("");
    const { Findings } = JSON.parse(run.stdout);
    const validate = validator("asff-2018-10-08.schema.json");
    for (const f of Findings) expect(validate(f) ? [] : validate.errors, f.Id).toEqual([]);
    const sg = Findings.find((f: any) => f.Resources[0].Id.endsWith(open));
    expect(sg).toMatchObject({
      AwsAccountId: "123456789012",
      GeneratorId: "efs-nfs-ingress-restricted",
      Compliance: { Status: "FAILED", SecurityControlId: "EC2.18" },
      Severity: { Label: "CRITICAL" },
      Resources: [{ Type: "AwsEc2SecurityGroup", Tags: { owner: HOSTILE_TAG } }],
    });
    // The schema is not a formality: it refuses what Security Hub refuses.
    expect(validate({ ...sg, Title: "x".repeat(257) })).toBe(false);
    expect(validate({ ...sg, Unknown: 1 })).toBe(false);
    const { Id: _, ...noId } = sg;
    expect(validate(noId)).toBe(false);
  });

  it("ocsf: Compliance Finding (class 2003) events valid against the OCSF 1.8.0 schema", async () => {
    const { open, exempt } = await reportAccount();
    const run = await runCli(["scan", "--format", "ocsf"]);
    const events = JSON.parse(run.stdout);
    const validate = validator("ocsf-1.8.0-compliance_finding.schema.json");
    for (const e of events) expect(validate(e) ? [] : validate.errors, e.finding_info.uid).toEqual([]);
    const sg = events.find((e: any) => e.resources[0].name === open);
    expect(sg).toMatchObject({
      class_uid: 2003,
      category_uid: 2,
      type_uid: 200301,
      severity_id: 5,
      status_id: 1,
      compliance: { control: "efs-nfs-ingress-restricted", status_id: 3, standards: ["AWS Security Hub EC2.18"] },
      cloud: { provider: "AWS", region: "us-east-1", account: { uid: "123456789012" } },
      resources: [{ type: "AWS::EC2::SecurityGroup", tags: [{ name: "owner", value: HOSTILE_TAG }] }],
    });
    expect(events.find((e: any) => e.resources[0].name === exempt)).toMatchObject({
      status_id: 3,
      status: "Suppressed",
    });
    expect(validate({ ...sg, class_uid: 2004 })).toBe(false);
    expect(validate({ ...sg, severity_id: 7 })).toBe(false);
  });

  it("--control and --severity filter; --output writes the file readable by its owner only", async () => {
    const { open } = await reportAccount();
    const only = await runCli(["scan", "--format", "json", "--control", "efs-nfs-ingress-restricted"]);
    const controls = new Set(JSON.parse(only.stdout).findings.map((f: any) => f.control));
    expect([...controls]).toEqual(["efs-nfs-ingress-restricted"]);
    const severe = JSON.parse((await runCli(["scan", "--format", "json", "--severity", "high"])).stdout).findings;
    expect(severe.length).toBeGreaterThan(0);
    expect(severe.every((f: any) => ["critical", "high"].includes(f.severity))).toBe(true);
    expect(severe[0].resource).toBe(open);
    const dir = mkdtempSync(join(tmpdir(), "efs-guard-report-"));
    const file = join(dir, "report.csv");
    const written = await runCli(["scan", "--format", "csv", "--output", file]);
    expect(written.stdout).toBe("");
    expect(written.stderr).toContain(`wrote the csv report to ${file}`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8").split("\r\n")[0]).toBe(CSV_COLUMNS.join(","));
    const bad = await runCli(["scan", "--format", "xml"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--format xml: expected one of table, json, csv, asff, ocsf, html");
    expect((await runCli(["scan", "--control", "efs-nope"])).code).toBe(2);
    expect((await runCli(["scan", "--severity", "urgent"])).code).toBe(2);
  });

  it("--security-hub imports every finding of the scan, exempt ones suppressed", async () => {
    const { exempt } = await reportAccount();
    const hub = new SecurityHubClient({ region: "us-east-1" });
    await hub.send(new EnableSecurityHubCommand({}));
    const run = await runCli(["scan", "--security-hub"]);
    expect(run.code).toBe(1);
    const json = JSON.parse((await runCli(["scan", "--format", "json"])).stdout);
    expect(run.stderr).toContain(`Security Hub: ${json.findings.length} imported, 0 workflow updates, 0 failed`);
    const all = (await hub.send(new GetFindingsCommand({ MaxResults: 100 }))).Findings ?? [];
    expect(all).toHaveLength(json.findings.length);
    const sg = all.find((f) => f.Id!.endsWith(`/efs-nfs-ingress-restricted/${exempt}`))!;
    expect(sg).toMatchObject({ Workflow: { Status: "SUPPRESSED" }, ProductFields: { "efs-guard/source": "scan" } });
    // Security Hub not enabled in the region: every finding is refused, and scan says so with exit 2.
    await resetEmulator();
    await reportAccount();
    const refused = await runCli(["scan", "--security-hub"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Security Hub: 0 imported, 0 workflow updates, \d+ failed/);
    expect(refused.stderr).toContain("InvalidAccess");
  });
});
