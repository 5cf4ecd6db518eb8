import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ModifyMountTargetSecurityGroupsCommand } from "@aws-sdk/client-efs";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  authorizeIngressEvent,
  createMountTargetEvent,
  modifyMountTargetSecurityGroupsEvent,
  modifyRulesEvent,
} from "../../../events/build.js";
import { nfsIngressGuard } from "../../../shared/guards/nfs-ingress.js";
import { processEvent } from "../../../shared/pipeline/run.js";
import { FunctionHost } from "../../emulator/host.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { testDeps } from "../../support/deps.js";
import { resetEmulator } from "../../support/emulator.js";
import { Seeder } from "../../support/seed.js";

/** Duplicate and concurrent deliveries, and the guard's own events: one remediation, no error, no loop. */
let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

let host: FunctionHost;
beforeEach(async () => {
  await resetEmulator();
  host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "CRITICAL" } });
});

async function account() {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId);
  const fileSystemId = await seed.fileSystem();
  const mountTargetId = await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
  const inside = await seed.nfsFrom(groupId, "10.0.0.0/16");
  return { seed, vpcId, subnets, groupId, fileSystemId, mountTargetId, inside };
}
type Account = Awaited<ReturnType<typeof account>>;

/** Each trigger of the control, as the event its change produces (parameterised: add other guards' here). */
const TRIGGERS: [string, (a: Account, rule: string) => Promise<any>][] = [
  [
    "AuthorizeSecurityGroupIngress",
    async (a, rule) => authorizeIngressEvent({ groupId: a.groupId, ruleId: rule, cidr: "0.0.0.0/0" }),
  ],
  [
    "ModifySecurityGroupRules",
    async (a, rule) =>
      modifyRulesEvent(a.groupId, rule, { IpProtocol: "tcp", FromPort: 2049, ToPort: 2049, CidrIpv4: "0.0.0.0/0" }),
  ],
  [
    "CreateMountTarget",
    async (a) =>
      createMountTargetEvent({
        fileSystemId: a.fileSystemId,
        mountTargetId: a.mountTargetId,
        subnetId: a.subnets[0]!,
        securityGroups: [a.groupId],
      }),
  ],
  [
    "ModifyMountTargetSecurityGroups",
    async (a) => {
      await a.seed.efs.send(
        new ModifyMountTargetSecurityGroupsCommand({ MountTargetId: a.mountTargetId, SecurityGroups: [a.groupId] }),
      );
      return modifyMountTargetSecurityGroupsEvent(a.mountTargetId, [a.groupId]);
    },
  ],
];

describe("the same event delivered three times at once", () => {
  it.each(TRIGGERS)(
    "%s: one remediation, the others already-remediated or compliant, never an error",
    async (_, make) => {
      const a = await account();
      const open = await a.seed.nfsFrom(a.groupId, "0.0.0.0/0");
      const event = await make(a, open);
      await host.putEvents([event, event, event]);
      const invocations = await host.drain({ concurrency: 3 });

      expect(invocations).toHaveLength(3);
      expect(invocations.map((i) => i.error)).toEqual([undefined, undefined, undefined]);
      const outcomes = invocations.flatMap((i) => (i.result as any).findings.map((f: any) => f.outcome)).sort();
      expect(outcomes.filter((o: string) => o === "remediated")).toHaveLength(1);
      for (const o of outcomes) expect(["remediated", "already-remediated", "compliant"]).toContain(o);
      const alerts = await host.alerts();
      expect(alerts.filter((x) => x.attributes.outcome === "remediated")).toHaveLength(1);
      expect(alerts.map((x) => x.attributes.outcome)).not.toContain("remediation-failed");
      expect((await a.seed.ingressRules(a.groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([a.inside]);
    },
  );
});

describe("two different events for the same resource at once", () => {
  it("two ingress rules added together, two events: both rules revoked, no error", async () => {
    const a = await account();
    const world = await a.seed.nfsFrom(a.groupId, "0.0.0.0/0");
    const v6 = await a.seed.nfsFrom(a.groupId, "::/0");
    await host.putEvents([
      authorizeIngressEvent({ groupId: a.groupId, ruleId: world, cidr: "0.0.0.0/0" }),
      authorizeIngressEvent({ groupId: a.groupId, ruleId: v6, cidr: "::/0" }),
    ]);
    const invocations = await host.drain({ concurrency: 2 });
    expect(invocations.map((i) => i.error)).toEqual([undefined, undefined]);
    expect((await a.seed.ingressRules(a.groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([a.inside]);
    const alerts = await host.alerts();
    const claimed = alerts
      .filter((x) => ["remediated", "already-remediated"].includes(x.attributes.outcome ?? ""))
      .flatMap((x) => String(x.message.metadata.additionalContext.ruleIds).split(","));
    expect(new Set(claimed)).toEqual(new Set([world, v6]));
  });

  it("a rule added while the first event is being handled is caught by its own event", async () => {
    const a = await account();
    const first = await a.seed.nfsFrom(a.groupId, "0.0.0.0/0");
    await host.putEvents([authorizeIngressEvent({ groupId: a.groupId, ruleId: first, cidr: "0.0.0.0/0" })]);
    const drained = host.drain({ concurrency: 2 });
    const second = await a.seed.nfsFrom(a.groupId, "192.168.0.0/16", { protocol: "-1" });
    await host.putEvents([
      authorizeIngressEvent({ groupId: a.groupId, ruleId: second, cidr: "192.168.0.0/16", protocol: "-1" }),
    ]);
    await drained;
    await host.drain({ concurrency: 2 });
    expect((await a.seed.ingressRules(a.groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([a.inside]);
  });
});

describe("the guard's own events", () => {
  const sample = JSON.parse(
    readFileSync(
      join(import.meta.dirname, "../../../events/samples/ec2-revoke-security-group-ingress-by-guard.json"),
      "utf8",
    ),
  );

  it("its RevokeSecurityGroupIngress matches no rule, and the handler would ignore it anyway", async () => {
    const a = await account();
    const open = await a.seed.nfsFrom(a.groupId, "0.0.0.0/0");
    await host.putEvents([authorizeIngressEvent({ groupId: a.groupId, ruleId: open, cidr: "0.0.0.0/0" })]);
    expect(await host.drain()).toHaveLength(1);
    const own = structuredClone(sample);
    own.detail.requestParameters.groupId = a.groupId;
    own.detail.requestParameters.securityGroupRuleIds = { items: [{ securityGroupRuleId: open }] };
    await host.putEvents([own]);
    expect(await host.drain()).toEqual([]);
    const report = await processEvent(own, nfsIngressGuard(), testDeps());
    expect(report).toMatchObject({ outcome: "ignored", reason: "unsupported-event" });
  });

  it("re-evaluating after the remediation finds the group compliant: no write, no alert", async () => {
    const a = await account();
    const open = await a.seed.nfsFrom(a.groupId, "0.0.0.0/0");
    const event = authorizeIngressEvent({ groupId: a.groupId, ruleId: open, cidr: "0.0.0.0/0" });
    await host.putEvents([event]);
    await host.drain();
    expect(await host.alerts()).toHaveLength(1);
    const before = await a.seed.ingressRules(a.groupId);
    const deps = testDeps();
    const report = await processEvent(event, nfsIngressGuard(), deps);
    expect(report.findings).toMatchObject([{ verdict: "compliant", action: "none", outcome: "compliant" }]);
    expect(deps.notifier.published).toEqual([]);
    expect(await a.seed.ingressRules(a.groupId)).toEqual(before);
  });
});
