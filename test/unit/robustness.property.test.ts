import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ALL_EVENTS } from "../../events/all.js";
import { FILE_SYSTEM_EVENTS, KMS_KEY_EVENTS, NFS_INGRESS_EVENTS } from "../../events/patterns.js";
import { CONTROL_IDS, MODES, NOT_YET_EVALUATED, REMEDIABLE } from "../../shared/config/controls.js";
import { type GuardConfig, parseConfig } from "../../shared/config/schema.js";
import * as backup from "../../shared/controls/backup-enabled.js";
import * as rotation from "../../shared/controls/key-rotation-enabled.js";
import {
  coversNfs,
  evaluate,
  type IngressRule,
  NFS_PORT,
  type SecurityGroupState,
  servesOnlyMountTargets,
} from "../../shared/controls/nfs-ingress-restricted.js";
import { isNfsOnly, isTcp } from "../../shared/controls/nfs-rule-split.js";
import { tlsDenyStatement } from "../../shared/controls/policy.js";
import * as tls from "../../shared/controls/tls-enforced.js";
import type { Finding, RemediationPlan } from "../../shared/controls/types.js";
import { parseCloudTrail } from "../../shared/events/cloudtrail.js";
import { type EventSpecs, type Trigger, toTriggers } from "../../shared/events/triggers.js";
import { decide } from "../../shared/pipeline/decide.js";
import { processEvent } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { fixedClock } from "../../shared/runtime/clock.js";
import { testDeps } from "../support/deps.js";
import { captureLogs } from "../support/logs.js";

/** The rule ids of a revoke plan (the only plan kind the evaluator properties below produce). */
const ruleIdsOf = (plan: RemediationPlan | undefined) => (plan?.kind === "revoke-ingress" ? plan.ruleIds : undefined);

/**
 * Garbage in, nothing done: arbitrary JSON and recorded events with fields removed, retyped or enlarged must
 * never throw out of the parser or the pipeline, never lead to an action that the re-read state does not call for,
 * and always leave one log line naming the event (when it has an id) and the reason.
 */

const SAMPLES = join(import.meta.dirname, "../../events/samples");
const samples = readdirSync(SAMPLES)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => ({ file: f, event: JSON.parse(readFileSync(join(SAMPLES, f), "utf8")) as unknown }));
const ALL_KEYS = Object.keys(ALL_EVENTS);
const clock = fixedClock("2026-11-26T12:00:00Z");
const RUNS = Number(process.env.FC_RUNS ?? 300);

// ---- arbitraries -------------------------------------------------------------------------------------------

type Path = (string | number)[];

function paths(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

type Mutation =
  | { path: Path; kind: "delete" }
  | { path: Path; kind: "retype"; value: unknown }
  | { path: Path; kind: "enlarge" };

function enlarge(value: unknown): unknown {
  if (typeof value === "string") return value.repeat(Math.max(1, Math.ceil(20_000 / Math.max(1, value.length))));
  if (Array.isArray(value)) return Array.from({ length: 500 }, (_, i) => value[i % Math.max(1, value.length)] ?? i);
  if (value !== null && typeof value === "object") {
    const big: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (let i = 0; i < 500; i++) big[`extra${i}`] = { items: [i, String(i)] };
    return big;
  }
  if (typeof value === "number") return Number.MAX_SAFE_INTEGER;
  return "x".repeat(20_000);
}

function mutate(root: unknown, mutations: Mutation[]): unknown {
  let doc = structuredClone(root);
  for (const m of mutations) {
    if (m.path.length === 0) {
      doc = m.kind === "delete" ? undefined : m.kind === "retype" ? structuredClone(m.value) : enlarge(doc);
      continue;
    }
    let parent: any = doc;
    for (const key of m.path.slice(0, -1)) {
      if (parent === null || typeof parent !== "object") break;
      parent = parent[key];
    }
    if (parent === null || typeof parent !== "object") continue;
    const last = m.path.at(-1) as string | number;
    if (m.kind === "delete") {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else parent[last] = m.kind === "retype" ? structuredClone(m.value) : enlarge(parent[last]);
  }
  return doc;
}

const retypeValue = fc.oneof(
  fc.constant(null),
  fc.constant(""),
  fc.constant({}),
  fc.constant([]),
  fc.constant({ items: [] }),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A recorded sample with 1-6 random removals, type changes or enlargements anywhere in it. */
const mutatedSample = fc.constantFrom(...samples).chain(({ file, event }) => {
  const all = paths(event);
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ path: fc.constantFrom(...all), kind: fc.constant("delete" as const) }),
    fc.record({ path: fc.constantFrom(...all), kind: fc.constant("retype" as const), value: retypeValue }),
    fc.record({ path: fc.constantFrom(...all), kind: fc.constant("enlarge" as const) }),
  );
  return fc.array(mutation, { minLength: 1, maxLength: 6 }).map((ms) => ({ file, event: mutate(event, ms) }));
});

