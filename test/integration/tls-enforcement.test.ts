import {
  DeregisterTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from "@aws-sdk/client-ecs";
import { PutFileSystemPolicyCommand } from "@aws-sdk/client-efs";
import { beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import { synthTemplate } from "../../emulator/template.js";
import { createFileSystemEvent, deleteFileSystemPolicyEvent, putFileSystemPolicyEvent } from "../../events/build.js";
import type { ConfigInput } from "../../shared/config/schema.js";
import { TLS_STATEMENT_SID } from "../../shared/controls/policy.js";
import { allGuards } from "../../shared/guards/index.js";
import { sweepRegion } from "../../shared/pipeline/sweep.js";
import { ACCESS_ENTRY, withoutAccessControls } from "../support/access-off.js";
import { testDeps } from "../support/deps.js";
import { policyOf, roleOnlyPolicy } from "../support/efs-policy.js";
import { resetEmulator } from "../support/emulator.js";
import { taskDefinition as clientOf } from "../support/task-definitions.js";

/**
 * tlsEnforcement "unless-clients-break" (issue 15): before the TLS deny is written into a file system that has mount
 * targets, the ECS clients it would cut off are looked up (the ecs-clients function, shared/guards/tls-enforcement.ts).
 * The deployed bundles on the emulator, IAM enforced.
 */
const ECS_ENTRY = "functions/ecs-clients/handler.ts";
const FS_ENTRY = "functions/file-system/handler.ts";
const ACCOUNT = "123456789012";
const arnOf = (fs: string) => `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/${fs}`;
const ecs = new ECSClient({ region: REGION });

const taskDefinition = (family: string, fileSystemId: string, transitEncryption?: "ENABLED" | "DISABLED") =>
  clientOf(family, [{ fileSystemId, ...(transitEncryption ? { transitEncryption } : {}) }]);

async function register(input: RegisterTaskDefinitionCommandInput): Promise<string> {
  return (await ecs.send(new RegisterTaskDefinitionCommand(input))).taskDefinition!.taskDefinitionArn!;
}

/** A client access grant without the TLS deny: what the event's caller wrote. */
const appPolicy = (fs: string) => JSON.stringify(roleOnlyPolicy(arnOf(fs)));

async function deploy(config: ConfigInput = {}) {
  return FunctionHost.deploy(synthTemplate(withoutAccessControls(config)), { env: { LOG_LEVEL: "WARN" } });
}

/** A file system with one mount target (a client could be using it). */
async function mounted(seed: Seeder): Promise<string> {
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const group = await seed.securityGroup(vpcId, "efs");
  const fs = await seed.fileSystem({ encrypted: true });
  await seed.mountTarget(fs, subnets[0] as string, [group]);
  return fs;
}

/** The caller's PutFileSystemPolicy without the deny, delivered as CloudTrail records it. */
async function putWithoutDeny(host: FunctionHost, seed: Seeder, fs: string) {
  const policy = appPolicy(fs);
  await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fs, Policy: policy }));
  await host.putEvents([putFileSystemPolicyEvent(fs, policy)]);
  // The access function (its controls off here) reads the same event; what counts is who evaluates TLS.
  const invocations = (await host.drain()).filter((i) => i.entry !== ACCESS_ENTRY);
  return { policy, invocations };
}

const tlsAlerts = async (host: FunctionHost) =>
  (await host.alerts()).filter((a) => a.attributes.control === "efs-tls-enforced");

const ecsCalls = (host: FunctionHost) => host.recorder.calls.filter((c) => c.service === "ecs");

function hasDeny(policy: string | undefined): boolean {
  return (JSON.parse(policy ?? "{}").Statement ?? []).some((s: { Sid?: string }) => s.Sid === TLS_STATEMENT_SID);
}

