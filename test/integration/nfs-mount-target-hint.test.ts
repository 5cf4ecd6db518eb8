import { ModifyMountTargetSecurityGroupsCommand } from "@aws-sdk/client-efs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { Seeder } from "../../emulator/seed.js";
import { synthTemplate } from "../../emulator/template.js";
import { modifyMountTargetSecurityGroupsEvent } from "../../events/build.js";
import type { EventReport } from "../../shared/pipeline/types.js";
import { resetEmulator } from "../support/emulator.js";

/**
 * Mount-target events name the groups the caller set; the guard uses them only to aim its re-read. Whatever the
 * event claims, the groups the mount target carries now are the ones evaluated. The deployed NFS function runs each
 * event (its bundle, its role: the fallback reads the mount target's groups with DescribeMountTargetSecurityGroups).
 */
const template = synthTemplate();
let host: FunctionHost;
const run = (event: unknown) => host.invoke("functions/nfs-ingress/handler.ts", event) as Promise<EventReport>;
async function account() {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const shared = await seed.securityGroup(vpcId, "shared");
  await seed.nfsFrom(shared, "10.0.0.0/16");
  const open = await seed.securityGroup(vpcId, "open");
  const openRule = await seed.nfsFrom(open, "0.0.0.0/0");
  const fileSystemId = await seed.fileSystem();
  const mountTargets: string[] = [];
  for (const subnet of subnets) mountTargets.push(await seed.mountTarget(fileSystemId, subnet, [shared]));
  const setGroups = (groups: string[]) =>
    seed.efs.send(
      new ModifyMountTargetSecurityGroupsCommand({ MountTargetId: mountTargets[0]!, SecurityGroups: groups }),
    );
  return { seed, shared, open, openRule, fileSystemId, mountTargetId: mountTargets[0]!, setGroups };
}

describe("mount-target triggers: the event's groups are a hint, the re-read decides", () => {
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });
  afterEach(() => host.stop());

  it("a confirmed hint evaluates the group with every mount target behind it", async () => {
    const a = await account();
    await a.setGroups([a.open]);
    const report = await run(modifyMountTargetSecurityGroupsEvent(a.mountTargetId, [a.open]));
    expect(report.findings).toMatchObject([{ resource: a.open, outcome: "remediated" }]);
    expect(await a.seed.ingressRules(a.open)).toEqual([]);
    const [alert] = await host.alerts();
    expect(alert?.attributes).toMatchObject({ control: "efs-nfs-ingress-restricted", outcome: "remediated" });
  });

  it("a stale hint (the groups changed again since) falls back to the mount target's current groups", async () => {
    const a = await account();
    await a.setGroups([a.open]);
    const report = await run(modifyMountTargetSecurityGroupsEvent(a.mountTargetId, [a.shared]));
    expect(report.findings).toMatchObject([{ resource: a.open, outcome: "remediated" }]);
    expect(await a.seed.ingressRules(a.open)).toEqual([]);
  });

  it("a hint that misses one of the mount target's groups still evaluates every group it carries", async () => {
    const a = await account();
    await a.setGroups([a.shared, a.open]);
    const report = await run(modifyMountTargetSecurityGroupsEvent(a.mountTargetId, [a.shared]));
    expect(report.findings.map((f) => [f.resource, f.outcome]).sort()).toEqual(
      [
        [a.open, "remediated"],
        [a.shared, "compliant"],
      ].sort(),
    );
    expect((await a.seed.ingressRules(a.open)).map((r) => r.SecurityGroupRuleId)).not.toContain(a.openRule);
  });
});
