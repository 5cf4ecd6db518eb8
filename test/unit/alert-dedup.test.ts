import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/schema.js";
import type { Finding } from "../../shared/controls/types.js";
import type { CloudTrailEvent } from "../../shared/events/cloudtrail.js";
import {
  type DedupStore,
  type OpenRequest,
  type RouterDeps,
  reminderDelay,
  routeAlert,
  routeReminder,
  type WindowItem,
  windowOf,
} from "../../shared/notify/alert-router.js";
import { alertFacts, dedupKey } from "../../shared/notify/dedup.js";
import { type AlertEnvelope, parseInboxMessage, type WindowCloseNote } from "../../shared/notify/envelope.js";
import { buildMessage, type ChatbotMessage } from "../../shared/notify/message.js";
import type { AlertAttributes } from "../../shared/notify/publish.js";
import type { Origin, Result } from "../../shared/pipeline/types.js";
import type { Clock } from "../../shared/runtime/clock.js";

const GROUP = "sg-0a1b2c3d4e5f60718";

function finding(ruleId: string, cidr = "0.0.0.0/0"): Finding {
  const rule = `${ruleId}: TCP port 2049 from ${cidr}`;
  return {
    control: "efs-nfs-ingress-restricted",
    resource: {
      type: "security-group",
      id: GROUP,
      arn: `arn:aws:ec2:us-east-1:123456789012:security-group/${GROUP}`,
      region: "us-east-1",
      account: "123456789012",
    },
    verdict: "non-compliant",
    severity: "critical",
    summary: `${GROUP} lets NFS (TCP 2049) in from the internet on the mount targets of fs-0123456789abcdef0`,
    evidence: {},
    plan: {
      kind: "revoke-ingress",
      groupId: GROUP,
      ruleIds: [ruleId],
      rules: [rule],
      describe: `revoke 1 rule(s) on ${GROUP}: ${rule}`,
      done: `revoked 1 rule(s) on ${GROUP}: ${rule}`,
    },
  };
}

function result(ruleId: string, cidr?: string, outcome: Result["outcome"] = "remediated"): Result {
  const f = finding(ruleId, cidr);
  return {
    finding: f,
    decision: { mode: "remediate", why: "control is in remediate mode" } as unknown as Result["decision"],
    action: "remediated",
    outcome,
    detail: f.plan?.done ?? "",
  };
}

function origin(eventId: string, actor: Partial<CloudTrailEvent["actor"]> = {}): Origin {
  return {
    kind: "event",
    event: {
      eventId,
      eventName: "AuthorizeSecurityGroupIngress",
      eventSource: "ec2.amazonaws.com",
      eventTime: `2026-12-01T12:0${eventId.length % 10}:00Z`,
      region: "us-east-1",
      account: "123456789012",
      actor: {
        arn: "arn:aws:sts::123456789012:assumed-role/Admin/alice",
        sessionIssuerArn: "arn:aws:iam::123456789012:role/Admin",
        sourceIPAddress: "203.0.113.10",
        userAgent: "aws-cli/2.17.0",
        ...actor,
      },
      requestParameters: {},
      responseElements: {},
      resources: [],
    },
  };
}

const key = (r: Result, o: Origin) => dedupKey(alertFacts(r, o));

