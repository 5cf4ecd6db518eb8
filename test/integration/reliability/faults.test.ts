import { beforeAll, describe, expect, inject, it } from "vitest";
import { FunctionHost } from "../../../emulator/host.js";
import { type CfnTemplate, synthTemplate } from "../../../emulator/template.js";
import { ALL_FAULTS, type FaultProxy } from "../../emulator/fault-proxy.js";
import { resetEmulator } from "../../support/emulator.js";
import { faultProxyForFile } from "../../support/fault-proxy.js";
import { buildAccount, count, eventIdOf, KEPT_SHAPES, type ReliabilityAccount, snapshot } from "./account.js";

/**
 * Nothing lost under AWS faults. Every SDK call of the function goes through a fault proxy that answers 20% of
 * EC2, EFS and SNS requests with throttling, 5xx, connection resets (before and after the call took effect) or slow
 * answers; the function host retries a failed event twice (Lambda asynchronous invocation) and then dead-letters
 * it. The ground truth is read from the emulator directly, never through the proxy.
 */
const GROUPS = Number(process.env.RELIABILITY_GROUPS ?? 50);
/** Groups are independent, so a smaller fault-free run gives the state every group must end in. */
const BASELINE_GROUPS = 10;
const RATE = Number(process.env.RELIABILITY_FAULT_RATE ?? 0.2);
const CONCURRENCY = 5;

let template: CfnTemplate;
const faultProxy = faultProxyForFile({
  seed: 20261126,
  services: ["ec2", "elasticfilesystem", "sns"],
  faults: ALL_FAULTS,
  slowMs: 200,
});
let proxy: FaultProxy;

beforeAll(() => {
  template = synthTemplate();
  proxy = faultProxy();
});

interface Run {
  account: ReliabilityAccount;
  host: FunctionHost;
  elapsedMs: number;
}

async function run(rate: number, groups: number): Promise<Run> {
  await resetEmulator();
  proxy.configure({ rate: 0 });
  const host = await FunctionHost.deploy(template, {
    env: { LOG_LEVEL: "CRITICAL" },
    asyncRetry: { retries: 2 },
    endpoint: inject("emulatorEndpoint"),
  });
  const account = await buildAccount(groups);
  proxy.resetCounters();
  proxy.configure({ rate, seed: 20261126 });
  const started = Date.now();
  await host.putEvents(account.events);
  await host.drain({ concurrency: CONCURRENCY });
  const elapsedMs = Date.now() - started;
  proxy.configure({ rate: 0 });
  return { account, host, elapsedMs };
}

