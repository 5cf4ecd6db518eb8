import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { PutBackupPolicyCommand, PutFileSystemPolicyCommand } from "@aws-sdk/client-efs";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { freePort } from "../../emulator/emulator.js";
import type { Seeder } from "../../emulator/seed.js";
import { consoleDefaultPolicy } from "../../shared/controls/policy.js";
import { countingProxy, isWrite, runCli, spawnCli } from "../support/cli.js";
import { exemptUntil } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";
import { KeySeeder } from "../support/seed-kms.js";

const EXEMPT = { "efs-guard:exempt": "efs-nfs-ingress-restricted", "efs-guard:exempt-until": exemptUntil() };

/**
 * One file system mounted in three subnets, one security group per mount target: compliant, open, open+exempt.
 * The scan covers every guard; the file system (and its key) are seeded compliant with every other control
 * (customer managed key with rotation, TLS deny, backups on) so that the network groups decide the verdicts and
 * the exit codes, while their compliant findings are still counted exactly.
 */
async function account() {
  const seed = new KeySeeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const good = await seed.securityGroup(vpcId, "good");
  const open = await seed.securityGroup(vpcId, "open");
  const exempt = await seed.securityGroup(vpcId, "exempt", EXEMPT);
  await seed.nfsFrom(good, "10.0.0.0/16");
  const openRule = await seed.nfsFrom(open, "0.0.0.0/0");
  await seed.nfsFrom(exempt, "0.0.0.0/0");
  const key = await seed.keyWithFileSystem({ rotation: 365 });
  const { fileSystemId } = key;
  const arn = `arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/${fileSystemId}`;
  // The TLS deny, and client access (root included) for one named role only: compliant with every policy control.
  const [, tlsDeny] = consoleDefaultPolicy(arn).Statement as unknown[];
  const appOnly = {
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::123456789012:role/app" },
    Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"],
    Resource: arn,
  };
  const Policy = JSON.stringify({ Version: "2012-10-17", Statement: [appOnly, tlsDeny] });
  await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fileSystemId, Policy }));
  await seed.efs.send(new PutBackupPolicyCommand({ FileSystemId: fileSystemId, BackupPolicy: { Status: "ENABLED" } }));
  await seed.mountTarget(fileSystemId, subnets[0]!, [good]);
  await seed.mountTarget(fileSystemId, subnets[1]!, [open]);
  await seed.mountTarget(fileSystemId, subnets[2]!, [exempt]);
  return { seed, good, open, exempt, openRule, fileSystemId, keyId: key.keyId };
}

async function allRules(seed: Seeder, groups: string[]) {
  return Promise.all(groups.map((g) => seed.ingressRules(g)));
}