const anyInput = fc.oneof(
  fc.anything(),
  fc.jsonValue(),
  fc.record({ "detail-type": fc.constant("AWS API Call via CloudTrail"), detail: fc.jsonValue() }),
  fc.record({
    "detail-type": fc.constant("AWS API Call via CloudTrail"),
    detail: fc.record(
      {
        eventName: fc.constantFrom(...ALL_KEYS.map((k) => k.split(":")[1] as string), "X"),
        eventSource: fc.constantFrom("ec2.amazonaws.com", "elasticfilesystem.amazonaws.com", "kms.amazonaws.com", "x"),
        awsRegion: fc.constantFrom("us-east-1", ""),
        eventID: fc.string(),
        recipientAccountId: fc.string(),
        errorCode: fc.string(),
        requestParameters: fc.jsonValue(),
        responseElements: fc.jsonValue(),
        resources: fc.jsonValue(),
      },
      { requiredKeys: ["eventName", "eventSource"] },
    ),
  }),
);

const garbage = fc.oneof(
  { weight: 1, arbitrary: anyInput.map((event) => ({ file: "(arbitrary)", event })) },
  { weight: 3, arbitrary: mutatedSample },
);

// ---- parsers -----------------------------------------------------------------------------------------------

function validTrigger(t: Trigger): boolean {
  const { type: _, ...fields } = t;
  const ids = Object.entries(fields).filter(([k]) => k !== "securityGroups");
  const okIds = ids.length > 0 && ids.every(([, v]) => typeof v === "string" && v.length > 0);
  // The requested groups are only a hint, but a hint must still be well-formed group ids, never event garbage.
  const groups = "securityGroups" in t ? t.securityGroups : undefined;
  const okGroups =
    groups === undefined ||
    (groups.length > 0 && groups.every((g) => typeof g === "string" && /^sg-[0-9a-f]+$/.test(g)));
  return okIds && okGroups;
}

