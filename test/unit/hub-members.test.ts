import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { NFS_INGRESS_EVENTS } from "../../events/patterns.js";
import { MemberRoleUnavailableError } from "../../shared/aws/accounts.js";
import { triggerResourceId } from "../../shared/events/triggers.js";
import type { ChatbotMessage } from "../../shared/notify/message.js";
import type { AlertAttributes } from "../../shared/notify/publish.js";
import { guardEventHandler } from "../../shared/pipeline/handler.js";
import { hubMembers, withMembers } from "../../shared/pipeline/members.js";
import { processEvent } from "../../shared/pipeline/run.js";
import type { Guard, MemberGuards } from "../../shared/pipeline/types.js";
import { GuardError } from "../../shared/runtime/errors.js";
import { testDeps } from "../support/deps.js";

/**
 * The hub acts in the event's account (EventBridge's `account`) through that account's guard, and a member whose
 * role cannot be assumed gets one alert naming it, with no read and no retry. Without organization.organizationId
 * nothing changes: another account's event is ignored (test/unit/foreign-account.test.ts).
 */
const SAMPLE = join(import.meta.dirname, "../../events/samples/ec2-authorize-security-group-ingress.json");
const HUB = "111111111111";
const MEMBER = "222222222222";
const OUTSIDER = "333333333333";
const ARN = `arn:aws:lambda:eu-west-1:${HUB}:function:EfsGuard-NfsIngress`;
const HUB_CONFIG = { organization: { organizationId: "o-a1b2c3d4e5", organizationalUnitIds: ["ou-ab12-11112222"] } };

function event(account: string) {
  const e = JSON.parse(readFileSync(SAMPLE, "utf8"));
  e.account = account;
  e.detail.recipientAccountId = account;
  return e;
}

function guardOf(name: string, calls: string[]): Guard {
  return {
    name: "nfs-ingress",
    events: NFS_INGRESS_EVENTS,
    async assess(trigger) {
      calls.push(`${name} assess ${triggerResourceId(trigger)}`);
      return [];
    },
    async inventory() {
      return [];
    },
    async remediate() {
      return { status: "done" };
    },
  };
}

function members(calls: string[], refused: Set<string>): MemberGuards {
  return {
    guard: (account) => guardOf(account, calls),
    async ready(account) {
      calls.push(`ready ${account}`);
      if (refused.has(account)) {
        const arn = `arn:aws:iam::${account}:role/efs-guard-member`;
        throw new MemberRoleUnavailableError(account, arn, "AccessDenied", "not authorized", undefined);
      }
    },
  };
}

function recordingSend() {
  const sent: { message: ChatbotMessage; attributes: AlertAttributes; key?: string }[] = [];
  return {
    sent,
    send: async (message: ChatbotMessage, attributes: AlertAttributes, key?: string) => {
      sent.push({ message, attributes, ...(key ? { key } : {}) });
    },
  };
}

describe("the hub in member accounts", () => {
  it("a member's event is assessed by that member's guard, the hub's own by the hub's", async () => {
    const calls: string[] = [];
    const deps = { ...testDeps(HUB_CONFIG), account: HUB, members: members(calls, new Set()) };
    const home = guardOf("hub", calls);
    expect(await processEvent(event(MEMBER), home, deps)).toMatchObject({ outcome: "evaluated" });
    expect(await processEvent(event(HUB), home, deps)).toMatchObject({ outcome: "evaluated" });
    expect(calls).toEqual([
      `ready ${MEMBER}`,
      `${MEMBER} assess sg-0123456789abcdef0`,
      "hub assess sg-0123456789abcdef0",
    ]);
  });

  it("a member without the role: one alert naming it, nothing read, not retried; other accounts go on", async () => {
    const calls: string[] = [];
    const { sent, send } = recordingSend();
    const base = testDeps(HUB_CONFIG);
    const deps = {
      ...withMembers(base, ARN, "nfs-ingress", send, () => guardOf("unused", calls)),
      members: members(calls, new Set([OUTSIDER])),
      account: HUB,
    };
    const report = await processEvent(event(OUTSIDER), guardOf("hub", calls), deps);
    expect(report).toMatchObject({
      outcome: "ignored",
      reason: "member-role-unavailable",
      detail: `cannot act in account ${OUTSIDER}: arn:aws:iam::${OUTSIDER}:role/efs-guard-member cannot be assumed (AccessDenied)`,
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.attributes).toEqual({
      control: "efs-guard-member-role",
      severity: "HIGH",
      outcome: "member-role-unavailable",
    });
    expect(sent[0]!.message.content.title).toBe(
      `:warning: EFS Guard: member account ${OUTSIDER} without the EFS Guard role`,
    );
    expect(sent[0]!.message.content.description).toContain(`*Account:* \`${OUTSIDER}\``);
    expect(sent[0]!.message.metadata.additionalContext).toMatchObject({ account: OUTSIDER });
    // The same account again: the same dedup key (merged while deduplication is on).
    await processEvent(event(OUTSIDER), guardOf("hub", calls), deps);
    expect(sent[1]!.key).toBe(sent[0]!.key);
    await processEvent(event(MEMBER), guardOf("hub", calls), deps);
    expect(calls).toEqual([
      `ready ${OUTSIDER}`,
      `ready ${OUTSIDER}`,
      `ready ${MEMBER}`,
      `${MEMBER} assess sg-0123456789abcdef0`,
    ]);
  });

  it("an STS failure that a retry may fix (throttling) fails the event, so Lambda retries it", async () => {
    const failing: MemberGuards = {
      guard: () => guardOf("never", []),
      ready: async () => {
        throw new GuardError("AWS_CALL_FAILED", "sts:AssumeRole failed: Throttling", { retryable: true });
      },
    };
    const deps = { ...testDeps(HUB_CONFIG), account: HUB, members: failing };
    await expect(processEvent(event(MEMBER), guardOf("hub", []), deps)).rejects.toMatchObject({ retryable: true });
  });

  it("without organization.organizationId the deps are unchanged: another account's event stays ignored", async () => {
    const calls: string[] = [];
    const { send } = recordingSend();
    const single = testDeps();
    expect(hubMembers(single, ARN, "nfs-ingress", () => guardOf("x", calls))).toBeUndefined();
    expect(withMembers(single, ARN, "nfs-ingress", send, () => guardOf("x", calls))).toBe(single);
    const handler = guardEventHandler(guardOf("hub", calls), single, (arn) =>
      withMembers(single, arn, "nfs-ingress", send, () => guardOf("member", calls)),
    );
    const context = { invokedFunctionArn: ARN, functionName: "EfsGuard-NfsIngress", awsRequestId: "r" } as Context;
    expect(await handler(event(MEMBER), context)).toMatchObject({ outcome: "ignored", reason: "foreign-account" });
    expect(calls).toEqual([]);
  });

  it("in the hub, each member's guard is built once (its clients are created once per account and region)", () => {
    const built: string[] = [];
    const hub = hubMembers(testDeps(HUB_CONFIG), ARN, "nfs-ingress", (access, account) => {
      built.push(`${account} ${access.roleArn(account)}`);
      return guardOf(account, []);
    })!;
    expect(hub.guard(MEMBER)).toBe(hub.guard(MEMBER));
    hub.guard(OUTSIDER);
    expect(built).toEqual([
      `${MEMBER} arn:aws:iam::${MEMBER}:role/efs-guard-member`,
      `${OUTSIDER} arn:aws:iam::${OUTSIDER}:role/efs-guard-member`,
    ]);
  });
});