describe("efs-guard scan against the emulator", () => {
  beforeEach(resetEmulator);

  it("reports compliant, non-compliant and exempt groups in a table, exit 1, and changes nothing", async () => {
    const { seed, good, open, exempt, fileSystemId, keyId } = await account();
    const before = await allRules(seed, [good, open, exempt]);
    const run = await runCli(["scan"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^control\s+resource\s+region\s+verdict\s+severity\s+would do\s+summary$/);
    const row = (id: string) => lines.find((l) => l.includes(id)) ?? "";
    expect(row(open)).toMatch(
      /efs-nfs-ingress-restricted\s+sg-\w+\s+us-east-1\s+non-compliant\s+critical\s+would-remediate/,
    );
    expect(row(exempt)).toMatch(/non-compliant\s+critical\s+exempt\s/);
    expect(row(good)).toMatch(/\scompliant\s+\w+\s+none\s/);
    // worst first
    expect(lines.indexOf(row(open))).toBeLessThan(lines.indexOf(row(exempt)));
    expect(lines.indexOf(row(exempt))).toBeLessThan(lines.indexOf(row(good)));
    // The file system's six controls and the key's three are compliant rows too.
    for (const control of [
      "efs-tls-enforced",
      "efs-encrypted-at-rest",
      "efs-backup-enabled",
      "efs-policy-not-public",
      "efs-iam-authorization-required",
      "efs-root-access-restricted",
    ]) {
      expect(lines.filter((l) => l.startsWith(`${control} `) && l.includes(fileSystemId))).toHaveLength(1);
    }
    expect(lines.filter((l) => l.includes(` ${keyId} `) && /\scompliant\s/.test(l))).toHaveLength(3);
    expect(run.stdout).toContain(
      "5 resource(s) in us-east-1: 1 non-compliant, 1 exempt, 11 compliant, 0 not applicable",
    );
    expect(await allRules(seed, [good, open, exempt])).toEqual(before);
  });

  it("--json gives findings, errors and a summary; exempt alone exits 0", async () => {
    const { seed, good, open, exempt, openRule, fileSystemId, keyId } = await account();
    const run = await runCli(["scan", "--json", "--region", "us-east-1"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.errors).toEqual([]);
    expect(report.summary).toMatchObject({
      regions: ["us-east-1"],
      guards: ["nfs-ingress", "file-system", "kms-key", "efs-access", "mount-targets", "ecs-clients"],
      resources: 5,
      compliant: 11,
      nonCompliant: 1,
      exempt: 1,
      notApplicable: 0,
      errors: 0,
    });
    const byId = Object.fromEntries(report.findings.map((f: any) => [f.resource, f]));
    expect(byId[open]).toMatchObject({
      control: "efs-nfs-ingress-restricted",
      resourceType: "security-group",
      region: "us-east-1",
      verdict: "non-compliant",
      severity: "critical",
      wouldDo: "would-remediate",
      why: "control is in remediate mode",
    });
    expect(byId[open].plan).toContain(openRule);
    expect(byId[exempt]).toMatchObject({ verdict: "non-compliant", wouldDo: "exempt" });
    expect(byId[exempt].why).toContain(`until ${EXEMPT["efs-guard:exempt-until"]}`);
    expect(byId[good]).toMatchObject({ verdict: "compliant", wouldDo: "none" });
    const verdictsOf = (id: string) =>
      report.findings
        .filter((f: any) => f.resource === id)
        .map((f: any) => `${f.control}:${f.verdict}`)
        .sort();
    expect(verdictsOf(fileSystemId)).toEqual([
      "efs-backup-enabled:compliant",
      "efs-encrypted-at-rest:compliant",
      "efs-iam-authorization-required:compliant",
      "efs-mount-target-private:compliant",
      "efs-policy-not-public:compliant",
      "efs-root-access-restricted:compliant",
      "efs-tls-enforced:compliant",
    ]);
    expect(verdictsOf(keyId)).toEqual([
      "efs-key-policy-restricted:compliant",
      "efs-key-rotation-enabled:compliant",
      "efs-key-usable:compliant",
    ]);

    // Fix the open group by hand: what remains is compliant or exempt, so the exit code is 0.
    await seed.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: open, SecurityGroupRuleIds: [openRule] }));
    const after = await runCli(["scan", "--json"]);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).summary).toMatchObject({ nonCompliant: 0, exempt: 1, compliant: 12 });
  });

  it("--config: alert mode shows alert; an invalid config is a usage error naming the key", async () => {
    await account();
    const dir = mkdtempSync(join(tmpdir(), "efs-guard-cli-"));
    const alert = join(dir, "alert.json");
    writeFileSync(alert, JSON.stringify({ modes: { "efs-nfs-ingress-restricted": "alert" } }));
    const run = await runCli(["scan", "--json", "--config", alert]);
    const report = JSON.parse(run.stdout);
    const wouldDo = report.findings.map((f: any) => f.wouldDo).sort();
    // none: the compliant group, the file system's seven controls (efs-mount-target-private included) and the key's three.
    expect(wouldDo).toEqual(["alert", "exempt", ...Array(11).fill("none")]);

    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ modes: { "efs-nfs-ingress-restricted": "fix-it" } }));
    const failed = await runCli(["scan", "--config", bad]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain("modes.efs-nfs-ingress-restricted");
    expect(failed.stderr).toContain("fix-it");
  });

  it("an empty region reports nothing to assess and exits 0", async () => {
    const run = await runCli(["scan"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("No resources to assess in us-east-1.");
  });

  it("bad arguments exit 2 and say what to do", async () => {
    const unknown = await runCli(["scan", "--regoin", "us-east-1"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--regoin'");
    expect(unknown.stderr).toContain("efs-guard scan --help");
    const region = await runCli(["scan", "--region", "mars"]);
    expect(region.code).toBe(2);
    expect(region.stderr).toContain("not a region name: mars");
    const help = await runCli(["scan", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Exit codes:");
  });

  it("as a subprocess (node bin/efs-guard.mjs): zero write calls on the wire", async () => {
    const { seed, good, open, exempt } = await account();
    const before = await allRules(seed, [good, open, exempt]);
    const proxy = await countingProxy(inject("emulatorEndpoint"));
    try {
      const run = await spawnCli(["scan", "--json"], { AWS_ENDPOINT_URL: proxy.endpoint });
      expect(run.code, run.stderr).toBe(1);
      expect(JSON.parse(run.stdout).summary).toMatchObject({ nonCompliant: 1, exempt: 1, compliant: 11 });
      const operations = proxy.calls.map((c) => c.operation);
      expect(operations).toContain("DescribeNetworkInterfaces");
      expect(operations).toContain("DescribeSecurityGroupRules");
      expect(proxy.calls.filter(isWrite)).toEqual([]);
    } finally {
      await proxy.close();
    }
    expect(await allRules(seed, [good, open, exempt])).toEqual(before);
  });

  it("an unreachable endpoint exits 2 with what to check", async () => {
    const port = await freePort();
    const run = await spawnCli(["scan"], { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`cannot reach AWS at http://127.0.0.1:${port}: `);
    expect(run.stderr).toContain("ECONNREFUSED");
    expect(run.stderr).toContain("check AWS_ENDPOINT_URL / network / credentials");
  });
});