describe("the dedup key: identical facts, not the same resource", () => {
  it("the same rule opened again (new rule id, new event id and time) is the same alert", () => {
    expect(key(result("sgr-0f1e2d3c4b5a69788"), origin("e1"))).toBe(
      key(result("sgr-0aaaaaaaaaaaaaaaa"), origin("event-two")),
    );
  });

  it.each([
    ["another source", () => key(result("sgr-0f1e2d3c4b5a69788", "::/0"), origin("e1"))],
    ["another outcome", () => key(result("sgr-0f1e2d3c4b5a69788", undefined, "remediation-failed"), origin("e1"))],
    ["another principal", () => key(result("sgr-0f1e2d3c4b5a69788"), origin("e1", { sessionIssuerArn: "x" }))],
    ["another session", () => key(result("sgr-0f1e2d3c4b5a69788"), origin("e1", { arn: "arn:aws:sts::1:x/y" }))],
    ["another address", () => key(result("sgr-0f1e2d3c4b5a69788"), origin("e1", { sourceIPAddress: "198.51.100.1" }))],
    ["the sweep", () => key(result("sgr-0f1e2d3c4b5a69788"), { kind: "sweep", region: "us-east-1" })],
  ])("%s is another alert", (_, other) => {
    expect(other()).not.toBe(key(result("sgr-0f1e2d3c4b5a69788"), origin("e1")));
  });

  it("another account or region of the same resource id is another alert", () => {
    const r = result("sgr-0f1e2d3c4b5a69788");
    const base = alertFacts(r, origin("e1"));
    expect(dedupKey({ ...base, account: "210987654321" })).not.toBe(dedupKey(base));
    expect(dedupKey({ ...base, region: "eu-west-1" })).not.toBe(dedupKey(base));
  });
});

/**
 * An in-memory table with the conditions of shared/aws/alert-dedup.ts (the integration test runs the real one on
 * DynamoDB); `fail` makes every call throw, as a table that is gone or throttled to the end.
 */
function memoryStore(): DedupStore & { items: Map<string, WindowItem & { lastId: string }>; fail: boolean } {
  const items = new Map<string, WindowItem & { lastId: string }>();
  const store = {
    items,
    fail: false,
    check() {
      if (store.fail) throw new Error("ResourceNotFoundException: table gone");
    },
    fresh(r: OpenRequest, prev?: WindowItem) {
      return {
        windowStart: r.now,
        windowEnd: r.windowEnd,
        merged: 0,
        delivered: false,
        prevStart: prev?.windowStart ?? 0,
        prevEnd: prev?.windowEnd ?? 0,
        prevMerged: prev?.merged ?? 0,
        prevReportedStart: prev?.reportedStart ?? 0,
        first: r.first,
        lastId: r.first.id,
      };
    },
    async openWindow(k: string, r: OpenRequest) {
      store.check();
      const item = items.get(k);
      if (item && !(item.windowEnd <= r.now && item.delivered)) return undefined;
      const next = store.fresh(r, item);
      items.set(k, next);
      return { ...next };
    },
    async reopenUndelivered(k: string, r: OpenRequest) {
      store.check();
      const item = items.get(k);
      if (!item || item.delivered) return undefined;
      const next = { ...store.fresh(r), prevStart: item.prevStart, prevEnd: item.prevEnd, prevMerged: item.prevMerged };
      next.prevReportedStart = item.prevReportedStart;
      items.set(k, next);
      return { ...next };
    },
    async countDuplicate(k: string, now: number, id: string) {
      store.check();
      const item = items.get(k);
      if (!item || !(item.windowEnd > now && item.delivered && item.lastId !== id)) return undefined;
      item.merged += 1;
      item.lastId = id;
      return { ...item };
    },
    async markDelivered(k: string, windowStart: number) {
      store.check();
      const item = items.get(k);
      if (item && item.windowStart === windowStart) {
        item.delivered = true;
        item.prevReportedStart = item.prevStart;
      }
    },
    async claimReport(k: string, windowStart: number) {
      store.check();
      const item = items.get(k);
      if (!item || item.windowStart !== windowStart || item.merged <= 0 || item.reportedStart === windowStart)
        return undefined;
      item.reportedStart = windowStart;
      return { ...item };
    },
    async releaseReport(k: string, windowStart: number) {
      store.check();
      const item = items.get(k);
      if (item && item.windowStart === windowStart && item.reportedStart === windowStart) delete item.reportedStart;
    },
  };
  return store;
}

