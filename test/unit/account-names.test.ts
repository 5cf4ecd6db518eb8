import { DescribeAccountCommand } from "@aws-sdk/client-organizations";
import { describe, expect, it } from "vitest";
import { accountNames } from "../../shared/aws/account-names.js";
import type { Finding } from "../../shared/controls/types.js";
import { ACCOUNT_NAME_CAP, namingAccounts, withAccountName } from "../../shared/notify/account-name.js";
import { memberRoleMessage } from "../../shared/notify/member-role.js";
import { buildMessage, type ChatbotMessage, emailText } from "../../shared/notify/message.js";
import type { Origin, Result } from "../../shared/pipeline/types.js";

/**
 * Account names in alerts: the lookup's cache and its failures (a mocked Organizations client: error handling
 * only; the real call runs on the emulator in test/integration/alert-account-names.test.ts), and where the name
 * goes in a message, escaped.
 */
const MEMBER = "210987654321";

function organizations(answers: Record<string, () => unknown>) {
  const calls: string[] = [];
  const client = {
    send: async (command: unknown) => {
      expect(command).toBeInstanceOf(DescribeAccountCommand);
      const id = (command as DescribeAccountCommand).input.AccountId as string;
      calls.push(id);
      const answer = answers[id] ?? answers["*"];
      if (!answer) throw new Error(`unexpected ${id}`);
      return answer();
    },
  };
  return { client: client as never, calls };
}

function sdkError(name: string, status: number) {
  return () => {
    throw Object.assign(new Error(`${name} message`), { name, $metadata: { httpStatusCode: status } });
  };
}

function clockAt(start: number) {
  let now = start;
  return { clock: { now: () => new Date(now) }, advance: (ms: number) => (now += ms) };
}

describe("accountNames (Organizations DescribeAccount, cached per container)", () => {
  it("asks once per account within the TTL, concurrent lookups share one call, and asks again after it", async () => {
    const { client, calls } = organizations({ "*": () => ({ Account: { Id: MEMBER, Name: "payments-prod" } }) });
    const { clock, advance } = clockAt(0);
    const lookup = accountNames({ client, clock, ttlMs: 1000 });
    expect(await Promise.all([lookup(MEMBER), lookup(MEMBER)])).toEqual(["payments-prod", "payments-prod"]);
    expect(await lookup(MEMBER)).toBe("payments-prod");
    expect(calls).toEqual([MEMBER]);
    advance(1001);
    expect(await lookup(MEMBER)).toBe("payments-prod");
    expect(calls).toEqual([MEMBER, MEMBER]);
  });

  it.each([
    ["AccessDeniedException", 400],
    ["AWSOrganizationsNotInUseException", 400],
  ])("%s: id only, and no account is asked again within the TTL", async (code, status) => {
    const { client, calls } = organizations({ "*": sdkError(code, status) });
    const { clock, advance } = clockAt(0);
    const lookup = accountNames({ client, clock, ttlMs: 1000 });
    expect(await lookup(MEMBER)).toBeUndefined();
    expect(await lookup("111122223333")).toBeUndefined();
    expect(calls).toEqual([MEMBER]);
    advance(1001);
    expect(await lookup("111122223333")).toBeUndefined();
    expect(calls).toEqual([MEMBER, "111122223333"]);
  });

  it("throttling: id only, that account asked again after retryMs, not before; others still asked", async () => {
    const { client, calls } = organizations({
      [MEMBER]: sdkError("TooManyRequestsException", 400),
      "*": () => ({ Account: { Name: "other" } }),
    });
    const { clock, advance } = clockAt(0);
    const lookup = accountNames({ client, clock, ttlMs: 100_000, retryMs: 10 });
    expect(await lookup(MEMBER)).toBeUndefined();
    expect(await lookup(MEMBER)).toBeUndefined();
    expect(await lookup("111122223333")).toBe("other");
    advance(11);
    await lookup(MEMBER);
    expect(calls).toEqual([MEMBER, "111122223333", MEMBER]);
  });

  it("an account Organizations does not know, or without a name: id only, kept for the TTL", async () => {
    const { client, calls } = organizations({
      [MEMBER]: sdkError("AccountNotFoundException", 400),
      "*": () => ({ Account: { Id: "111122223333" } }),
    });
    const lookup = accountNames({ client, clock: clockAt(0).clock });
    expect(await lookup(MEMBER)).toBeUndefined();
    expect(await lookup(MEMBER)).toBeUndefined();
    expect(await lookup("111122223333")).toBeUndefined();
    expect(calls).toEqual([MEMBER, "111122223333"]);
  });
});

const finding: Finding = {
  control: "efs-nfs-ingress-restricted",
  verdict: "non-compliant",
  severity: "critical",
  resource: { type: "AWS::EC2::SecurityGroup", id: "sg-0123456789abcdef0", region: "us-east-1", account: MEMBER },
  summary: "NFS open to the world",
  evidence: {},
} as unknown as Finding;
const origin: Origin = { kind: "sweep" } as Origin;
const result = {
  finding,
  decision: { why: "enforce" },
  action: "alert",
  outcome: "alerted",
  detail: "alerted",
} as unknown as Result;

