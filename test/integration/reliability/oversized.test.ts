import { beforeAll, expect, it } from "vitest";
import { FunctionHost } from "../../../emulator/host.js";
import { Seeder } from "../../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../../emulator/template.js";
import { authorizeIngressEvent } from "../../../events/build.js";
import { resetEmulator } from "../../support/emulator.js";

let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

it("a security group at the 60-rule quota: exactly the 20 offending rules revoked, within time and memory", async () => {
  await resetEmulator();
  const host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "CRITICAL" } });
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId);
  const fileSystemId = await seed.fileSystem();
  await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
  const offending: string[] = [];
  const kept: string[] = [];
  for (let i = 0; i < 60; i++) {
    if (i % 3 === 0) offending.push(await seed.nfsFrom(groupId, `198.51.100.${i}/32`));
    else if (i % 3 === 1) kept.push(await seed.nfsFrom(groupId, `10.0.${i}.0/24`));
    else kept.push(await seed.nfsFrom(groupId, `203.0.113.${i}/32`, { from: 443, to: 443 }));
  }
  expect(await seed.ingressRules(groupId)).toHaveLength(60);

  globalThis.gc?.();
  const heap = process.memoryUsage().heapUsed;
  const started = Date.now();
  await host.putEvents([authorizeIngressEvent({ groupId, ruleId: offending[0]!, cidr: "198.51.100.0/32" })]);
  const [invocation] = await host.drain();
  const ms = Date.now() - started;
  const heapMb = (process.memoryUsage().heapUsed - heap) / 2 ** 20;

  expect(invocation?.error).toBeUndefined();
  expect((await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId).sort()).toEqual([...kept].sort());
  const [alert] = await host.alerts();
  expect(alert?.message.metadata.additionalContext.ruleIds.split(",").sort()).toEqual([...offending].sort());
  console.log(`[oversized] 60-rule group: revoked 20 in ${ms} ms (event to alert), heap +${heapMb.toFixed(1)} MB`);
  // The function has 60 s and 256 MB; this leaves a wide margin even on a loaded machine.
  expect(ms).toBeLessThan(20_000);
  expect(heapMb).toBeLessThan(128);
}, 120_000);
