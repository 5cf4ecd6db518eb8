import { DeleteSubnetCommand, ModifySubnetAttributeCommand } from "@aws-sdk/client-ec2";
import { DeleteMountTargetCommand, PutFileSystemPolicyCommand } from "@aws-sdk/client-efs";
import { beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { createMountTargetEvent, modifySubnetAttributeEvent, putFileSystemPolicyEvent } from "../../events/build.js";
import { TLS_STATEMENT_SID } from "../../shared/controls/policy.js";
import type { FaultProxy } from "../emulator/fault-proxy.js";
import { withoutAccessControls } from "../support/access-off.js";
import { policyOf, roleOnlyPolicy } from "../support/efs-policy.js";
import { resetEmulator } from "../support/emulator.js";
import { faultProxyForFile } from "../support/fault-proxy.js";
import { type Account, account, mountTarget } from "../support/public-subnets.js";

/**
 * The guards' lookups when AWS fails or the resource is gone: the mount-targets function's EC2 reads and the
 * ecs-clients function's lookup of a file system's ECS clients before the TLS deny. The deployed bundles under their
 * synthesized roles, every SDK call through a fault proxy (the test reads the emulator directly), Lambda's
 * asynchronous retries (two) and the dead-letter queue as deployed.
 */
const ENTRY = "functions/mount-targets/handler.ts";
const CONTROL = "efs-mount-target-private";
const ECS_ENTRY = "functions/ecs-clients/handler.ts";
type HostEvent = Parameters<FunctionHost["putEvents"]>[0][number];

let template: CfnTemplate;
const faultProxy = faultProxyForFile({ seed: 20261202, services: ["ec2", "ecs"], rate: 0 });
let proxy: FaultProxy;

beforeAll(() => {
  template = synthTemplate();
  proxy = faultProxy();
});

describe("efs-mount-target-private under EC2 faults and deleted subnets", () => {
  let host: FunctionHost;
  let a: Account;
  beforeEach(async () => {
    await resetEmulator();
    proxy.configure({ rate: 0 });
    host = await FunctionHost.deploy(template, {
      env: { LOG_LEVEL: "WARN" },
      asyncRetry: { retries: 2 },
      endpoint: inject("emulatorEndpoint"),
    });
    a = await account();
  });

  it("EC2 throttles every call: the event fails three times, is dead-lettered with the throttling error, alerts nothing; its redrive alerts", async () => {
    await a.seed.ec2.send(
      new ModifySubnetAttributeCommand({ SubnetId: a.subnets[0]!, MapPublicIpOnLaunch: { Value: true } }),
    );
    const mt = await mountTarget(a, 0);
    const event = modifySubnetAttributeEvent(mt.subnetId, true);
    proxy.resetCounters();
    proxy.configure({ rate: 1, faults: ["throttle"], services: ["ec2"] });
    await host.putEvents([event as HostEvent]);
    const invocations = (await host.drain()).filter((i) => i.entry === ENTRY);
    const ec2Requests = proxy.counters.byService.ec2?.requests ?? 0;
    proxy.configure({ rate: 0 });

    expect(invocations.map((i) => i.attempt)).toEqual([1, 2, 3]);
    for (const i of invocations) expect(String(i.error)).toMatch(/RequestLimitExceeded/);
    // The SDK retried inside every attempt before giving up: more than one EC2 request per attempt.
    expect(ec2Requests).toBeGreaterThan(invocations.length);
    const dead = await host.deadLetters();
    expect(dead.map((d) => d.event.detail.eventID)).toEqual([event.detail.eventID]);
    expect(dead[0]?.errorMessage).toMatch(/RequestLimitExceeded/);
    // Nothing judged, nothing claimed: no alert (compliant or not) came out of a failed read.
    expect((await host.alerts()).filter((x) => x.attributes.control === CONTROL)).toEqual([]);

    await host.redrive(dead);
    const replayed = (await host.drain()).filter((i) => i.entry === ENTRY);
    expect(replayed.map((i) => i.error)).toEqual([undefined]);
    const alerts = (await host.alerts()).filter((x) => x.attributes.control === CONTROL);
    expect(alerts.map((x) => x.attributes.outcome)).toEqual(["alerted"]);
    expect(JSON.stringify(alerts[0]?.message)).toContain(mt.fileSystemId);
  }, 120_000);

  it("a subnet deleted before its event is handled: no finding, no alert, no error, no retry", async () => {
    // A subnet without a mount target (one with a mount target cannot be deleted: DependencyViolation).
    const subnetId = a.subnets[2]!;
    await a.seed.ec2.send(
      new ModifySubnetAttributeCommand({ SubnetId: subnetId, MapPublicIpOnLaunch: { Value: true } }),
    );
    await a.seed.ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
    await host.putEvents([modifySubnetAttributeEvent(subnetId, true) as HostEvent]);
    const invocations = (await host.drain()).filter((i) => i.entry === ENTRY);
    expect(invocations.map((i) => i.error)).toEqual([undefined]);
    expect((invocations[0]!.result as { findings: unknown[] }).findings).toEqual([]);
    expect(await host.deadLetters()).toEqual([]);
    expect((await host.alerts()).filter((x) => x.attributes.control === CONTROL)).toEqual([]);
  }, 60_000);

  it("a mount target deleted before its CreateMountTarget event is handled: nothing judged, no alert", async () => {
    await a.seed.ec2.send(
      new ModifySubnetAttributeCommand({ SubnetId: a.subnets[0]!, MapPublicIpOnLaunch: { Value: true } }),
    );
    const mt = await mountTarget(a, 0);
    await a.seed.efs.send(new DeleteMountTargetCommand({ MountTargetId: mt.mountTargetId }));
    await host.putEvents([
      createMountTargetEvent({ ...mt, securityGroups: [a.groupId], vpcId: a.vpcId }) as Parameters<
        FunctionHost["putEvents"]
      >[0][number],
    ]);
    const invocations = (await host.drain()).filter((i) => i.entry === ENTRY);
    expect(invocations.map((i) => i.error)).toEqual([undefined]);
    // EFS lists no mount target of the event's any more (the event is a trigger, not the truth): nothing judged.
    expect((invocations[0]!.result as { findings: unknown[] }).findings).toEqual([]);
    expect((await host.alerts()).filter((x) => x.attributes.control === CONTROL)).toEqual([]);
  }, 60_000);
});

describe("the ECS client lookup before the TLS deny (tlsEnforcement unless-clients-break) under ECS throttling", () => {
  it("ECS throttles every call: no deny is written without the lookup, the event is dead-lettered with the error; its redrive merges the deny", async () => {
    await resetEmulator();
    proxy.configure({ rate: 0 });
    const host = await FunctionHost.deploy(synthTemplate(withoutAccessControls({})), {
      env: { LOG_LEVEL: "WARN" },
      asyncRetry: { retries: 2 },
      endpoint: inject("emulatorEndpoint"),
    });
    const seed = new Seeder();
    const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
    const fs = await seed.fileSystem({ encrypted: true });
    await seed.mountTarget(fs, subnets[0]!, [await seed.securityGroup(vpcId, "efs")]);
    const policy = JSON.stringify(roleOnlyPolicy(`arn:aws:elasticfilesystem:${REGION}:123456789012:file-system/${fs}`));
    await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fs, Policy: policy }));
    const event = putFileSystemPolicyEvent(fs, policy);

    proxy.resetCounters();
    proxy.configure({ rate: 1, faults: ["throttle"], services: ["ecs"] });
    await host.putEvents([event as HostEvent]);
    const invocations = (await host.drain()).filter((i) => i.entry === ECS_ENTRY);
    proxy.configure({ rate: 0 });

    expect(invocations.map((i) => i.attempt)).toEqual([1, 2, 3]);
    for (const i of invocations) expect(String(i.error)).toMatch(/ThrottlingException/);
    const dead = (await host.deadLetters()).filter((d) => d.event.detail.eventID === event.detail.eventID);
    expect(dead.map((d) => d.errorMessage)).toEqual([expect.stringMatching(/ThrottlingException/)]);
    // Not knowing the clients, the guard wrote nothing and claimed nothing.
    expect(JSON.parse((await policyOf(seed, fs)) ?? "{}")).toEqual(JSON.parse(policy));
    expect((await host.alerts()).filter((a) => a.attributes.control === "efs-tls-enforced")).toEqual([]);

    await host.redrive(dead);
    const replayed = (await host.drain()).filter((i) => i.entry === ECS_ENTRY);
    expect(replayed.map((i) => i.error)).toEqual([undefined]);
    const merged = JSON.parse((await policyOf(seed, fs)) ?? "{}");
    expect(merged.Statement.map((s: { Sid?: string }) => s.Sid)).toContain(TLS_STATEMENT_SID);
  }, 120_000);
});
