import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { Seeder } from "../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import {
  authorizeIngressEvent,
  cloudTrailEnvelope,
  createMountTargetEvent,
  modifyMountTargetSecurityGroupsEvent,
  modifyRulesEvent,
} from "../../events/build.js";
import { nfsIngressGuard } from "../../shared/guards/nfs-ingress.js";
import { processEvent } from "../../shared/pipeline/run.js";
import { testDeps } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";

let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

async function account() {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId);
  const fileSystemId = await seed.fileSystem();
  const mountTargets: string[] = [];
  for (const subnet of subnets) mountTargets.push(await seed.mountTarget(fileSystemId, subnet, [groupId]));
  return { seed, vpcId, subnets, groupId, fileSystemId, mountTargets };
}

describe("efs-nfs-ingress-restricted end to end: CloudTrail event -> real rule -> handler -> emulator -> alert", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });

  it("revokes a world-open NFS rule, keeps the VPC-internal one, and sends the alert", async () => {
    const { seed, groupId, fileSystemId } = await account();
    const inside = await seed.nfsFrom(groupId, "10.0.0.0/16");
    const open = await seed.nfsFrom(groupId, "0.0.0.0/0");
    await host.putEvents([authorizeIngressEvent({ groupId, ruleId: open, cidr: "0.0.0.0/0" })]);
    const invocations = await host.drain();

    expect(invocations).toHaveLength(1);
    expect(invocations[0]?.error).toBeUndefined();
    const remaining = (await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId);
    expect(remaining).toEqual([inside]);

    const alerts = await host.alerts();
    expect(alerts).toHaveLength(1);
    const alert = alerts[0]!;
    expect(alert.attributes).toEqual({
      control: "efs-nfs-ingress-restricted",
      severity: "critical",
      outcome: "remediated",
    });
    expect(alert.message.version).toBe("1.0");
    expect(alert.message.source).toBe("custom");
    expect(alert.message.content.textType).toBe("client-markdown");
    expect(alert.message.content.description).toContain(open);
    expect(alert.message.content.description).toContain("0.0.0.0/0");
    expect(alert.message.content.description).toContain("arn:aws:iam::123456789012:role/Admin");
    expect(alert.message.content.description).toContain("203.0.113.10");
    expect(alert.message.content.description).toContain(fileSystemId);
    expect(alert.message.content.nextSteps.join(" ")).toContain("re-authorize");
  });

  it("another account's event (an organization member's, on the hub bus) is ignored: nothing read or revoked here", async () => {
    const { seed, groupId } = await account();
    const open = await seed.nfsFrom(groupId, "0.0.0.0/0");
    // The same group id, the same rule, but EventBridge says the event is from another account: the function's
    // credentials act in its own account, so it must not touch the group of that id here.
    const foreign = { ...authorizeIngressEvent({ groupId, ruleId: open, cidr: "0.0.0.0/0" }), account: "210987654321" };
    const report = await host.invoke("functions/nfs-ingress/handler.ts", foreign);
    expect(report).toMatchObject({
      outcome: "ignored",
      reason: "foreign-account",
      detail: "the event is from account 210987654321; this function acts in 123456789012 only",
    });
    expect((await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId)).toContain(open);
    expect(await host.alerts()).toEqual([]);
  });

  it("revokes IPv6 ::/0, protocol -1 and port ranges covering 2049, but not other ports", async () => {
    const { seed, groupId } = await account();
    const v6 = await seed.nfsFrom(groupId, "::/0");
    const all = await seed.nfsFrom(groupId, "192.168.0.0/16", { protocol: "-1" });
    const range = await seed.nfsFrom(groupId, "172.16.0.0/12", { from: 2000, to: 2100 });
    const ssh = await seed.nfsFrom(groupId, "0.0.0.0/0", { from: 22, to: 22 });
    await host.putEvents([authorizeIngressEvent({ groupId, ruleId: v6, cidr: "::/0" })]);
    await host.drain();
    const remaining = (await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId);
    expect(remaining).toEqual([ssh]);
    expect(remaining).not.toContain(all);
    expect(remaining).not.toContain(range);
    const [alert] = await host.alerts();
    expect(alert?.message.metadata.additionalContext.ruleIds.split(",").sort()).toEqual([all, range, v6].sort());
  });

  it("ModifySecurityGroupRules that widens a rule is caught", async () => {
    const { seed, groupId } = await account();
    const rule = await seed.nfsFrom(groupId, "0.0.0.0/0");
    await host.putEvents([
      modifyRulesEvent(groupId, rule, { IpProtocol: "tcp", FromPort: 2049, ToPort: 2049, CidrIpv4: "0.0.0.0/0" }),
    ]);
    await host.drain();
    expect(await seed.ingressRules(groupId)).toEqual([]);
  });

  it("CreateMountTarget with an already open group is caught", async () => {
    const seed = new Seeder();
    const { vpcId, subnets } = await seed.vpc();
    const groupId = await seed.securityGroup(vpcId);
    await seed.nfsFrom(groupId, "0.0.0.0/0");
    const fileSystemId = await seed.fileSystem();
    const mountTargetId = await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
    await host.putEvents([
      createMountTargetEvent({ fileSystemId, mountTargetId, subnetId: subnets[0]!, securityGroups: [groupId] }),
    ]);
    await host.drain();
    expect(await seed.ingressRules(groupId)).toEqual([]);
    const [alert] = await host.alerts();
    expect(alert?.attributes.outcome).toBe("remediated");
  });

  it("ModifyMountTargetSecurityGroups adding an open group is caught", async () => {
    const { seed, vpcId, mountTargets } = await account();
    const open = await seed.securityGroup(vpcId);
    await seed.nfsFrom(open, "0.0.0.0/0");
    const { ModifyMountTargetSecurityGroupsCommand } = await import("@aws-sdk/client-efs");
    await seed.efs.send(
      new ModifyMountTargetSecurityGroupsCommand({ MountTargetId: mountTargets[0]!, SecurityGroups: [open] }),
    );
    await host.putEvents([modifyMountTargetSecurityGroupsEvent(mountTargets[0]!, [open])]);
    await host.drain();
    expect(await seed.ingressRules(open)).toEqual([]);
  });

  it("a group on no mount target is not applicable: nothing revoked, no alert", async () => {
    const seed = new Seeder();
    const { vpcId } = await seed.vpc();
    const groupId = await seed.securityGroup(vpcId);
    const rule = await seed.nfsFrom(groupId, "0.0.0.0/0");
    await host.putEvents([authorizeIngressEvent({ groupId, ruleId: rule, cidr: "0.0.0.0/0" })]);
    const [invocation] = await host.drain();
    expect((invocation!.result as any).findings[0].verdict).toBe("not-applicable");
    expect((await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([rule]);
    expect(await host.alerts()).toEqual([]);
  });

  it("non-matching events never reach a handler: other name, foreign source, failed call", async () => {
    const { seed, groupId } = await account();
    const rule = await seed.nfsFrom(groupId, "0.0.0.0/0");
    const good = authorizeIngressEvent({ groupId, ruleId: rule, cidr: "0.0.0.0/0" });
    const otherName = cloudTrailEnvelope({
      eventSource: "ec2.amazonaws.com",
      eventName: "AuthorizeSecurityGroupEgress",
      requestParameters: { groupId },
    });
    const foreign = cloudTrailEnvelope({
      eventSource: "s3files.amazonaws.com",
      eventName: "CreateMountTarget",
      requestParameters: { fileSystemId: "fs-1" },
      responseElements: { mountTargetId: "fsmt-1" },
    });
    (foreign as any).source = "aws.s3files";
    const failed = authorizeIngressEvent(
      { groupId, ruleId: rule, cidr: "0.0.0.0/0" },
      { errorCode: "Client.UnauthorizedOperation", errorMessage: "You are not authorized" },
    );
    await host.putEvents([otherName, foreign, failed]);
    expect(await host.drain()).toEqual([]);
    expect((await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([rule]);
    await host.putEvents([good]);
    expect(await host.drain()).toHaveLength(1);
  });

  it("duplicate delivery is harmless and the guard's own revoke is not acted upon again", async () => {
    const { seed, groupId } = await account();
    const rule = await seed.nfsFrom(groupId, "0.0.0.0/0");
    const event = authorizeIngressEvent({ groupId, ruleId: rule, cidr: "0.0.0.0/0" });
    await host.putEvents([event, event, event]);
    const invocations = await host.drain();
    expect(invocations).toHaveLength(3);
    expect(invocations.every((i) => i.error === undefined)).toBe(true);
    const outcomes = (await host.alerts()).map((a) => a.attributes.outcome);
    expect(outcomes.filter((o) => o === "remediated")).toHaveLength(1);
    expect(outcomes).not.toContain("remediation-failed");
    // The revoke comes back through CloudTrail as RevokeSecurityGroupIngress: no rule matches it.
    await host.putEvents([
      cloudTrailEnvelope({
        eventSource: "ec2.amazonaws.com",
        eventName: "RevokeSecurityGroupIngress",
        requestParameters: { groupId },
      }),
    ]);
    expect(await host.drain()).toEqual([]);
  });
});

describe("modes and configuration, through the same pipeline", () => {
  beforeEach(resetEmulator);

  it("alert mode reports and changes nothing", async () => {
    const { seed, groupId } = await account();
    const rule = await seed.nfsFrom(groupId, "0.0.0.0/0");
    const deps = testDeps({ modes: { "efs-nfs-ingress-restricted": "alert" } });
    const report = await processEvent(
      authorizeIngressEvent({ groupId, ruleId: rule, cidr: "0.0.0.0/0" }),
      nfsIngressGuard(),
      deps,
    );
    expect(report.findings).toMatchObject([{ verdict: "non-compliant", action: "none", outcome: "alerted" }]);
    expect((await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([rule]);
    expect(deps.notifier.published).toHaveLength(1);
  });

  it("an over-broad private range outside the VPC is flagged; an explicit allow-list replaces the VPC default", async () => {
    const { seed, groupId } = await account();
    const wide = await seed.nfsFrom(groupId, "10.0.0.0/8");
    const event = authorizeIngressEvent({ groupId, ruleId: wide, cidr: "10.0.0.0/8" });
    const dry = testDeps({ dryRun: true });
    expect((await processEvent(event, nfsIngressGuard(), dry)).findings).toMatchObject([
      { verdict: "non-compliant", action: "would-remediate" },
    ]);
    const allowList = testDeps({ allowedNfsSources: ["10.0.0.0/8"] });
    expect((await processEvent(event, nfsIngressGuard(), allowList)).findings).toMatchObject([
      { verdict: "compliant", action: "none" },
    ]);
    expect((await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([wide]);
  });

  it("an exempt group is reported as exempt and left alone", async () => {
    const seed = new Seeder();
    const { vpcId, subnets } = await seed.vpc();
    const groupId = await seed.securityGroup(vpcId, "exempt", {
      "efs-guard:exempt": "efs-nfs-ingress-restricted",
      "efs-guard:exempt-until": "2026-12-31",
    });
    const fileSystemId = await seed.fileSystem();
    await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
    const rule = await seed.nfsFrom(groupId, "0.0.0.0/0");
    const deps = testDeps();
    const report = await processEvent(
      authorizeIngressEvent({ groupId, ruleId: rule, cidr: "0.0.0.0/0" }),
      nfsIngressGuard(),
      deps,
    );
    expect(report.findings).toMatchObject([{ verdict: "non-compliant", action: "exempt", outcome: "exempt" }]);
    expect((await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([rule]);
  });
});