describe("parsers, on arbitrary JSON and damaged real samples", () => {
  it("parseCloudTrail never throws and always returns an event or a typed ignore", () => {
    fc.assert(
      fc.property(garbage, ({ event }) => {
        const parsed = parseCloudTrail(event);
        expect(["event", "ignored"]).toContain(parsed.kind);
        if (parsed.kind === "ignored") {
          expect(["malformed", "failed-call", "foreign-source", "unsupported-event"]).toContain(parsed.reason);
          expect(typeof parsed.detail).toBe("string");
        } else {
          expect(typeof parsed.event.eventId).toBe("string");
          expect(parsed.event.region.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it.each([
    ["all triggers", ALL_EVENTS],
    ["nfs-ingress", NFS_INGRESS_EVENTS],
    ["file-system", FILE_SYSTEM_EVENTS],
    ["kms-key", KMS_KEY_EVENTS],
  ])("toTriggers (%s) never throws; a trigger always names a resource by a non-empty string", (_, handled) => {
    fc.assert(
      fc.property(garbage, ({ event }) => {
        const result = toTriggers(event, handled);
        if (result.kind === "triggers") {
          expect(result.triggers.length).toBeGreaterThan(0);
          for (const t of result.triggers) expect(validTrigger(t), JSON.stringify(t)).toBe(true);
          expect(Object.keys(handled)).toContain(`${result.event.eventSource}:${result.event.eventName}`);
        } else {
          expect(result.kind).toBe("ignored");
        }
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("a failed call is never a trigger, whatever else the record holds", () => {
    fc.assert(
      fc.property(mutatedSample, fc.string({ minLength: 1 }), ({ event }, code) => {
        const e = event as any;
        if (e === null || typeof e !== "object" || e.detail === null || typeof e.detail !== "object") return;
        e.detail.errorCode = code;
        expect(toTriggers(e, ALL_EVENTS).kind).toBe("ignored");
      }),
      { numRuns: RUNS },
    );
  });
});

// ---- the pipeline: processEvent ------------------------------------------------------------------------------

const WORLD_RULE: IngressRule = {
  ruleId: "sgr-world",
  protocol: "tcp",
  fromPort: 2049,
  toPort: 2049,
  cidrIpv4: "0.0.0.0/0",
};
const INSIDE_RULE: IngressRule = {
  ruleId: "sgr-inside",
  protocol: "tcp",
  fromPort: 2049,
  toPort: 2049,
  cidrIpv4: "10.0.0.0/16",
};

/** What a guard re-reads, compliant or not: a fixed account state run through the real evaluators. */
type World = (region: string, config: GuardConfig, compliant: boolean) => Finding[];

const nfsWorld: World = (region, config, compliant) => [
  evaluate(
    {
      groupId: "sg-state",
      region,
      vpcId: "vpc-1",
      vpcCidrs: ["10.0.0.0/16"],
      mountTargets: [{ mountTargetId: "fsmt-1", fileSystemId: "fs-1" }],
      rules: compliant ? [INSIDE_RULE] : [WORLD_RULE, INSIDE_RULE],
    },
    config,
    clock,
  ),
];

const FS_ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-state";
/** A policy with one statement the guard must keep, with or without the TLS deny. */
const keptStatement = {
  Sid: "AppAccess",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::123456789012:role/app" },
  Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
  Resource: FS_ARN,
};
const fileSystemWorld: World = (region, config, compliant) => {
  const fileSystem = { fileSystemId: "fs-state", region, arn: FS_ARN, lifeCycleState: "available", encrypted: true };
  const statements = compliant ? [keptStatement, tlsDenyStatement(FS_ARN)] : [keptStatement];
  const policy = JSON.stringify({ Version: "2012-10-17", Statement: statements });
  return [
    tls.evaluate({ fileSystem, policy }, config, clock),
    backup.evaluate({ fileSystem, status: compliant ? "ENABLED" : "DISABLED" }, config, clock),
  ];
};

const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
const keyWorld: World = (region, config, compliant) => [
  rotation.evaluate(
    {
      keyId: KEY_ID,
      arn: `arn:aws:kms:us-east-1:123456789012:key/${KEY_ID}`,
      region,
      keyManager: "CUSTOMER",
      keyState: "Enabled",
      fileSystems: ["fs-state"],
      rotation: compliant ? { enabled: true, periodInDays: 365 } : { enabled: false },
    },
    config,
    clock,
  ),
];

/**
 * A guard over a fixed account state: whatever the event says, the state it re-reads is this one. Parameterised
 * by the events it handles and the state it re-reads, so the same properties hold for every guard.
 */
function stateGuard(events: EventSpecs, world: World, compliant: boolean) {
  const remediated: RemediationPlan[] = [];
  const assessed: Trigger[] = [];
  const regions: string[] = [];
  const guard: Guard = {
    name: "property-guard",
    events,
    async assess(trigger, region, config) {
      assessed.push(trigger);
      regions.push(region);
      return world(region, config, compliant);
    },
    async inventory() {
      return [];
    },
    async remediate(plan) {
      remediated.push(plan);
      return { status: "done" };
    },
  };
  return { guard, remediated, assessed, regions };
}

const GUARD_EVENT_SETS: [string, EventSpecs, World][] = [
  ["nfs-ingress", NFS_INGRESS_EVENTS, nfsWorld],
  ["file-system", FILE_SYSTEM_EVENTS, fileSystemWorld],
  ["kms-key", KMS_KEY_EVENTS, keyWorld],
  ["all triggers, NFS state", ALL_EVENTS, nfsWorld],
  ["all triggers, file-system state", ALL_EVENTS, fileSystemWorld],
];

/**
 * The plans the non-compliant state calls for: the only ones a guard may ever execute. The region is the one the
 * guard re-read in (it comes from the event, and a plan's instructions may name it); nothing else from the event.
 */
const statePlans = (world: World, region = "us-east-1") =>
  world(region, parseConfig({}), false).flatMap((f) => (f.plan ? [f.plan] : []));

describe("processEvent on garbage", () => {
  const logs = captureLogs();
  beforeEach(() => logs.clear());
  afterAll(() => logs.restore());
  beforeAll(() => {
    process.env.POWERTOOLS_LOG_LEVEL = "INFO";
  });

  it.each(GUARD_EVENT_SETS)(
    "(%s) never throws, and with a compliant state never acts and never alerts",
    async (_, events, world) => {
      await fc.assert(
        fc.asyncProperty(garbage, async ({ event }) => {
          const { guard, remediated } = stateGuard(events, world, true);
          const deps = testDeps();
          const report = await processEvent(event, guard, deps);
          expect(["ignored", "evaluated"]).toContain(report.outcome);
          expect(remediated).toEqual([]);
          expect(deps.notifier.published).toEqual([]);
          for (const f of report.findings) expect(f.action).toBe("none");
        }),
        { numRuns: RUNS },
      );
    },
  );

  it.each(GUARD_EVENT_SETS)(
    "(%s) with a non-compliant state, the plan is the state's, never something taken from the event",
    async (_, events, world) => {
      const expected = statePlans(world);
      expect(expected.length, "the non-compliant state calls for a plan").toBeGreaterThan(0);
      await fc.assert(
        fc.asyncProperty(garbage, async ({ event }) => {
          const { guard, remediated, assessed, regions } = stateGuard(events, world, false);
          const report = await processEvent(event, guard, testDeps());
          if (report.outcome === "ignored") {
            expect(remediated).toEqual([]);
            expect(assessed).toEqual([]);
          } else {
            const allowed = [...new Set(regions)].flatMap((region) => statePlans(world, region));
            for (const plan of remediated) expect(allowed).toContainEqual(plan);
          }
        }),
        { numRuns: RUNS },
      );
    },
  );

  it.each(GUARD_EVENT_SETS)(
    "(%s) the undamaged samples do lead to the state's plans (the properties above are not vacuous)",
    async (_, events, world) => {
      const expected = statePlans(world);
      const acting = samples.filter((s) => toTriggers(s.event, events).kind === "triggers");
      expect(acting.length).toBeGreaterThan(0);
      for (const { file, event } of acting) {
        const { guard, remediated } = stateGuard(events, world, false);
        await processEvent(event, guard, testDeps());
        expect(remediated.length, file).toBeGreaterThan(0);
        for (const plan of remediated) expect(expected, file).toContainEqual(plan);
      }
    },
  );

  it("always leaves a log line that names the event id (when there is one) and the reason, and no other id", async () => {
    const { guard } = stateGuard(NFS_INGRESS_EVENTS, nfsWorld, true);
    // A guard that finds nothing behind the trigger (the resource is gone, or the control is off).
    const empty: Guard = { ...guard, assess: async () => [] };
    // Alternate with a good event so a leaked id from the previous event would show.
    const good = samples.find((s) => s.file === "ec2-authorize-security-group-ingress.json")!.event;
    await fc.assert(
      fc.asyncProperty(garbage, fc.boolean(), async ({ event }, nothingBehind) => {
        await processEvent(good, guard, testDeps());
        logs.clear();
        const report = await processEvent(event, nothingBehind ? empty : guard, testDeps());
        expect(logs.lines.length, "at least one log line").toBeGreaterThan(0);
        const named = report.eventId
          ? logs.lines.filter((l) => l.eventId === report.eventId)
          : logs.lines.filter((l) => l.eventId === undefined);
        expect(named.length, JSON.stringify(logs.lines).slice(0, 500)).toBeGreaterThan(0);
        for (const line of logs.lines) expect(line.eventId).toBe(report.eventId);
        const reasons = logs.lines.map((l) =>
          report.outcome === "ignored" ? l.reason : (l.reason ?? l.outcome ?? l.detail),
        );
        expect(reasons.some((r) => typeof r === "string" && r.length > 0)).toBe(true);
        if (report.outcome === "ignored") expect(logs.lines[0]?.reason).toBe(report.reason);
        const detailId = (event as any)?.detail?.eventID;
        if (typeof detailId === "string" && detailId.length > 0) expect(report.eventId).toBe(detailId);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---- evaluator and decide ------------------------------------------------------------------------------------

const port = fc.oneof(fc.integer({ min: -1, max: 65535 }), fc.constant(undefined), fc.constant(Number.NaN));
const cidr = fc.oneof(
  fc.constantFrom("0.0.0.0/0", "::/0", "10.0.0.0/16", "10.0.5.0/24", "0.0.0.0/16", "192.168.0.0/16", "2001:db8::/32"),
  fc
    .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(40))
    .map(([a, b, c, d, m]) => `${a}.${b}.${c}.${d}/${m}`),
  fc.string(),
);
const rule: fc.Arbitrary<IngressRule> = fc.record(
  {
    ruleId: fc.string({ minLength: 1, maxLength: 12 }).map((s) => `sgr-${s}`),
    protocol: fc.constantFrom("tcp", "udp", "icmp", "-1", "6", "17", "TCP", "all", ""),
    fromPort: port,
    toPort: port,
    cidrIpv4: cidr,
    cidrIpv6: cidr,
    prefixListId: fc.constantFrom("pl-0123456789abcdef0", "pl-1", ""),
    referencedGroupId: fc.constantFrom("sg-1", "sg-2"),
  },
  { requiredKeys: ["ruleId", "protocol"] },
);
const otherInterface = fc.record({
  networkInterfaceId: fc.constantFrom("eni-web", "eni-lambda"),
  interfaceType: fc.constantFrom("interface", "lambda"),
});
const state: fc.Arbitrary<SecurityGroupState> = fc.record(
  {
    groupId: fc.constant("sg-1"),
    region: fc.constant("us-east-1"),
    vpcId: fc.constant("vpc-1"),
    vpcCidrs: fc.array(cidr, { maxLength: 3 }),
    mountTargets: fc.array(
      fc.record({
        mountTargetId: fc.constant("fsmt-1"),
        fileSystemId: fc.constantFrom("fs-1", "fs-2"),
        confirmedByEfs: fc.boolean(),
      }),
      { maxLength: 3 },
    ),
    otherInterfaces: fc.array(otherInterface, { maxLength: 2 }),
    rules: fc.uniqueArray(rule, { selector: (r) => r.ruleId, maxLength: 80 }),
  },
  { requiredKeys: ["groupId", "region", "vpcId", "vpcCidrs", "mountTargets", "rules"] },
);
const config = fc
  .record({
    modes: fc.record({ "efs-nfs-ingress-restricted": fc.constantFrom(...MODES) }),
    dryRun: fc.boolean(),
    allowedNfsSources: fc.oneof(
      fc.constant("vpc" as const),
      fc.array(fc.constantFrom("10.0.0.0/8", "2001:db8::/32", "pl-0123456789abcdef0"), { minLength: 1 }),
    ),
  })
  .map((c) => parseConfig(c));

describe("efs-nfs-ingress-restricted evaluator on arbitrary rule sets", () => {
  it("never throws; revokes only rules that let TCP 2049 in from an address range, never a referenced group", () => {
    fc.assert(
      fc.property(state, config, (s, cfg) => {
        const finding = evaluate(s, cfg, clock);
        if (s.mountTargets.length === 0) expect(finding.verdict).toBe("not-applicable");
        if (finding.verdict !== "non-compliant") {
          expect(finding.plan).toBeUndefined();
          return;
        }
        const byId = new Map(s.rules.map((r) => [r.ruleId, r]));
        const offending = finding.evidence.offendingRules as (IngressRule & { action: string })[];
        expect(offending.length).toBeGreaterThan(0);
        // Every offending rule is dealt with: revoked (whole or replaced) by the plan, or left and reported.
        for (const o of offending) {
          expect(ruleIdsOf(finding.plan)?.includes(o.ruleId) ?? false).toBe(o.action !== "leave");
        }
        for (const id of ruleIdsOf(finding.plan) ?? []) {
          const r = byId.get(id);
          expect(r, id).toBeDefined();
          expect(coversNfs(r!)).toBe(true);
          expect(r!.cidrIpv4 ?? r!.cidrIpv6 ?? r!.prefixListId).toBeDefined();
        }
        // Any rule that does not cover NFS stays.
        for (const r of s.rules) if (!coversNfs(r)) expect(ruleIdsOf(finding.plan) ?? []).not.toContain(r.ruleId);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("never takes away more than TCP 2049: a broader rule is revoked whole only behind mount targets alone", () => {
    fc.assert(
      fc.property(state, config, (s, cfg) => {
        const finding = evaluate(s, cfg, clock);
        if (finding.verdict !== "non-compliant") return;
        const offending = finding.evidence.offendingRules as (IngressRule & { action: string })[];
        const plan = finding.plan?.kind === "revoke-ingress" ? finding.plan : undefined;
        const add = plan?.add ?? [];
        const wholeAllowed = servesOnlyMountTargets(s);
        for (const o of offending) {
          if (wholeAllowed || isNfsOnly(o)) {
            expect(o.action).toBe("revoke");
            continue;
          }
          // Behind anything else: TCP is replaced, all traffic is left.
          expect(o.action).toBe(isTcp(o.protocol) ? "replace" : "leave");
          if (o.action !== "replace") continue;
          // The replacements are exactly the rule's ports without 2049, with its source and description.
          const parts = add.filter((a) => a.replaces === o.ruleId);
          const covered = new Set<number>();
          for (const a of parts) {
            expect(a.fromPort <= NFS_PORT && NFS_PORT <= a.toPort).toBe(false);
            expect([a.cidrIpv4, a.cidrIpv6, a.prefixListId, a.description]).toEqual([
              o.cidrIpv4,
              o.cidrIpv6,
              o.prefixListId,
              o.description,
            ]);
            for (const p of [a.fromPort, a.toPort]) covered.add(p);
          }
          const from = o.fromPort === undefined || o.fromPort === -1 ? 0 : o.fromPort;
          const to = o.toPort === undefined || o.toPort === -1 ? 65535 : o.toPort;
          const expected = [
            from < NFS_PORT ? [from, Math.min(to, NFS_PORT - 1)] : [],
            to > NFS_PORT ? [Math.max(from, NFS_PORT + 1), to] : [],
          ].flat();
          expect([...covered].sort((a, b) => a - b)).toEqual([...new Set(expected)].sort((a, b) => a - b));
        }
        if (wholeAllowed) expect(add).toEqual([]);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("is deterministic and does not depend on rule order", () => {
    fc.assert(
      fc.property(state, config, (s, cfg) => {
        const a = evaluate(s, cfg, clock);
        const b = evaluate({ ...s, rules: [...s.rules].reverse() }, cfg, clock);
        expect(b.verdict).toBe(a.verdict);
        expect([...(ruleIdsOf(b.plan) ?? [])].sort()).toEqual([...(ruleIdsOf(a.plan) ?? [])].sort());
      }),
      { numRuns: RUNS },
    );
  });
});

const finding: fc.Arbitrary<Finding> = fc.record({
  control: fc.constantFrom(...CONTROL_IDS),
  resource: fc.constant({ type: "security-group" as const, id: "sg-1", region: "us-east-1" }),
  verdict: fc.constantFrom("compliant" as const, "non-compliant" as const, "not-applicable" as const),
  severity: fc.constantFrom("critical" as const, "high" as const, "info" as const),
  summary: fc.string(),
  evidence: fc.constant({}),
  tags: fc.option(
    fc.dictionary(
      fc.constantFrom("efs-guard:exempt", "efs-guard:exempt-until", "Name"),
      fc.oneof(
        fc.string(),
        fc.constantFrom("all", "efs-nfs-ingress-restricted", "2026-11-25", "2027-01-01", "garbage"),
      ),
    ),
    { nil: undefined },
  ),
  plan: fc.option(
    fc.constant({
      kind: "revoke-ingress" as const,
      groupId: "sg-1",
      ruleIds: ["sgr-1"],
      rules: ["sgr-1"],
      describe: "revoke",
      done: "revoked",
    }),
    { nil: undefined },
  ),
}) as fc.Arbitrary<Finding>;
const anyConfig = fc
  .record({
    // Every mode a control can take: an alert-only control's remediate is refused by the schema itself, and a control
    // no function evaluates yet is off.
    modes: fc.record(
      Object.fromEntries(
        CONTROL_IDS.map((c) => [
          c,
          NOT_YET_EVALUATED.has(c)
            ? fc.constant("off")
            : fc.constantFrom(...MODES.filter((m) => REMEDIABLE[c] || m !== "remediate")),
        ]),
      ),
    ),
    dryRun: fc.boolean(),
  })
  .map((c) => parseConfig(c));

describe("decide on arbitrary findings, configurations and tags", () => {
  it("remediates only a non-compliant finding with a plan, in remediate mode, not dry run, not exempt", () => {
    fc.assert(
      fc.property(finding, anyConfig, (f, cfg) => {
        const d = decide(f, cfg, clock);
        if (d.intent === "remediate") {
          expect(f.verdict).toBe("non-compliant");
          expect(f.plan).toBeDefined();
          expect(cfg.modes[f.control]).toBe("remediate");
          expect(cfg.dryRun).toBe(false);
          expect(d.exemption.status).not.toBe("active");
        }
        if (f.verdict !== "non-compliant" || cfg.modes[f.control] === "off") expect(d.intent).toBe("none");
        expect(typeof d.why).toBe("string");
      }),
      { numRuns: RUNS * 3 },
    );
  });
});