const HOSTILE = "<!here> *hi* <https://x.io|go>\n*Decision:* ok\u202e`x`";

describe("withAccountName: the name after the id, escaped like every untrusted value", () => {
  it("a finding's alert: on its Resource line, escaped for Slack and e-mail, in the metadata as plain data", () => {
    const message = buildMessage(result, origin);
    expect(message.metadata.additionalContext.account).toBe(MEMBER);
    const named = withAccountName(message, MEMBER, HOSTILE);
    const lines = named.content.description.split("\n");
    expect(lines).toHaveLength(message.content.description.split("\n").length);
    const resource = lines.find((l) => l.startsWith("*Resource:*")) as string;
    expect(resource.startsWith("*Resource:* `sg-0123456789abcdef0` (")).toBe(true);
    expect(resource.slice(resource.indexOf(" in us-east-1, "))).toBe(
      ` in us-east-1, account \`${MEMBER}\` (&lt;!here&gt; ∗hi∗ &lt;https[:]//x[.]io|go&gt;⏎∗Decision:∗ ok\uFFFDˋxˋ)`,
    );
    expect(named.content.description).not.toMatch(/<!here>|\n\*Decision:\* ok|\u202e/);
    const mail = emailText(named);
    expect(mail).toContain(`account ${MEMBER} (<!here> ∗hi∗ <https[:]//x[.]io|go>⏎∗Decision:∗ ok`);
    expect(mail).not.toMatch(/https:\/\/|\n\*?Decision: ok/);
    expect(named.metadata.additionalContext.accountName).toBe("<!here> *hi* <https://x.io|go>⏎*Decision:* ok\uFFFD`x`");
    // JSON (the Chatbot message, every subscriber's payload) round-trips exactly.
    expect(JSON.parse(JSON.stringify(named))).toEqual(named);
  });

  it("a long name is capped", () => {
    const named = withAccountName(buildMessage(result, origin), MEMBER, "n".repeat(500));
    expect(named.metadata.additionalContext.accountName).toBe(
      `${"n".repeat(ACCOUNT_NAME_CAP - 1)}… (${500 - ACCOUNT_NAME_CAP + 1} more characters)`,
    );
    expect(named.content.description).toContain(`(${"n".repeat(ACCOUNT_NAME_CAP - 1)}… (437 more characters))`);
  });

  it("a name made of replacement patterns ($&, $', $`) is written as it is, never expanded", () => {
    // Each name as escapeProse writes it (`&` as &amp;, a backtick as ˋ), with its `$` kept.
    const escaped: [string, string][] = [
      ["$&", "$&amp;"],
      ["$'", "$'"],
      ["$`", "$ˋ"],
      ["$$", "$$"],
    ];
    for (const [name, shown] of escaped) {
      const named = withAccountName(buildMessage(result, origin), MEMBER, name);
      const line = named.content.description.split("\n").find((l) => l.startsWith("*Resource:* ")) as string;
      expect(line.endsWith(`, account \`${MEMBER}\` (${shown})`)).toBe(true);
      const role = memberRoleMessage(
        { account: MEMBER, region: "us-east-1", roleArn: "arn:aws:iam::1:role/r", awsCode: "AccessDenied" } as never,
        origin,
      );
      expect(withAccountName(role, MEMBER, name).content.description.split("\n")[0]).toBe(
        `*Account:* \`${MEMBER}\` (${shown}) (us-east-1)`,
      );
    }
  });

  it("the member role alert: on its Account line", () => {
    const message = memberRoleMessage(
      {
        account: MEMBER,
        region: "us-east-1",
        roleArn: `arn:aws:iam::${MEMBER}:role/efs-guard-member`,
        awsCode: "AccessDenied",
      } as never,
      origin,
    );
    const named = withAccountName(message, MEMBER, "sandbox");
    expect(named.content.description.split("\n")[0]).toBe(`*Account:* \`${MEMBER}\` (sandbox) (us-east-1)`);
  });

  it("a message with the account but neither line gets an Account line after its first", () => {
    const message: ChatbotMessage = {
      ...buildMessage(result, origin),
    };
    const bare = { ...message, content: { ...message.content, description: "*first*\n*second*" } };
    expect(withAccountName(bare, MEMBER, "x").content.description).toBe(
      `*first*\n*Account:* \`${MEMBER}\` (x)\n*second*`,
    );
  });

  it("namingAccounts: no account or no name, the message unchanged; a name an attacker put in the text is not used", async () => {
    const message = buildMessage(result, origin);
    const looked: string[] = [];
    const name = namingAccounts(async (account) => {
      looked.push(account);
      return undefined;
    });
    expect(await name(message)).toBe(message);
    const noAccount = { ...message, metadata: { ...message.metadata, additionalContext: { account: "not-an-id" } } };
    expect(await name(noAccount)).toBe(noAccount);
    expect(looked).toEqual([MEMBER]);
  });
});
