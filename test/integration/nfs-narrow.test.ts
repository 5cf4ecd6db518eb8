import {
  CreateNetworkInterfaceCommand,
  DescribeImagesCommand,
  type IpPermission,
  ModifyNetworkInterfaceAttributeCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { authorizeIngressEvent, cloudTrailEnvelope } from "../../events/build.js";
import { nfsIngressGuard } from "../../shared/guards/nfs-ingress.js";
import { processEvent } from "../../shared/pipeline/run.js";
import { sweepRegion } from "../../shared/pipeline/sweep.js";
import { testDeps } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";

/**
 * Issue 11, item 2: never remove more than the NFS exposure. A rule broader than TCP 2049 is revoked whole only
 * when every interface on the group is a mount target EFS confirms; otherwise a TCP rule is replaced by itself
 * minus port 2049 (same source, same description, authorized before the original is revoked) and "all traffic"
 * is left in place and reported. Each test states exactly which rules remain, with ports, sources, descriptions.
 */
let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

let host: FunctionHost;
beforeEach(async () => {
  await resetEmulator();
  host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "CRITICAL" } });
});

type Row = [string, number | undefined, number | undefined, string | undefined, string | undefined];

/** The group's ingress rules as (protocol, from, to, source, description), sorted; ids apart. */
async function rulesOf(seed: Seeder, groupId: string) {
  const rules = await seed.ingressRules(groupId);
  const rows = rules
    .map((r): Row => [r.IpProtocol!, r.FromPort, r.ToPort, r.CidrIpv4 ?? r.CidrIpv6 ?? r.PrefixListId, r.Description])
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return { rows, ids: rules.map((r) => r.SecurityGroupRuleId!) };
}

const permission = (protocol: string, ports: [number, number] | undefined, cidr: string, description: string) =>
  ({
    IpProtocol: protocol,
    ...(ports ? { FromPort: ports[0], ToPort: ports[1] } : {}),
    ...(cidr.includes(":")
      ? { Ipv6Ranges: [{ CidrIpv6: cidr, Description: description }] }
      : { IpRanges: [{ CidrIp: cidr, Description: description }] }),
  }) satisfies IpPermission;

/** One file system with a mount target in two subnets on `groupId`, NFS from the VPC, HTTPS from anywhere. */
async function mountTargetGroup() {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId, "shared");
  const fileSystemId = await seed.fileSystem();
  for (const subnet of subnets.slice(0, 2)) await seed.mountTarget(fileSystemId, subnet, [groupId]);
  const inside = await seed.ingress(groupId, permission("tcp", [2049, 2049], "10.0.0.0/16", "nfs from the vpc"));
  const https = await seed.ingress(groupId, permission("tcp", [443, 443], "0.0.0.0/0", "https"));
  return { seed, vpcId, subnets, groupId, fileSystemId, inside, https };
}

const KEPT: Row[] = [
  ["tcp", 2049, 2049, "10.0.0.0/16", "nfs from the vpc"],
  ["tcp", 443, 443, "0.0.0.0/0", "https"],
];

/** The broad rules every test opens: TCP 2049 from the world, TCP all ports from a range, TCP 2000-2100 over IPv6. */
async function openBroad(seed: Seeder, groupId: string) {
  const nfs = await seed.ingress(groupId, permission("tcp", [2049, 2049], "0.0.0.0/0", "oops"));
  const office = await seed.ingress(groupId, permission("tcp", [0, 65535], "192.168.0.0/16", "office"));
  const v6 = await seed.ingress(groupId, permission("tcp", [2000, 2100], "::/0", "partners"));
  return { nfs, office, v6, event: authorizeIngressEvent({ groupId, ruleId: office, cidr: "192.168.0.0/16" }) };
}

/** What the broad rules leave behind on a group that also serves something else: everything but TCP 2049. */
const NARROWED: Row[] = [
  ["tcp", 0, 2048, "192.168.0.0/16", "office"],
  ["tcp", 2000, 2048, "::/0", "partners"],
  ["tcp", 2050, 2100, "::/0", "partners"],
  ["tcp", 2050, 65535, "192.168.0.0/16", "office"],
];

