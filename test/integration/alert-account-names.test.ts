import { describe, expect, it } from "vitest";
import type { FunctionHost } from "../../emulator/host.js";
import type { CfnTemplate } from "../../emulator/template.js";
import { authorizeIngressEvent } from "../../events/build.js";
import { exposed, fromAccount, HUB, hubTemplate, hubTestState, memberRole, roleArnOf } from "../support/hub.js";
import { organization } from "../support/organization.js";

/**
 * Account names in the hub's alerts, end to end on the emulator with IAM enforced: member events go to the hub's
 * nfs-ingress bundle, its alerts through the inbox to the deployed alerts function (its synthesized role, with
 * organizations:DescribeAccount), which names each alert's account from moto's Organizations before publishing.
 * A member's administrator chooses its name: one name here carries Slack markup, a link, a fake alert line and
 * control characters, and must arrive escaped. Without the permission, or outside an organization, the alerts name
 * the id only, after one DescribeAccount and one log line.
 */
const ENTRY = "functions/nfs-ingress/handler.ts";
const HOSTILE = "<!channel> *ops* <https://evil.example|fix>\n*Decision:* ok\u0007\u202e";
const HOSTILE_ESCAPED = "&lt;!channel&gt; ∗ops∗ &lt;https[:]//evil[.]example|fix&gt;⏎∗Decision:∗ ok\uFFFD\uFFFD";

const openEvent = (account: string, x: { groupId: string; open: string }) =>
  fromAccount(authorizeIngressEvent({ groupId: x.groupId, ruleId: x.open, cidr: "0.0.0.0/0" }), account);

/** The hub's template without the alerts function's DescribeAccount statement. */
function withoutNames(template: CfnTemplate): CfnTemplate {
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== "AWS::IAM::Policy") continue;
    const document = resource.Properties.PolicyDocument;
    document.Statement = document.Statement.filter((s: any) => s.Sid !== "NameTheAlertsAccount");
  }
  return template;
}

function describeAccountCalls(host: FunctionHost) {
  return host.recorder.calls.filter((c) => c.service === "organizations" && c.operation === "DescribeAccount");
}

describe("alerts name the account in an organization's hub", () => {
  const t = hubTestState();

  it("a member's alerts say `id` (name), the name escaped; the member role alert too", async () => {
    const { id: organizationId, members } = await organization(["payments-prod", HOSTILE]);
    const [a, hostile] = members as [string, string];
    const template = hubTemplate(organizationId);
    const host = await t.deploy(template, "WARN");
    await memberRole(a, [roleArnOf(template, ENTRY)], organizationId);
    const inA = await exposed(a);
    const inHostile = await exposed(hostile);

    expect(await host.invoke(ENTRY, openEvent(a, inA))).toMatchObject({ findings: [{ outcome: "remediated" }] });
    expect(await host.invoke(ENTRY, openEvent(hostile, inHostile))).toMatchObject({
      reason: "member-role-unavailable",
    });
    const alerts = await host.alerts();
    expect(alerts).toHaveLength(2);

    const remediated = alerts.find((x) => x.attributes.outcome === "remediated")!;
    const resourceLine = (remediated.message.content.description as string)
      .split("\n")
      .find((l) => l.startsWith("*Resource:*"));
    expect(resourceLine).toBe(
      `*Resource:* \`${inA.groupId}\` (security-group) in us-east-1, account \`${a}\` (payments-prod)`,
    );
    expect(remediated.message.metadata.additionalContext).toMatchObject({ account: a, accountName: "payments-prod" });

    const role = alerts.find((x) => x.attributes.control === "efs-guard-member-role")!;
    const description = role.message.content.description as string;
    expect(description.split("\n")[0]).toBe(`*Account:* \`${hostile}\` (${HOSTILE_ESCAPED}) (us-east-1)`);
    // Nothing of the name formats, mentions, links or adds a line; the metadata keeps it as plain, flat data.
    expect(description).not.toMatch(/<!channel>|<https|\*ops\*|\n\*Decision:\*/);
    expect([description.includes("\u0007"), description.includes("\u202e")]).toEqual([false, false]);
    expect(description.split("\n").filter((l) => l.startsWith("*Decision:*"))).toEqual([]);
    expect(role.message.metadata.additionalContext.accountName).toBe(
      "<!channel> *ops* <https://evil.example|fix>⏎*Decision:* ok\uFFFD\uFFFD",
    );
    // One DescribeAccount per account, by the alerts function (and the names above show they were answered).
    expect(describeAccountCalls(host).map((c) => c.function)).toEqual([
      expect.stringMatching(/^AlertDedupFunction/),
      expect.stringMatching(/^AlertDedupFunction/),
    ]);
    expect(t.logs.filter((l) => String(l.message).startsWith("account name"))).toEqual([]);
  }, 300_000);

  it("without organizations:DescribeAccount: the id only, one DescribeAccount and one log line for all alerts", async () => {
    const { id: organizationId, members } = await organization(["one", "two"]);
    const [one, two] = members as [string, string];
    const host = await t.deploy(withoutNames(hubTemplate(organizationId)), "WARN");
    for (const account of [one, two]) {
      const x = await exposed(account);
      await host.invoke(ENTRY, openEvent(account, x));
    }
    const alerts = await host.alerts();
    expect(alerts.map((x) => x.message.content.description.split("\n")[0]).sort()).toEqual(
      [`*Account:* \`${one}\` (us-east-1)`, `*Account:* \`${two}\` (us-east-1)`].sort(),
    );
    expect(alerts.map((x) => x.message.metadata.additionalContext.accountName)).toEqual([undefined, undefined]);
    // Refused once (the log line names IAM's answer); the second alert asks nothing.
    expect(describeAccountCalls(host)).toHaveLength(1);
    const unreadable = t.logs.filter((l) => l.message === "account names not readable: alerts name account ids only");
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0]).toMatchObject({ level: "WARN", code: "AccessDeniedException" });
  }, 300_000);

  it("outside an organization: the id only (the hub's own alert, no organization in Organizations)", async () => {
    const host = await t.deploy(hubTemplate("o-abcdefghij"), "WARN");
    const x = await exposed(HUB);
    expect(await host.invoke(ENTRY, openEvent(HUB, x))).toMatchObject({ findings: [{ outcome: "remediated" }] });
    const [alert, ...rest] = await host.alerts();
    expect(rest).toEqual([]);
    const resourceLine = (alert!.message.content.description as string)
      .split("\n")
      .find((l) => l.startsWith("*Resource:*"));
    expect(resourceLine).toBe(`*Resource:* \`${x.groupId}\` (security-group) in us-east-1, account \`${HUB}\``);
    expect(alert!.message.metadata.additionalContext).toMatchObject({ account: HUB });
    expect(alert!.message.metadata.additionalContext.accountName).toBeUndefined();
    expect(describeAccountCalls(host)).toHaveLength(1);
    expect(t.logs.filter((l) => String(l.message).startsWith("account name"))).toHaveLength(1);
  }, 300_000);
});
