import {
  DeregisterTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from "@aws-sdk/client-ecs";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { registerTaskDefinitionEvent } from "../../events/build.js";
import { parseConfig } from "../../shared/config/schema.js";
import { ecsClientsGuard } from "../../shared/guards/ecs-clients.js";
import { allGuards } from "../../shared/guards/index.js";
import { scanAccount } from "../../shared/pipeline/scan.js";
import { fixedClock } from "../../shared/runtime/clock.js";
import { resetEmulator } from "../support/emulator.js";
import { taskDefinition } from "../support/task-definitions.js";

const ENTRY = "functions/ecs-clients/handler.ts";
const FS = "fs-0123456789abcdef0";

let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

const ecs = new ECSClient({ region: "us-east-1" });

/** Registers as a user would (real SDK, the emulator) and delivers the event CloudTrail records for it. */
async function register(host: FunctionHost, input: RegisterTaskDefinitionCommandInput) {
  const out = await ecs.send(new RegisterTaskDefinitionCommand(input));
  const td = out.taskDefinition!;
  await host.putEvents([
    registerTaskDefinitionEvent(input as unknown as Record<string, unknown>, td as unknown as Record<string, unknown>),
  ]);
  const invocations = await host.drain();
  return { arn: td.taskDefinitionArn!, invocations };
}

describe("efs-clients-use-tls end to end on the emulator (issue 15)", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });

  it("a revision that mounts EFS without TLS (transitEncryption omitted) is alerted with its ARN and volume", async () => {
    const { arn, invocations } = await register(host, taskDefinition("web", [{ fileSystemId: FS }]));
    expect(invocations.map((i) => i.entry)).toEqual([ENTRY]);
    const [alert, ...rest] = await host.alerts();
    expect(rest).toEqual([]);
    expect(alert?.attributes).toEqual({ control: "efs-clients-use-tls", severity: "high", outcome: "alerted" });
    const text = JSON.stringify(alert?.message);
    expect(text).toContain(arn);
    expect(text).toContain(FS);
    expect(text).toContain("transitEncryption omitted, so DISABLED");
  });

  it("DISABLED explicitly is alerted; ENABLED on every volume is compliant and sends nothing", async () => {
    await register(host, taskDefinition("batch", [{ fileSystemId: FS, transitEncryption: "DISABLED" }]));
    const [alert] = await host.alerts();
    expect(alert?.attributes.outcome).toBe("alerted");
    expect(JSON.stringify(alert?.message)).toContain("transitEncryption DISABLED");

    const { invocations } = await register(
      host,
      taskDefinition("batch", [{ fileSystemId: FS, transitEncryption: "ENABLED" }]),
    );
    expect(invocations.map((i) => i.entry)).toEqual([ENTRY]);
    expect(await host.alerts()).toEqual([]);
  });

  it("the event's copy of the volumes is not trusted: a forged 'ENABLED' in the event still alerts what ECS holds", async () => {
    const input = taskDefinition("forged", [{ fileSystemId: FS, transitEncryption: "DISABLED" }]);
    const out = await ecs.send(new RegisterTaskDefinitionCommand(input));
    const td = out.taskDefinition!;
    const lie = {
      ...td,
      volumes: [{ name: "data_0", efsVolumeConfiguration: { fileSystemId: FS, transitEncryption: "ENABLED" } }],
    };
    await host.putEvents([
      registerTaskDefinitionEvent(
        input as unknown as Record<string, unknown>,
        lie as unknown as Record<string, unknown>,
      ),
    ]);
    await host.drain();
    const [alert] = await host.alerts();
    expect(alert?.attributes.outcome).toBe("alerted");
  });

  it("a family name is attacker text: Slack markdown in it reaches the alert escaped", async () => {
    // ECS allows letters, digits, hyphens and underscores in a family: _x_ would render italic in Slack.
    await register(host, taskDefinition("_evil_", [{ fileSystemId: FS }]));
    const [alert] = await host.alerts();
    const [title, resource] = String(alert?.message.content.description ?? "").split("\n");
    // In prose the underscores that would open and close italics are replaced; in the code span they cannot format.
    expect(title).toContain("task definition ˍevilˍ:1 mounts");
    expect(title).not.toContain("_evil_");
    expect(resource).toContain("`_evil_:1`");
  });

  it("a revision deregistered before the guard reads it, or one without EFS volumes, is not alerted", async () => {
    const input = taskDefinition("gone", [{ fileSystemId: FS }]);
    const out = await ecs.send(new RegisterTaskDefinitionCommand(input));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: out.taskDefinition!.taskDefinitionArn! }));
    await host.putEvents([
      registerTaskDefinitionEvent(
        input as unknown as Record<string, unknown>,
        out.taskDefinition as unknown as Record<string, unknown>,
      ),
    ]);
    await host.drain();
    await register(host, taskDefinition("plain", []));
    expect(await host.alerts()).toEqual([]);
  });

  it("scan: the ACTIVE revisions, newest first, at most tlsClientCheckLimit, each assessed", async () => {
    await ecs.send(new RegisterTaskDefinitionCommand(taskDefinition("a", [{ fileSystemId: FS }])));
    await ecs.send(
      new RegisterTaskDefinitionCommand(taskDefinition("b", [{ fileSystemId: FS, transitEncryption: "ENABLED" }])),
    );
    await ecs.send(new RegisterTaskDefinitionCommand(taskDefinition("c", [])));
    const guard = ecsClientsGuard();
    const config = parseConfig({});
    const triggers = await guard.inventory("us-east-1", config);
    expect(triggers).toHaveLength(3);
    const verdicts = [];
    for (const t of triggers) {
      for (const f of await guard.assess(t, "us-east-1", config, fixedClock("2026-12-01T12:00:00Z"))) {
        verdicts.push(`${f.resource.id} ${f.verdict}`);
      }
    }
    expect(verdicts.sort()).toEqual(["a:1 non-compliant", "b:1 compliant", "c:1 not-applicable"]);
    expect(await guard.inventory("us-east-1", parseConfig({ tlsClientCheckLimit: 2 }))).toHaveLength(2);

    // `scan` (and the sweep) run it with every other guard: the task definitions appear in its report.
    const report = await scanAccount(allGuards(), ["us-east-1"], { config, clock: fixedClock("2026-12-01T12:00:00Z") });
    expect(report.errors).toEqual([]);
    const ecsFindings = report.findings
      .filter((f) => f.control === "efs-clients-use-tls")
      .map((f) => `${f.resource} ${f.verdict} ${f.wouldDo}`)
      .sort();
    expect(ecsFindings).toEqual([
      expect.stringMatching(/task-definition\/a:1 non-compliant alert$|^a:1 non-compliant alert$/),
      expect.stringMatching(/b:1 compliant none$/),
      expect.stringMatching(/c:1 not-applicable none$/),
    ]);
  });
});