const sorted = (rows: Row[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

async function instanceOn(seed: Seeder, subnetId: string, groupId: string) {
  const images = await seed.ec2.send(new DescribeImagesCommand({ Owners: ["amazon"] }));
  const out = await seed.ec2.send(
    new RunInstancesCommand({
      ImageId: images.Images![0]!.ImageId!,
      MinCount: 1,
      MaxCount: 1,
      SubnetId: subnetId,
      SecurityGroupIds: [groupId],
    }),
  );
  return out.Instances![0]!.InstanceId!;
}

describe("a group used only by mount targets: broader rules are revoked whole", () => {
  it("TCP 2049, TCP 0-65535 and all traffic are revoked; HTTPS and NFS from the VPC stay; the alert says how to undo", async () => {
    const a = await mountTargetGroup();
    const { nfs, office, v6, event } = await openBroad(a.seed, a.groupId);
    const all = await a.seed.ingress(a.groupId, permission("-1", undefined, "0.0.0.0/0", "everything"));
    await host.putEvents([event]);
    const [invocation] = await host.drain();
    expect(invocation?.error).toBeUndefined();
    const after = await rulesOf(a.seed, a.groupId);
    expect(after.rows).toEqual(sorted(KEPT));
    expect(after.ids.sort()).toEqual([a.inside, a.https].sort());

    const [alert] = await host.alerts();
    expect(alert?.attributes.outcome).toBe("remediated");
    const context = alert!.message.metadata.additionalContext;
    expect(context.ruleIds.split(",").sort()).toEqual([nfs, office, v6, all].sort());
    expect(context.ruleIdsLeftInPlace).toBeUndefined();
    expect(alert!.message.content.description).not.toContain("Added in their place");
    const undo = alert!.message.content.nextSteps.join(" ");
    expect(undo).toContain(`aws ec2 authorize-security-group-ingress --region ${REGION} --group-id ${a.groupId}`);
    expect(undo).toContain('{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0","Description":"everything"}]}');
    expect(undo).not.toContain("revoke-security-group-ingress");
  });
});

describe("a group that also serves an instance: only TCP 2049 is taken out", () => {
  it("TCP 2049 revoked, the TCP ranges replaced by themselves minus 2049 (same source and description)", async () => {
    const a = await mountTargetGroup();
    const instanceId = await instanceOn(a.seed, a.subnets[2]!, a.groupId);
    const { nfs, office, v6, event } = await openBroad(a.seed, a.groupId);
    await host.putEvents([event]);
    const [invocation] = await host.drain();
    expect(invocation?.error).toBeUndefined();
    const after = await rulesOf(a.seed, a.groupId);
    expect(after.rows).toEqual(sorted([...KEPT, ...NARROWED]));
    for (const gone of [nfs, office, v6]) expect(after.ids).not.toContain(gone);

    const [alert] = await host.alerts();
    expect(alert?.attributes.outcome).toBe("remediated");
    const text = alert!.message.content.description;
    expect(text).toContain(
      "*Added in their place:* `TCP ports 0-2048 from 192.168.0.0/16`, `TCP ports 2050-65535 from 192.168.0.0/16`, `TCP ports 2000-2048 from ::/0`, `TCP ports 2050-2100 from ::/0`",
    );
    expect(text).toContain(`(instance ${instanceId})`);
    // The new rules' ids, as EC2 answered them, are in the alert (the emulator answers with all of them, as AWS).
    const added = after.ids.filter((id) => ![a.inside, a.https].includes(id));
    expect(added).toHaveLength(4);
    expect(text).toContain("new rule id(s): ");
    for (const id of added) expect(text).toContain(id);
    const undo = alert!.message.content.nextSteps.join(" ");
    expect(undo.indexOf("authorize-security-group-ingress")).toBeLessThan(
      undo.indexOf("revoke-security-group-ingress"),
    );
    expect(undo).toContain(
      '{"IpProtocol":"tcp","FromPort":0,"ToPort":65535,"IpRanges":[{"CidrIp":"192.168.0.0/16","Description":"office"}]}',
    );
  });

  it("all traffic from the world is left in place and reported; the rest is fixed; the sweep reports it again", async () => {
    const a = await mountTargetGroup();
    await instanceOn(a.seed, a.subnets[2]!, a.groupId);
    const nfs = await a.seed.ingress(a.groupId, permission("tcp", [2049, 2049], "0.0.0.0/0", "oops"));
    const all = await a.seed.ingress(a.groupId, permission("-1", undefined, "0.0.0.0/0", "everything"));
    await host.putEvents([
      authorizeIngressEvent({ groupId: a.groupId, ruleId: all, cidr: "0.0.0.0/0", protocol: "-1" }),
    ]);
    await host.drain();
    const after = await rulesOf(a.seed, a.groupId);
    expect(after.rows).toEqual(sorted([...KEPT, ["-1", -1, -1, "0.0.0.0/0", "everything"]]));
    expect(after.ids).toContain(all);
    expect(after.ids).not.toContain(nfs);
    const [alert] = await host.alerts();
    expect(alert?.attributes).toMatchObject({ outcome: "remediated", severity: "critical" });
    expect(alert!.message.metadata.additionalContext).toMatchObject({ ruleIds: nfs, ruleIdsLeftInPlace: all });
    expect(alert!.message.content.description).toContain(`left in place: ${all}: all traffic from 0.0.0.0/0`);

    // Nothing left to do automatically: the sweep alerts, changes nothing.
    const deps = testDeps();
    const report = await sweepRegion([nfsIngressGuard()], REGION, deps);
    expect(report.results.map((r) => [r.finding.resource.id, r.outcome])).toEqual([[a.groupId, "alerted"]]);
    expect(report.results[0]!.detail).toBe("alert only: no automatic remediation exists");
    expect((await rulesOf(a.seed, a.groupId)).rows).toEqual(after.rows);
  });

  it("an interface relabelled as a mount target does not make the group look like one: the rules are narrowed", async () => {
    const a = await mountTargetGroup();
    // A web server's interface whose owner (or an attacker) gave it a mount target's description, naming a real one.
    const [real] = (
      await a.seed.ec2.send(
        new (
          await import("@aws-sdk/client-ec2")
        ).DescribeNetworkInterfacesCommand({
          Filters: [{ Name: "group-id", Values: [a.groupId] }],
        }),
      )
    ).NetworkInterfaces!;
    const web = await a.seed.ec2.send(
      new CreateNetworkInterfaceCommand({ SubnetId: a.subnets[2]!, Groups: [a.groupId], Description: "web" }),
    );
    const webId = web.NetworkInterface!.NetworkInterfaceId!;
    await a.seed.ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: webId,
        Description: { Value: real!.Description! },
      }),
    );
    const { event } = await openBroad(a.seed, a.groupId);
    const report = await processEvent(event, nfsIngressGuard(), testDeps());
    expect(report.findings).toMatchObject([{ resource: a.groupId, outcome: "remediated" }]);
    expect((await rulesOf(a.seed, a.groupId)).rows).toEqual(sorted([...KEPT, ...NARROWED]));
    expect(report.findings[0]!.detail).toContain(`${webId} (described as mount target`);
    expect(report.findings[0]!.detail).toContain("not requester-managed");
  });

  it("a narrowed rule the group already has is not added again (EC2 answers Duplicate): the other one is", async () => {
    const a = await mountTargetGroup();
    await instanceOn(a.seed, a.subnets[2]!, a.groupId);
    const legacy = await a.seed.ingress(a.groupId, permission("tcp", [0, 2048], "192.168.0.0/16", "legacy"));
    const office = await a.seed.ingress(a.groupId, permission("tcp", [0, 65535], "192.168.0.0/16", "office"));
    const report = await processEvent(
      authorizeIngressEvent({ groupId: a.groupId, ruleId: office, cidr: "192.168.0.0/16" }),
      nfsIngressGuard(),
      testDeps(),
    );
    expect(report.findings).toMatchObject([{ outcome: "remediated" }]);
    const after = await rulesOf(a.seed, a.groupId);
    expect(after.rows).toEqual(
      sorted([...KEPT, ["tcp", 0, 2048, "192.168.0.0/16", "legacy"], ["tcp", 2050, 65535, "192.168.0.0/16", "office"]]),
    );
    expect(after.ids).toContain(legacy);
    expect(after.ids).not.toContain(office);
  });

  it("three deliveries at once: the narrowed rules exist once, one remediation, no failure", async () => {
    const a = await mountTargetGroup();
    await instanceOn(a.seed, a.subnets[2]!, a.groupId);
    const { event } = await openBroad(a.seed, a.groupId);
    await host.putEvents([event, event, event]);
    const invocations = await host.drain({ concurrency: 3 });
    expect(invocations.map((i) => i.error)).toEqual([undefined, undefined, undefined]);
    const outcomes = invocations.flatMap((i) => (i.result as any).findings.map((f: any) => f.outcome));
    expect(outcomes.filter((o) => o === "remediated")).toHaveLength(1);
    for (const o of outcomes) expect(["remediated", "already-remediated", "compliant"]).toContain(o);
    expect((await rulesOf(a.seed, a.groupId)).rows).toEqual(sorted([...KEPT, ...NARROWED]));
  });

  it("EFS Guard's own AuthorizeSecurityGroupIngress comes back: the group is compliant, nothing changes, no alert", async () => {
    const a = await mountTargetGroup();
    await instanceOn(a.seed, a.subnets[2]!, a.groupId);
    const { event } = await openBroad(a.seed, a.groupId);
    await host.putEvents([event]);
    await host.drain();
    const before = await rulesOf(a.seed, a.groupId);
    const added = before.ids.find((id) => ![a.inside, a.https].includes(id))!;
    const own = cloudTrailEnvelope({
      eventSource: "ec2.amazonaws.com",
      eventName: "AuthorizeSecurityGroupIngress",
      requestParameters: { groupId: a.groupId },
      responseElements: { _return: true, securityGroupRuleSet: { items: [{ securityGroupRuleId: added }] } },
    });
    await host.putEvents([own]);
    const [invocation] = await host.drain();
    expect((invocation!.result as any).findings).toMatchObject([{ verdict: "compliant", action: "none" }]);
    expect((await rulesOf(a.seed, a.groupId)).ids.sort()).toEqual(before.ids.sort());
    expect(await host.alerts()).toHaveLength(1);
  });

  it("a group at its rules quota: the narrowed rules cannot be added, so nothing is revoked and the alert says why", async () => {
    const a = await mountTargetGroup();
    await instanceOn(a.seed, a.subnets[2]!, a.groupId);
    const office = await a.seed.ingress(a.groupId, permission("tcp", [0, 65535], "192.168.0.0/16", "office"));
    for (let i = 0; i < 57; i++) {
      await a.seed.ingress(a.groupId, permission("tcp", [10000 + i, 10000 + i], "0.0.0.0/0", `app ${i}`));
    }
    const before = await rulesOf(a.seed, a.groupId);
    expect(before.ids).toHaveLength(60);
    await host.putEvents([authorizeIngressEvent({ groupId: a.groupId, ruleId: office, cidr: "192.168.0.0/16" })]);
    const [invocation] = await host.drain();
    expect(invocation?.error).toBeUndefined();
    expect((await rulesOf(a.seed, a.groupId)).rows).toEqual(before.rows);
    const [alert] = await host.alerts();
    expect(alert?.attributes.outcome).toBe("remediation-failed");
    expect(alert!.message.metadata.additionalContext.error).toMatch(/^RulesPerSecurityGroupLimitExceeded: /);
  });
});
