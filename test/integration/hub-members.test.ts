import { ECSClient, RegisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { TagResourceCommand } from "@aws-sdk/client-efs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import { authorizeIngressEvent, efsTagsEvent, registerTaskDefinitionEvent } from "../../events/build.js";
import { resetEmulator } from "../support/emulator.js";
import { efsTaskDefinition, exposed, HUB, hubTemplate, memberRole, roleArnOf } from "../support/hub.js";
import { inAccount, organization } from "../support/organization.js";

/**
 * The hub on the emulator (IAM enforced, the nfs-ingress bundle that deploys, its synthesized role): an open NFS
 * rule in each of two member accounts is revoked in that account by the hub's function, through the member role;
 * the hub's own group is untouched; a member without the role gets one alert naming it and the next member is
 * still handled. moto keeps each account's state apart; AssumeRole refuses a missing or untrusting role
 * (emulator/patches/sts_assume_role_trust.py). The member role's exact permissions are asserted by
 * test/infra/organization.test.ts; here it grants the EC2 and EFS actions the guard uses. Then tag-audit and
 * ecs-clients the same way: a member's event is judged by what that member holds, and the hub function's own role
 * makes no EC2, EFS, KMS or ECS call for it (the recording proxy names the calls of each function's own key).
 */
const ENTRY = "functions/nfs-ingress/handler.ts";

/** A hub deployed with one member "a" whose member role trusts the function of `entry` and grants `actions`. */
async function hubWithOneMember(entry: string, actions: string[]) {
  const { id: organizationId, members } = await organization(["a"]);
  const [a] = members as [string];
  const template = hubTemplate(organizationId);
  const deployed = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  await memberRole(a, [roleArnOf(template, entry)], organizationId, actions);
  return { a, deployed };
}

/** The guarded services' calls (not the hub's own alerting and state) made with the hub function's own role. */
function hubAccountCalls(host: FunctionHost) {
  return host.recorder.calls
    .filter((c) => c.function !== undefined && ["ec2", "elasticfilesystem", "kms", "ecs"].includes(c.service))
    .map((c) => `${c.service}:${c.operation}`);
}

/** The same calls made with the member role's sessions (keys the host did not register: not the hub's account). */
function memberSessionCalls(host: FunctionHost) {
  return host.recorder.calls.filter((c) => c.function === undefined).map((c) => `${c.service}:${c.operation}`);
}

describe("the hub acts in its members (nfs-ingress, tag-audit, ecs-clients)", () => {
  let host: FunctionHost | undefined;
  beforeEach(resetEmulator);
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  it("each member's open rule is revoked in that member; a member without the role is alerted once", async () => {
    const { id: organizationId, members } = await organization(["a", "b", "roleless"]);
    const [a, b, roleless] = members as [string, string, string];
    const template = hubTemplate(organizationId);
    const hubRoleArn = roleArnOf(template, ENTRY);
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
    await memberRole(a, [hubRoleArn], organizationId);
    await memberRole(b, [hubRoleArn], organizationId);

    const hub = await exposed(HUB);
    const inA = await exposed(a);
    const inB = await exposed(b);
    const inRoleless = await exposed(roleless);

    const event = (account: string, x: { groupId: string; open: string }) => ({
      ...authorizeIngressEvent({ groupId: x.groupId, ruleId: x.open, cidr: "0.0.0.0/0" }),
      account,
    });
    const reports = [];
    for (const [account, x] of [
      [roleless, inRoleless],
      [a, inA],
      [b, inB],
    ] as const) {
      reports.push(await host.invoke(ENTRY, event(account, x)));
    }
    expect(reports[0]).toMatchObject({ outcome: "ignored", reason: "member-role-unavailable" });
    expect(reports[1]).toMatchObject({ outcome: "evaluated", findings: [{ outcome: "remediated" }] });
    expect(reports[2]).toMatchObject({ outcome: "evaluated", findings: [{ outcome: "remediated" }] });

    // Revoked in each member, in that member only; the hub's and the roleless member's rules are still there.
    expect(await inA.seed.ingressRules(inA.groupId)).toEqual([]);
    expect(await inB.seed.ingressRules(inB.groupId)).toEqual([]);
    expect((await hub.seed.ingressRules(hub.groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([hub.open]);
    expect((await inRoleless.seed.ingressRules(inRoleless.groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([
      inRoleless.open,
    ]);

    const alerts = await host.alerts();
    const roleAlerts = alerts.filter((x) => x.attributes.control === "efs-guard-member-role");
    expect(roleAlerts).toHaveLength(1);
    expect(roleAlerts[0]!.message.content.title).toContain(`member account ${roleless} without the EFS Guard role`);
    const remediated = alerts.filter((x) => x.attributes.outcome === "remediated");
    expect(remediated.map((x) => x.message.metadata.additionalContext.resource).sort()).toEqual(
      [inA.groupId, inB.groupId].sort(),
    );
    for (const [account, x] of [
      [a, inA],
      [b, inB],
    ] as const) {
      const alert = remediated.find((r) => r.message.metadata.additionalContext.resource === x.groupId)!;
      expect(alert.message.content.description).toContain(`account \`${account}\``);
    }
  }, 300_000);

  it("a tag change on a member's file system is audited with that member's tags, read in that member", async () => {
    const entry = "functions/tag-audit/handler.ts";
    const { a, deployed } = await hubWithOneMember(entry, ["elasticfilesystem:Describe*"]);
    host = deployed;

    const seed = new Seeder();
    inAccount(seed.efs, a);
    const fileSystemId = await seed.fileSystem();
    const tags = { "efs-guard:exempt": "all", "efs-guard:exempt-until": "2099-12-31" };
    await seed.efs.send(
      new TagResourceCommand({
        ResourceId: fileSystemId,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    const report = await host.invoke(entry, { ...efsTagsEvent("TagResource", fileSystemId, tags), account: a });
    expect(report).toMatchObject({ outcome: "evaluated" });

    const [alert, ...rest] = await host.alerts();
    expect(rest).toEqual([]);
    expect(alert?.attributes).toEqual({ control: "efs-guard-tags-audited", severity: "high", outcome: "alerted" });
    const description = alert!.message.content.description as string;
    // The file system's current tags, which only the member holds: read there (the hub has no such file system).
    expect(description.split("\n")[0]).toBe(
      `*efs-guard tags changed on ${fileSystemId} (TagResource): set efs-guard:exempt=all, set efs-guard:exempt-until=2099-12-31; not honoured for efs-encrypted-at-rest, efs-tls-enforced, efs-backup-enabled, efs-policy-not-public, efs-iam-authorization-required, efs-root-access-restricted, efs-replica-encrypted: efs-guard:exempt-until=2099-12-31 is more than 90 days away (maxExemptionDays)*`,
    );
    expect(description).not.toContain("no longer exists");
    expect(description).toContain(`account \`${a}\``);
    expect(hubAccountCalls(host)).toEqual([]);
    expect(memberSessionCalls(host)).toContain("elasticfilesystem:DescribeFileSystems");
  }, 300_000);

  it("a member's task definition mounting EFS without TLS is alerted, judged by what that member's ECS holds", async () => {
    const entry = "functions/ecs-clients/handler.ts";
    const { a, deployed } = await hubWithOneMember(entry, ["ecs:DescribeTaskDefinition"]);
    host = deployed;

    const input = efsTaskDefinition;
    // The same family and revision in the hub, with TLS: read there, the member's revision would look compliant.
    await new ECSClient({ region: REGION }).send(new RegisterTaskDefinitionCommand(input("ENABLED")));
    const inA = inAccount(new ECSClient({ region: REGION }), a);
    const td = (await inA.send(new RegisterTaskDefinitionCommand(input("DISABLED")))).taskDefinition!;
    expect(td.taskDefinitionArn).toContain(`:${a}:task-definition/web:1`);

    const event = registerTaskDefinitionEvent(
      input("DISABLED") as unknown as Record<string, unknown>,
      td as unknown as Record<string, unknown>,
    );
    const report = await host.invoke(entry, { ...event, account: a });
    expect(report).toMatchObject({ outcome: "evaluated", findings: [{ outcome: "alerted" }] });

    const [alert, ...rest] = await host.alerts();
    expect(rest).toEqual([]);
    expect(alert?.attributes).toEqual({ control: "efs-clients-use-tls", severity: "high", outcome: "alerted" });
    const text = JSON.stringify(alert?.message);
    expect(text).toContain(td.taskDefinitionArn!);
    expect(text).toContain("transitEncryption DISABLED");
    expect(alert!.message.content.description).toContain(`account \`${a}\``);
    expect(hubAccountCalls(host)).toEqual([]);
    expect(memberSessionCalls(host)).toEqual(["ecs:DescribeTaskDefinition"]);
  }, 300_000);
});