describe("efs-tls-enforced with tlsEnforcement unless-clients-break (issue 15), on the emulator", () => {
  let seed: Seeder;
  beforeEach(async () => {
    await resetEmulator();
    seed = new Seeder();
  });

  it("ACTIVE task definitions mounting it without TLS (DISABLED, omitted): policy unchanged, one alert naming both", async () => {
    const host = await deploy();
    const fs = await mounted(seed);
    const disabled = await register(taskDefinition("batch", fs, "DISABLED"));
    const omitted = await register(taskDefinition("web", fs));
    const { policy, invocations } = await putWithoutDeny(host, seed, fs);
    // One writer: the ecs-clients function evaluates efs-tls-enforced; the file-system function leaves it alone.
    expect(invocations.map((i) => i.entry).sort()).toEqual([ECS_ENTRY, FS_ENTRY]);
    expect(await policyOf(seed, fs)).toBe(policy);
    const alerts = await tlsAlerts(host);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.attributes).toEqual({ control: "efs-tls-enforced", severity: "high", outcome: "alerted" });
    const text = JSON.stringify(alerts[0]?.message);
    expect(text).toContain("would cut off 2 active ECS task definition(s)");
    expect(text).toContain(disabled);
    expect(text).toContain(omitted);
  });

  it("a client that mounts with TLS ENABLED does not hold the deny back: written", async () => {
    const host = await deploy();
    const fs = await mounted(seed);
    await register(taskDefinition("web", fs, "ENABLED"));
    await putWithoutDeny(host, seed, fs);
    expect(hasDeny(await policyOf(seed, fs))).toBe(true);
    const alerts = await tlsAlerts(host);
    expect(alerts.map((a) => a.attributes.outcome)).toEqual(["remediated"]);
    // The lookup, then the policy read just before the write, which is not repeated: 3 reads and 1 write.
    const own = host.recorder.calls
      .filter((c) => /EcsClients/i.test(c.function ?? "") && ["elasticfilesystem", "ecs"].includes(c.service))
      .map((c) => c.operation);
    expect(own).toEqual([
      "DescribeFileSystems",
      "ListTaskDefinitions",
      "DescribeTaskDefinition",
      "DescribeFileSystemPolicy",
      "PutFileSystemPolicy",
    ]);
  });

  it("loop safety: the guard's own PutFileSystemPolicy is compliant, with no ECS call and no second write", async () => {
    const host = await deploy();
    const fs = await mounted(seed);
    await register(taskDefinition("web", fs, "ENABLED"));
    await putWithoutDeny(host, seed, fs);
    const written = await policyOf(seed, fs);
    expect(hasDeny(written)).toBe(true);
    const before = host.recorder.calls.length;
    // CloudTrail's record of the guard's own write: its policy already denies non-TLS access.
    await host.putEvents([putFileSystemPolicyEvent(fs, written as string)]);
    await host.drain();
    const after = host.recorder.calls.slice(before).filter((c) => /EcsClients/i.test(c.function ?? ""));
    // The event's policy hints compliance: the policy is read with the file system, and the lookup never starts.
    expect(after.map((c) => c.operation).sort()).toEqual(["DescribeFileSystemPolicy", "DescribeFileSystems"]);
    expect(await policyOf(seed, fs)).toBe(written);
    expect((await tlsAlerts(host)).map((a) => a.attributes.outcome)).toEqual(["remediated"]);
  });

  it('tlsEnforcement "always": written despite the client, by the file-system function, without any ECS call', async () => {
    const host = await deploy({ tlsEnforcement: "always" });
    const fs = await mounted(seed);
    await register(taskDefinition("web", fs, "DISABLED"));
    const { invocations } = await putWithoutDeny(host, seed, fs);
    expect(invocations.map((i) => i.entry)).toEqual([FS_ENTRY]);
    expect(hasDeny(await policyOf(seed, fs))).toBe(true);
    expect((await tlsAlerts(host)).map((a) => a.attributes.outcome)).toEqual(["remediated"]);
    expect(ecsCalls(host)).toEqual([]);
  });

  it("tlsClientCheckLimit reached before the end: withheld, saying it cannot tell", async () => {
    const host = await deploy({ tlsClientCheckLimit: 1 });
    const fs = await mounted(seed);
    await register(taskDefinition("web", fs, "ENABLED"));
    await register(taskDefinition("api", fs, "ENABLED"));
    const { policy } = await putWithoutDeny(host, seed, fs);
    expect(await policyOf(seed, fs)).toBe(policy);
    const alerts = await tlsAlerts(host);
    expect(alerts.map((a) => a.attributes.outcome)).toEqual(["alerted"]);
    expect(JSON.stringify(alerts[0]?.message)).toContain(
      "described only the first 1 active ECS task definitions (tlsClientCheckLimit) and cannot tell",
    );
  });

  it("the client's revision deregistered (INACTIVE) no longer blocks: written", async () => {
    const host = await deploy();
    const fs = await mounted(seed);
    const arn = await register(taskDefinition("batch", fs, "DISABLED"));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
    await putWithoutDeny(host, seed, fs);
    expect(hasDeny(await policyOf(seed, fs))).toBe(true);
    expect((await tlsAlerts(host)).map((a) => a.attributes.outcome)).toEqual(["remediated"]);
  });

  it("a task definition of another file system does not block: written", async () => {
    const host = await deploy();
    const fs = await mounted(seed);
    const other = await seed.fileSystem({ encrypted: true });
    await register(taskDefinition("elsewhere", other, "DISABLED"));
    await putWithoutDeny(host, seed, fs);
    expect(hasDeny(await policyOf(seed, fs))).toBe(true);
    expect((await tlsAlerts(host)).map((a) => a.attributes.outcome)).toEqual(["remediated"]);
  });

  it("a file system without mount targets (new, or its policy deleted) is written without any ECS call", async () => {
    const host = await deploy();
    const fs = await seed.fileSystem({ encrypted: true });
    await register(taskDefinition("batch", fs, "DISABLED"));
    await host.putEvents([createFileSystemEvent({ fileSystemId: fs, encrypted: true })]);
    await host.drain();
    expect(hasDeny(await policyOf(seed, fs))).toBe(true);
    expect((await tlsAlerts(host)).map((a) => a.attributes.outcome)).toEqual(["remediated"]);
    expect(ecsCalls(host)).toEqual([]);
  });

  it("DeleteFileSystemPolicy on a file system with a client without TLS: nothing written, alerted", async () => {
    const host = await deploy();
    const fs = await mounted(seed);
    const arn = await register(taskDefinition("batch", fs, "DISABLED"));
    await host.putEvents([deleteFileSystemPolicyEvent(fs)]);
    await host.drain();
    expect(await policyOf(seed, fs)).toBeUndefined();
    const alerts = await tlsAlerts(host);
    expect(alerts.map((a) => a.attributes.outcome)).toEqual(["alerted"]);
    expect(JSON.stringify(alerts[0]?.message)).toContain(arn);
  });

  it("the sweep applies the same rule: withheld where a client mounts without TLS, written elsewhere", async () => {
    const blocked = await mounted(seed);
    const clear = await mounted(seed);
    const arn = await register(taskDefinition("batch", blocked, "DISABLED"));
    const report = await sweepRegion(allGuards(), REGION, testDeps(withoutAccessControls()), { account: ACCOUNT });
    expect(report.errors).toEqual([]);
    const tlsOf = (fs: string) =>
      report.results.find((r) => r.finding.control === "efs-tls-enforced" && r.finding.resource.id === fs);
    expect(tlsOf(blocked)?.outcome).toBe("alerted");
    expect(tlsOf(blocked)?.finding.withheld).toContain(arn);
    expect(await policyOf(seed, blocked)).toBeUndefined();
    expect(tlsOf(clear)?.outcome).toBe("remediated");
    expect(hasDeny(await policyOf(seed, clear))).toBe(true);
  });
});