function harness(windowMinutes = 60) {
  let now = Date.parse("2026-12-01T12:00:00Z");
  const clock: Clock = { now: () => new Date(now) };
  const store = memoryStore();
  const published: { message: ChatbotMessage; attributes: AlertAttributes }[] = [];
  const reminders: { note: WindowCloseNote; delay: number }[] = [];
  let publishFails = 0;
  const deps: RouterDeps = {
    store,
    clock,
    windowMinutes,
    async publish(message, attributes) {
      if (publishFails > 0) {
        publishFails -= 1;
        throw new Error("sns:Publish failed: InternalError");
      }
      published.push({ message, attributes });
    },
    async remind(note, delay) {
      reminders.push({ note, delay });
    },
  };
  return {
    deps,
    store,
    published,
    reminders,
    advance: (ms: number) => {
      now += ms;
    },
    failPublish: (n: number) => {
      publishFails = n;
    },
  };
}

let ids = 0;
function envelope(r: Result, o: Origin): AlertEnvelope {
  ids += 1;
  return {
    efsGuardAlert: 1,
    id: `hand-over-${ids}`,
    key: key(r, o),
    message: buildMessage(r, o),
    attributes: { control: r.finding.control, severity: r.finding.severity, outcome: r.outcome },
  };
}

const flood = (n: number) =>
  Array.from({ length: n }, (_, i) => envelope(result(`sgr-0${String(i).padStart(16, "0")}`), origin(`event-${i}`)));

describe("routeAlert and routeReminder: the window, with the clock injected", () => {
  it("a flood of 20 gives one alert now, one reminder, and the count once the window has ended", async () => {
    const h = harness();
    const routed = [];
    for (const alert of flood(20)) {
      routed.push(await routeAlert(alert, h.deps));
      h.advance(1000);
    }
    expect(routed).toEqual(["delivered", ...Array(19).fill("merged")]);
    expect(h.published).toHaveLength(1);
    // Scheduled on the first duplicate, 59 min 59 s before the window ends: SQS's 15 minutes at most.
    expect(h.reminders.map((r) => r.delay)).toEqual([900]);

    const note = h.reminders[0]!.note;
    h.advance(14 * 60_000);
    expect(await routeReminder(note, h.deps)).toBe("reminder-rescheduled");
    expect(h.reminders.at(-1)?.delay).toBe(900);
    h.advance(40 * 60_000);
    expect(await routeReminder(note, h.deps)).toBe("reminder-rescheduled");
    expect(h.reminders.at(-1)?.delay).toBe(60 * 60 - 20 - 54 * 60);
    h.advance(60 * 60_000);
    expect(await routeReminder(note, h.deps)).toBe("count-reported");
    expect(await routeReminder(note, h.deps)).toBe("count-already-reported");
    expect(h.published).toHaveLength(2);
    const count = h.published[1]!;
    expect(count.message.content.title).toMatch(/^:repeat: 19 identical alert\(s\) merged since 12:00 UTC: /);
    expect(count.attributes).toEqual(h.published[0]!.attributes);
    expect(count.message.metadata.additionalContext.firstAlertId).toBe(`hand-over-${ids - 19}`);

    // The next one after the window is delivered without the count already reported.
    expect(await routeAlert(flood(1)[0]!, h.deps)).toBe("delivered");
    expect(h.published[2]!.message.content.description).not.toContain("merged");
  });

  it("without a reminder, the next identical alert after the window carries the count", async () => {
    const h = harness();
    for (const alert of flood(4)) await routeAlert(alert, h.deps);
    h.advance(60 * 60_000);
    await routeAlert(flood(1)[0]!, h.deps);
    expect(h.published).toHaveLength(2);
    expect(h.published[1]!.message.content.description).toMatch(
      /^_3 identical alert\(s\) merged between 12:00 and 13:00 UTC/,
    );
    // A reminder that comes after that reports nothing: the window it names is gone.
    expect(await routeReminder(h.reminders[0]!.note, h.deps)).toBe("count-already-reported");
  });

  it("the window is exactly alertDedupWindowMinutes: a minute before its end merged, at its end delivered", async () => {
    const h = harness(30);
    const [a, b, c] = flood(3);
    await routeAlert(a!, h.deps);
    h.advance(29 * 60_000);
    expect(await routeAlert(b!, h.deps)).toBe("merged");
    h.advance(60_000);
    expect(await routeAlert(c!, h.deps)).toBe("delivered");
    expect(windowOf(0, 30)).toEqual({ windowEnd: 30 * 60_000, expiresAt: 30 * 60 + 24 * 3600 });
    expect(reminderDelay(0, 1500)).toBe(2);
  });

  it("0 minutes, or an alert without a key (the sweep summary), is always delivered and never touches the table", async () => {
    const off = harness(0);
    for (const alert of flood(3)) expect(await routeAlert(alert, off.deps)).toBe("delivered-without-dedup");
    expect(off.published).toHaveLength(3);
    expect(off.store.items.size).toBe(0);
    const on = harness();
    const { key: _, ...summary } = flood(1)[0]!;
    expect(await routeAlert(summary, on.deps)).toBe("delivered-without-dedup");
    expect(await routeAlert(summary, on.deps)).toBe("delivered-without-dedup");
    expect(on.published).toHaveLength(2);
  });

  it("the table failing delivers every alert (never lost)", async () => {
    const h = harness();
    h.store.fail = true;
    for (const alert of flood(3)) expect(await routeAlert(alert, h.deps)).toBe("delivered-table-failed");
    expect(h.published).toHaveLength(3);
  });

  it("a redelivery of the same hand-over is recognized; a first alert whose publish failed is delivered on its retry", async () => {
    const h = harness();
    const [first, second] = flood(2);
    h.failPublish(1);
    await expect(routeAlert(first!, h.deps)).rejects.toThrow(/InternalError/);
    // A duplicate arriving before the retry is delivered: nothing was delivered yet.
    expect(await routeAlert(second!, h.deps)).toBe("delivered");
    expect(await routeAlert(second!, h.deps)).toBe("redelivery");
    expect(await routeAlert(first!, h.deps)).toBe("merged");
    expect(await routeAlert(first!, h.deps)).toBe("redelivery");
    expect(h.published).toHaveLength(1);
    expect(h.store.items.values().next().value?.merged).toBe(1);
  });

  it("a count whose publish fails is reported on the reminder's retry", async () => {
    const h = harness();
    for (const alert of flood(2)) await routeAlert(alert, h.deps);
    h.advance(61 * 60_000);
    h.failPublish(1);
    const note = h.reminders[0]!.note;
    await expect(routeReminder(note, h.deps)).rejects.toThrow();
    expect(await routeReminder(note, h.deps)).toBe("count-reported");
    expect(h.published.map((p) => p.message.metadata.eventType)).toEqual([
      "AuthorizeSecurityGroupIngress",
      "MergedAlerts",
    ]);
  });
});

