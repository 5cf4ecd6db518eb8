import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateNetworkInterfaceCommand } from "@aws-sdk/client-ec2";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { authorizeIngressEvent } from "../../events/build.js";
import { allGuards } from "../../shared/guards/index.js";
import { nfsIngressGuard } from "../../shared/guards/nfs-ingress.js";
import { sweepRegion } from "../../shared/pipeline/sweep.js";
import { runCli } from "../support/cli.js";
import { testDeps } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";

/**
 * The attack of issue 11, item 1: a caller who may create network interfaces describes one as AWS describes a
 * mount target's interface, on a web-tier group that has nothing to do with EFS, hoping that EFS Guard takes the
 * group for a mount-target group and strips its rules. There is no file system in the account at all. Whatever
 * path looks at the group (an event through the deployed handler, `replay`, the scheduled sweep, `scan`), the
 * group's rules must stay exactly as they are and nobody is alerted.
 */
let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

const FORGED = "EFS mount target for fs-0123456789abcdef0 (fsmt-0123456789abcdef0)";

async function webTier() {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId, "web-tier");
  const all = await seed.ingress(groupId, {
    IpProtocol: "-1",
    IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "web" }],
  });
  const tcp = await seed.ingress(groupId, {
    IpProtocol: "tcp",
    FromPort: 0,
    ToPort: 65535,
    IpRanges: [{ CidrIp: "192.168.0.0/16", Description: "office" }],
  });
  const forged = await seed.ec2.send(
    new CreateNetworkInterfaceCommand({ SubnetId: subnets[0]!, Groups: [groupId], Description: FORGED }),
  );
  return { seed, groupId, all, tcp, forgedId: forged.NetworkInterface!.NetworkInterfaceId! };
}

async function expectUntouched(seed: Seeder, groupId: string, all: string, tcp: string) {
  const rules = await seed.ingressRules(groupId);
  expect(
    rules.map((r) => [r.SecurityGroupRuleId, r.IpProtocol, r.FromPort, r.ToPort, r.CidrIpv4, r.Description]),
  ).toEqual([
    [all, "-1", -1, -1, "0.0.0.0/0", "web"],
    [tcp, "tcp", 0, 65535, "192.168.0.0/16", "office"],
  ]);
}

describe("a forged mount-target interface on a web-tier group, no EFS at all", () => {
  beforeEach(resetEmulator);

  it("the deployed handler: not applicable, both rules stay, no alert", async () => {
    const host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
    const { seed, groupId, all, tcp } = await webTier();
    await host.putEvents([authorizeIngressEvent({ groupId, ruleId: all, cidr: "0.0.0.0/0" })]);
    const invocations = await host.drain();
    expect(invocations).toHaveLength(1);
    expect(invocations[0]?.error).toBeUndefined();
    expect((invocations[0]!.result as any).findings).toMatchObject([
      { control: "efs-nfs-ingress-restricted", resource: groupId, verdict: "not-applicable", action: "none" },
    ]);
    await expectUntouched(seed, groupId, all, tcp);
    expect(await host.alerts()).toEqual([]);
  });

  it("replay of the CloudTrail record, acting for real: not applicable, both rules stay", async () => {
    const { seed, groupId, all, tcp } = await webTier();
    const file = join(mkdtempSync(join(tmpdir(), "efs-guard-forged-")), "record.json");
    writeFileSync(file, JSON.stringify(authorizeIngressEvent({ groupId, ruleId: tcp, cidr: "192.168.0.0/16" }).detail));
    const run = await runCli(["replay", "--json", file]);
    expect(run.code, run.stderr).toBe(0);
    const [line] = run.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(line.findings).toMatchObject([{ resource: groupId, verdict: "not-applicable", action: "none" }]);
    await expectUntouched(seed, groupId, all, tcp);
  });

  it("the sweep does not take the group for a mount-target group: nothing assessed, nothing changed", async () => {
    const { seed, groupId, all, tcp } = await webTier();
    // The guard's own inventory, and its sweep path on the shared inventory (issue 17), which the sweep uses.
    for (const guards of [[nfsIngressGuard()], allGuards()]) {
      const deps = testDeps();
      const report = await sweepRegion(guards, REGION, deps);
      expect(report.errors).toEqual([]);
      expect(report.results.map((r) => r.finding.resource.id)).not.toContain(groupId);
      expect(deps.notifier.published).toEqual([]);
      await expectUntouched(seed, groupId, all, tcp);
    }
  });

  it("scan lists no finding for the group", async () => {
    const { seed, groupId, all, tcp } = await webTier();
    const run = await runCli(["scan", "--json", "--region", REGION]);
    expect(run.stderr).toBe("");
    const report = JSON.parse(run.stdout);
    expect(report.errors).toEqual([]);
    expect(report.findings.map((f: { resource: string }) => f.resource)).not.toContain(groupId);
    await expectUntouched(seed, groupId, all, tcp);
  });
});
