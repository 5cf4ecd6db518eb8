import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Context } from "aws-lambda";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { NFS_INGRESS_EVENTS } from "../../events/patterns.js";
import { parseCloudTrail } from "../../shared/events/cloudtrail.js";
import { triggerResourceId } from "../../shared/events/triggers.js";
import { accountOfFunctionArn, guardEventHandler } from "../../shared/pipeline/handler.js";
import { processEvent } from "../../shared/pipeline/run.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { testDeps } from "../support/deps.js";
import { captureLogs } from "../support/logs.js";

/**
 * A function acts in its own account only: its clients carry its own role's credentials, so an event of another
 * account (an organization member's, on the hub's bus) would make it read and write resources of its own account
 * that the event never named. Until it acts in members through their role, such an event is ignored, once, with
 * the reason; the account comes from EventBridge's envelope, which the sender cannot choose.
 */
const SAMPLE = join(import.meta.dirname, "../../events/samples/ec2-authorize-security-group-ingress.json");
const OWN = "123456789012";
const MEMBER = "210987654321";

function event(account: string, recipient = account) {
  const e = JSON.parse(readFileSync(SAMPLE, "utf8"));
  e.account = account;
  e.detail.recipientAccountId = recipient;
  return e;
}

function countingGuard() {
  const calls: string[] = [];
  const guard: Guard = {
    name: "counting-guard",
    events: NFS_INGRESS_EVENTS,
    async assess(trigger) {
      calls.push(`assess ${triggerResourceId(trigger)}`);
      return [];
    },
    async inventory() {
      return [];
    },
    async remediate() {
      calls.push("remediate");
      return { status: "done" };
    },
  };
  return { guard, calls };
}

describe("events of another account", () => {
  const logs = captureLogs();
  beforeEach(() => logs.clear());
  afterAll(() => logs.restore());

  it("are ignored with one log line and no read", async () => {
    const { guard, calls } = countingGuard();
    const deps = { ...testDeps(), account: OWN };
    const report = await processEvent(event(MEMBER), guard, deps);
    expect(report).toMatchObject({
      outcome: "ignored",
      reason: "foreign-account",
      detail: `the event is from account ${MEMBER}; this function acts in ${OWN} only`,
      eventName: "AuthorizeSecurityGroupIngress",
    });
    expect(calls).toEqual([]);
    expect(deps.notifier.published).toEqual([]);
    const lines = logs.lines.filter((l) => l.message === "event ignored");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reason: "foreign-account", guard: "counting-guard" });
  });

  it("the envelope's account decides, not the record's recipientAccountId (the sender's text)", async () => {
    const { guard, calls } = countingGuard();
    // A member's event whose detail claims the hub's account: still the member's.
    const forged = await processEvent(event(MEMBER, OWN), guard, { ...testDeps(), account: OWN });
    expect(forged).toMatchObject({ outcome: "ignored", reason: "foreign-account" });
    expect(calls).toEqual([]);
    expect(parseCloudTrail(event(MEMBER, OWN))).toMatchObject({ kind: "event", event: { account: MEMBER } });
    // A record from a trail file has no envelope: its recipientAccountId is all there is.
    const record = event(MEMBER).detail;
    expect(parseCloudTrail(record)).toMatchObject({ kind: "event", event: { account: MEMBER } });
  });

  it("the function's own account's events are assessed", async () => {
    const { guard, calls } = countingGuard();
    const report = await processEvent(event(OWN), guard, { ...testDeps(), account: OWN });
    expect(report.outcome).toBe("evaluated");
    expect(calls).toEqual(["assess sg-0123456789abcdef0"]);
  });

  it("the deployed handler takes its account from its own ARN", async () => {
    expect(accountOfFunctionArn(`arn:aws:lambda:eu-west-1:${OWN}:function:EfsGuard-NfsIngress`)).toBe(OWN);
    expect(accountOfFunctionArn(`arn:aws-cn:lambda:cn-north-1:${OWN}:function:f:live`)).toBe(OWN);
    expect(accountOfFunctionArn("not-an-arn")).toBeUndefined();
    const { guard, calls } = countingGuard();
    const handler = guardEventHandler(guard, testDeps());
    const context = {
      invokedFunctionArn: `arn:aws:lambda:us-east-1:${OWN}:function:EfsGuard-NfsIngress`,
      functionName: "EfsGuard-NfsIngress",
      awsRequestId: "req-1",
    } as Context;
    expect(await handler(event(MEMBER), context)).toMatchObject({ reason: "foreign-account" });
    expect(await handler(event(OWN), context)).toMatchObject({ outcome: "evaluated" });
    expect(calls).toEqual(["assess sg-0123456789abcdef0"]);
  });
});
