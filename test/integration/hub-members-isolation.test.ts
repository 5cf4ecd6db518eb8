import { ECSClient, RegisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { FunctionHost } from "../../emulator/host.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import { authorizeIngressEvent, efsTagsEvent, registerTaskDefinitionEvent } from "../../events/build.js";
import {
  efsTaskDefinition,
  exposed,
  fromAccount,
  hubTemplate,
  hubTestState,
  memberRole,
  roleArnOf,
} from "../support/hub.js";
import type { LogLine } from "../support/logs.js";
import { inAccount, organization } from "../support/organization.js";

/**
 * Isolation of the hub's members, on the deployed bundles under IAM (each function its synthesized role, each
 * member role its own trust policy; moto keeps every account's state apart):
 * - an event from member B that names a security group only member A has (with an open NFS rule) is judged in B,
 *   where the group does not exist: one log line, no action, and A's rule is still there;
 * - with configured targets (organization.accounts), an event from an account outside them, in the organization or
 *   not, is ignored with one log line and no AssumeRole at all;
 * - tag-audit and ecs-clients: a member without the role gets the efs-guard-member-role alert, and the next
 *   member's event, handled by the same warm function, is judged as usual.
 * Guard functions take one event per invocation (EventBridge invokes them asynchronously), so "the same batch" here
 * is one run of events on one function instance: its credential cache and its clients are shared.
 */
const NFS = "functions/nfs-ingress/handler.ts";
const TAGS = "functions/tag-audit/handler.ts";
const ECS = "functions/ecs-clients/handler.ts";

const openEvent = (account: string, x: { groupId: string; open: string }) =>
  fromAccount(authorizeIngressEvent({ groupId: x.groupId, ruleId: x.open, cidr: "0.0.0.0/0" }), account);

const calls = (host: FunctionHost, service: string, operation?: string) =>
  host.recorder.calls.filter((c) => c.service === service && (!operation || c.operation === operation));

/** The structured log lines that carry this event id (one per decision, the guide's rule). */
const linesOf = (lines: LogLine[], eventId: string) => lines.filter((l) => l.eventId === eventId);

describe("the hub's members stay apart", () => {
  const t = hubTestState();

  it("member B's event naming member A's open group changes nothing in A and is judged in B only", async () => {
    const { id: organizationId, members } = await organization(["a", "b"]);
    const [a, b] = members as [string, string];
    const template = hubTemplate(organizationId);
    const host = await t.deploy(template, "INFO");
    for (const account of [a, b]) await memberRole(account, [roleArnOf(template, NFS)], organizationId);
    const inA = await exposed(a);
    await exposed(b);

    const forged = openEvent(b, inA);
    const report = await host.invoke(NFS, forged);
    // Judged with B's view: B has no mount target behind that id, so the rule is not B's to touch.
    expect(report).toMatchObject({
      outcome: "evaluated",
      findings: [
        {
          resource: inA.groupId,
          outcome: "not-applicable",
          action: "none",
          detail: `${inA.groupId} is not attached to any EFS mount target`,
        },
      ],
    });
    // A's rule is where it was; nothing was alerted; the hub's own role read nothing (only B's session did).
    expect((await inA.seed.ingressRules(inA.groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([inA.open]);
    expect(await host.alerts()).toEqual([]);
    expect(
      host.recorder.calls.filter((c) => c.function !== undefined && ["ec2", "elasticfilesystem"].includes(c.service)),
    ).toEqual([]);
    expect(calls(host, "ec2").length).toBeGreaterThan(0);
    expect(calls(host, "ec2", "RevokeSecurityGroupIngress")).toEqual([]);
    const lines = linesOf(t.logs, String(forged.detail.eventID));
    expect(lines.map((l) => [l.level, l.message])).toEqual([["INFO", "decision"]]);

    // The same rule, reported by A itself, is revoked in A.
    expect(await host.invoke(NFS, openEvent(a, inA))).toMatchObject({ findings: [{ outcome: "remediated" }] });
    expect(await inA.seed.ingressRules(inA.groupId)).toEqual([]);
  }, 300_000);

  it("with organization.accounts, an account outside them is ignored with one log line and no AssumeRole", async () => {
    const { id: organizationId, members } = await organization(["target", "other"]);
    const [target, other] = members as [string, string];
    const stranger = "444455556666";
    const template = hubTemplate(organizationId, { accounts: [target] });
    const host = await t.deploy(template, "WARN");
    // Even a member role that would let the hub in is never asked for.
    for (const account of [target, other]) await memberRole(account, [roleArnOf(template, NFS)], organizationId);
    const inTarget = await exposed(target);
    const inOther = await exposed(other);
    const inStranger = await exposed(stranger);

    const events = [openEvent(other, inOther), openEvent(stranger, inStranger)];
    for (const event of events) {
      expect(await host.invoke(NFS, event)).toMatchObject({ outcome: "ignored", reason: "not-a-member" });
      const lines = linesOf(t.logs, String(event.detail.eventID));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: "WARN", message: "event ignored", reason: "not-a-member" });
    }
    expect(calls(host, "sts", "AssumeRole")).toEqual([]);
    expect(calls(host, "ec2")).toEqual([]);
    expect(await host.alerts()).toEqual([]);
    expect((await inOther.seed.ingressRules(inOther.groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([
      inOther.open,
    ]);

    // The configured member is handled by the same function right after.
    expect(await host.invoke(NFS, openEvent(target, inTarget))).toMatchObject({
      findings: [{ outcome: "remediated" }],
    });
    expect(calls(host, "sts", "AssumeRole")).toHaveLength(1);
    expect(await inTarget.seed.ingressRules(inTarget.groupId)).toEqual([]);
  }, 300_000);

  it("tag-audit: a member without the role is alerted; the next member's event is still audited", async () => {
    const { id: organizationId, members } = await organization(["roleless", "member"]);
    const [roleless, member] = members as [string, string];
    const template = hubTemplate(organizationId);
    const host = await t.deploy(template, "WARN");
    await memberRole(member, [roleArnOf(template, TAGS)], organizationId, ["elasticfilesystem:Describe*"]);
    const fileSystems: Record<string, string> = {};
    for (const account of [roleless, member]) {
      const seed = new Seeder();
      inAccount(seed.efs, account);
      fileSystems[account] = await seed.fileSystem();
    }
    const tagged = (account: string) =>
      fromAccount(efsTagsEvent("TagResource", fileSystems[account]!, { "efs-guard:exempt": "all" }), account);

    expect(await host.invoke(TAGS, tagged(roleless))).toMatchObject({
      outcome: "ignored",
      reason: "member-role-unavailable",
    });
    expect(await host.invoke(TAGS, tagged(member))).toMatchObject({
      outcome: "evaluated",
      findings: [{ outcome: "alerted" }],
    });
    const alerts = await host.alerts();
    expect(alerts.map((x) => x.attributes.control).sort()).toEqual(["efs-guard-member-role", "efs-guard-tags-audited"]);
    const role = alerts.find((x) => x.attributes.control === "efs-guard-member-role")!;
    expect(role.message.content.title).toContain(`member account ${roleless} without the EFS Guard role`);
    expect(role.message.content.description.split("\n")[0]).toBe(`*Account:* \`${roleless}\` (roleless) (us-east-1)`);
    const audit = alerts.find((x) => x.attributes.control === "efs-guard-tags-audited")!;
    expect(audit.message.metadata.additionalContext).toMatchObject({
      account: member,
      accountName: "member",
      resource: fileSystems[member],
    });
  }, 300_000);

  it("ecs-clients: a member without the role is alerted; the next member's task definition is still judged", async () => {
    const { id: organizationId, members } = await organization(["roleless", "member"]);
    const [roleless, member] = members as [string, string];
    const template = hubTemplate(organizationId);
    const host = await t.deploy(template, "WARN");
    await memberRole(member, [roleArnOf(template, ECS)], organizationId, ["ecs:DescribeTaskDefinition"]);
    const input = efsTaskDefinition("DISABLED");
    const registered = async (account: string) => {
      const ecs = inAccount(new ECSClient({ region: REGION }), account);
      const td = (await ecs.send(new RegisterTaskDefinitionCommand(input))).taskDefinition!;
      return fromAccount(
        registerTaskDefinitionEvent(
          input as unknown as Record<string, unknown>,
          td as unknown as Record<string, unknown>,
        ),
        account,
      );
    };
    const fromRoleless = await registered(roleless);
    const fromMember = await registered(member);

    expect(await host.invoke(ECS, fromRoleless)).toMatchObject({
      outcome: "ignored",
      reason: "member-role-unavailable",
    });
    expect(await host.invoke(ECS, fromMember)).toMatchObject({
      outcome: "evaluated",
      findings: [{ outcome: "alerted" }],
    });
    const alerts = await host.alerts();
    expect(alerts.map((x) => x.attributes.control).sort()).toEqual(["efs-clients-use-tls", "efs-guard-member-role"]);
    const role = alerts.find((x) => x.attributes.control === "efs-guard-member-role")!;
    expect(role.message.content.title).toContain(`member account ${roleless} without the EFS Guard role`);
    const tls = alerts.find((x) => x.attributes.control === "efs-clients-use-tls")!;
    expect(JSON.stringify(tls.message)).toContain(`:${member}:task-definition/web:1`);
    expect(JSON.stringify(tls.message)).not.toContain(`:${roleless}:task-definition`);
    // Only the member's own session read ECS; the roleless member's definition was never read.
    expect(calls(host, "ecs").map((c) => [c.operation, c.function])).toEqual([["DescribeTaskDefinition", undefined]]);
  }, 300_000);
});