describe(`${Math.round(RATE * 100)}% injected AWS faults, ${GROUPS} security groups`, () => {
  let baseline: string[];

  it("fault-free run: every group converges to the rules that must stay", async () => {
    const { account, host, elapsedMs } = await run(0, BASELINE_GROUPS);
    const invocations = host.invocations;
    expect(invocations.filter((i) => i.error)).toEqual([]);
    expect(await host.deadLetters()).toEqual([]);
    const shapes = (await snapshot(account.groups)).shapes;
    baseline = shapes[0] ?? [];
    expect(baseline).toEqual([...KEPT_SHAPES].sort());
    for (const s of shapes) expect(s).toEqual(baseline);
    console.log(
      `[faults] fault-free: ${account.events.length} events, ${invocations.length} invocations in ${elapsedMs} ms ` +
        `(${((account.events.length * 1000) / elapsedMs).toFixed(1)} events/s)`,
    );
  }, 300_000);

  it("with faults: every remediation ends applied or its event is dead-lettered with the error; no alert lies; a replay converges", async () => {
    const { account, host, elapsedMs } = await run(RATE, GROUPS);
    const counters = structuredClone(proxy.counters);
    const invocations = [...host.invocations];
    const dead = await host.deadLetters();
    const alerts = await host.alerts();
    const after = await snapshot(account.groups);

    // Every event was delivered: it succeeded on some attempt, or it is on the dead-letter queue with its error.
    const deadIds = new Set(dead.map((d) => d.event.detail.eventID));
    const succeeded = new Set(invocations.filter((i) => !i.error).map(eventIdOf));
    for (const event of account.events) {
      const id = event.detail.eventID;
      expect(succeeded.has(id) || deadIds.has(id), `event ${id} neither succeeded nor dead-lettered`).toBe(true);
    }
    for (const d of dead) {
      expect(d.errorMessage.length, "dead letter without its error").toBeGreaterThan(0);
      expect(invocations.filter((i) => eventIdOf(i) === d.event.detail.eventID)).toHaveLength(3);
    }

    // Every group is clean, unless an event about it is on the dead-letter queue.
    const pendingGroups = new Set(dead.flatMap((d) => account.groupsOf.get(d.event.detail.eventID) ?? []));
    account.groups.forEach((groupId, i) => {
      if (pendingGroups.has(groupId)) return;
      expect(after.shapes[i], `${groupId} not remediated and not dead-lettered`).toEqual([...KEPT_SHAPES].sort());
    });

    // No alert claims a remediation that the state does not show: its rules are gone when read directly.
    const claims = alerts.filter((a) => ["remediated", "already-remediated"].includes(a.attributes.outcome ?? ""));
    for (const alert of claims) {
      const context = alert.message.metadata.additionalContext;
      const present = after.ids.get(context.resource) ?? new Set();
      for (const ruleId of String(context.ruleIds).split(",")) {
        expect(present.has(ruleId), `${alert.attributes.outcome} alert for ${ruleId} on ${context.resource}`).toBe(
          false,
        );
      }
    }
    // One "remediated" decision per group: a rule is never reported revoked by two deliveries. (The same alert
    // can arrive twice: a Publish whose answer was lost is retried by the SDK, and SNS does not deduplicate; the
    // Chatbot message id, event:control:resource, tells them apart.)
    const remediated = alerts.filter((a) => a.attributes.outcome === "remediated");
    const decisions = new Map<string, string>();
    for (const a of remediated) decisions.set(a.message.id, a.message.metadata.additionalContext.resource);
    const perGroup = count([...decisions.values()], (g) => g);
    for (const [group, n] of Object.entries(perGroup)) {
      expect(
        n,
        `${group}: ${remediated
          .filter((a) => a.message.metadata.additionalContext.resource === group)
          .map((a) => a.message.id)
          .join(" ")}`,
      ).toBe(1);
    }

    const attempts = count(invocations, (i) => `attempt ${i.attempt}${i.error ? " failed" : " ok"}`);
    console.log(
      `[faults] rate ${RATE}: ${account.events.length} events, ${invocations.length} invocations in ${elapsedMs} ms; ` +
        `proxy ${JSON.stringify({ requests: counters.requests, faulted: counters.faulted, byKind: counters.byKind })}; ` +
        `attempts ${JSON.stringify(attempts)}; dead-lettered ${dead.length} (groups pending ${pendingGroups.size}); ` +
        `alerts ${JSON.stringify(count(alerts, (a) => a.attributes.outcome ?? "?"))} (${remediated.length - decisions.size} duplicate deliveries)`,
    );
    expect(counters.faulted).toBeGreaterThan(account.events.length * 0.2);

    // Faults stop; the dead-lettered events are replayed: the final state is the fault-free run's.
    await host.redrive(dead);
    const replayed = await host.drain({ concurrency: CONCURRENCY });
    expect(replayed.filter((i) => i.error)).toEqual([]);
    expect(await host.deadLetters()).toEqual([]);
    expect((await snapshot(account.groups)).shapes).toEqual(account.groups.map(() => baseline));
  }, 600_000);

  it("an EC2 outage: events exhaust the SDK's and Lambda's retries, land on the dead-letter queue with the error, and a replay after the outage converges", async () => {
    const { account, host } = await run(0, 10);
    await host.alerts(); // the first remediation's alerts; this test is about the next ones
    // Reopen NFS on every group, then send the events while EC2 answers every call with 503.
    const { Seeder } = await import("../../../emulator/seed.js");
    const { authorizeIngressEvent } = await import("../../../events/build.js");
    const seed = new Seeder();
    const events = [];
    for (const groupId of account.groups) {
      const ruleId = await seed.nfsFrom(groupId, "0.0.0.0/0");
      events.push(authorizeIngressEvent({ groupId, ruleId, cidr: "0.0.0.0/0" }));
    }
    proxy.resetCounters();
    proxy.configure({ rate: 1, faults: ["unavailable"], services: ["ec2"] });
    const started = Date.now();
    await host.putEvents(events);
    const invocations = await host.drain({ concurrency: CONCURRENCY });
    const outageMs = Date.now() - started;
    const ec2Requests = proxy.counters.byService.ec2?.requests ?? 0;
    proxy.configure({ rate: 0, faults: ALL_FAULTS, services: ["ec2", "elasticfilesystem", "sns"] });

    expect(invocations).toHaveLength(events.length * 3);
    expect(invocations.every((i) => i.error !== undefined)).toBe(true);
    const dead = await host.deadLetters();
    expect(dead.map((d) => d.event.detail.eventID).sort()).toEqual(events.map((e) => e.detail.eventID).sort());
    for (const d of dead) expect(d.errorMessage).toMatch(/Unavailable/);
    // Nothing was claimed: no alert says remediated.
    expect((await host.alerts()).filter((a) => a.attributes.outcome?.includes("remediated"))).toEqual([]);
    console.log(
      `[faults] outage: ${events.length} events x 3 attempts in ${outageMs} ms, ${ec2Requests} EC2 requests ` +
        `(${(ec2Requests / (events.length * 3)).toFixed(1)} per attempt: the SDK's retries, then its retry quota)`,
    );

    await host.redrive(dead);
    const replayed = await host.drain({ concurrency: CONCURRENCY });
    expect(replayed.filter((i) => i.error)).toEqual([]);
    expect((await snapshot(account.groups)).shapes).toEqual(account.groups.map(() => [...KEPT_SHAPES].sort()));
    const alerts = await host.alerts();
    expect(alerts.map((a) => a.attributes.outcome)).toEqual(events.map(() => "remediated"));
  }, 600_000);
});