describe("parseInboxMessage", () => {
  it("takes alerts and reminders, drops anything else", () => {
    const alert = flood(1)[0]!;
    expect(parseInboxMessage(JSON.stringify(alert))).toEqual({ kind: "alert", alert });
    const close = { efsGuardWindowClose: 1, key: "k", windowStart: 1, windowEnd: 2 };
    expect(parseInboxMessage(JSON.stringify(close))).toEqual({ kind: "close", close });
    for (const bad of ["", "null", "[]", "{}", JSON.stringify({ ...alert, message: { version: "1.0" } })]) {
      expect(parseInboxMessage(bad)).toBeUndefined();
    }
    expect(parseInboxMessage(JSON.stringify({ ...alert, attributes: { control: 1 } }))).toBeUndefined();
    expect(parseInboxMessage(JSON.stringify({ ...close, windowEnd: "2" }))).toBeUndefined();
  });
});

describe("alertDedupWindowMinutes", () => {
  it("defaults to 60; 0 turns deduplication off; whole minutes up to a day", () => {
    expect(parseConfig({}).alertDedupWindowMinutes).toBe(60);
    expect(parseConfig({ alertDedupWindowMinutes: 0 }).alertDedupWindowMinutes).toBe(0);
    for (const bad of [-1, 1.5, 1441, "60"]) {
      expect(() => parseConfig({ alertDedupWindowMinutes: bad })).toThrow(/alertDedupWindowMinutes/);
    }
  });
});
