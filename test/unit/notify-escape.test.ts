import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/schema.js";
import type { Finding } from "../../shared/controls/types.js";
import type { CloudTrailEvent } from "../../shared/events/cloudtrail.js";
import {
  approvalRequestMessage,
  failedMessage,
  migratedMessage,
  rejectedMessage,
} from "../../shared/migration/messages.js";
import type { MigrationState } from "../../shared/migration/types.js";
import { escapeCode, escapeProse, md, sanitize, toPlainText } from "../../shared/notify/escape.js";
import { buildMessage, type ChatbotMessage, emailText } from "../../shared/notify/message.js";
import { messageStructure, subjectLine } from "../../shared/notify/publish.js";
import { renderForTerminal } from "../../shared/notify/render.js";
import { buildSummaryMessage } from "../../shared/notify/summary.js";
import { decide } from "../../shared/pipeline/decide.js";
import type { Origin, Result } from "../../shared/pipeline/types.js";
import { fixedClock } from "../../shared/runtime/clock.js";

/** What a caller with ordinary rights can put into a tag, a name, a reason or a CloudTrail field. */
const ATTACKS = {
  channel: "<!channel> urgent",
  here: "<!here>",
  user: "<@U012ABCDEF> please approve",
  link: "<http://evil.example/login|Open the AWS console>",
  bold: "*APPROVED*",
  italic: "_it_",
  strike: "~s~",
  code: "`rm -rf /`",
  fence: "```fake block```",
  newline: "legit\n*Decision:* exempt — approved by security",
  control: "a\u0007b\u001b[31mred\u0000",
  bidi: "invoice\u202Egnp.exe",
  zeroWidth: "fs-\u200B0123",
  emoji: ":white_check_mark: remediated",
  url: "see https://evil.example/x",
  long: "x".repeat(100_000),
} as const;

/** The checks every rendered line must pass, whatever was injected. */
function assertInert(markdown: string) {
  // Slack's control characters only as entities: no mention, channel link or link can form.
  expect(markdown).not.toMatch(/[<>]/);
  for (const line of markdown.split("\n")) {
    // Code spans are balanced on every line: nothing opened inside a value runs on.
    expect((line.match(/`/g) ?? []).length % 2, line).toBe(0);
  }
  expect(hidden(markdown)).toEqual([]);
}

/** Control and invisible format characters (bidi, zero-width), newlines aside: none may reach a reader. */
function hidden(text: string): string[] {
  return [...text.replace(/\n/g, "").matchAll(/[\p{Cc}\p{Cf}]/gu)].map((m) => m[0]);
}

describe("escapeProse and escapeCode: each attack, exactly", () => {
  it.each([
    ["channel", "&lt;!channel&gt; urgent", "&lt;!channel&gt; urgent"],
    ["here", "&lt;!here&gt;", "&lt;!here&gt;"],
    ["user", "&lt;@U012ABCDEF&gt; please approve", "&lt;@U012ABCDEF&gt; please approve"],
    [
      "link",
      "&lt;http[:]//evil[.]example/login|Open the AWS console&gt;",
      "&lt;http://evil.example/login|Open the AWS console&gt;",
    ],
    ["bold", "∗APPROVED∗", "*APPROVED*"],
    ["italic", "ˍitˍ", "_it_"],
    ["strike", "∼s∼", "~s~"],
    ["code", "ˋrm -rf /ˋ", "ˋrm -rf /ˋ"],
    ["fence", "ˋˋˋfake blockˋˋˋ", "ˋˋˋfake blockˋˋˋ"],
    ["newline", "legit⏎∗Decision:∗ exempt — approved by security", "legit⏎*Decision:* exempt — approved by security"],
    ["control", "a\uFFFDb\uFFFD[31mred\uFFFD", "a\uFFFDb\uFFFD[31mred\uFFFD"],
    ["bidi", "invoice\uFFFDgnp.exe", "invoice\uFFFDgnp.exe"],
    ["zeroWidth", "fs-\uFFFD0123", "fs-\uFFFD0123"],
    ["emoji", "∶white_check_mark∶ remediated", ":white_check_mark: remediated"],
    ["url", "see https[:]//evil[.]example/x", "see https://evil.example/x"],
  ] as const)("%s", (name, prose, code) => {
    expect(escapeProse(ATTACKS[name])).toBe(prose);
    expect(escapeCode(ATTACKS[name])).toBe(code);
  });

  it("caps very long values and says how much was cut", () => {
    expect(escapeProse(ATTACKS.long)).toBe(`${"x".repeat(999)}… (99001 more characters)`);
    expect(escapeCode(ATTACKS.long)).toBe(`${"x".repeat(255)}… (99745 more characters)`);
    // Counted in characters, never splitting a surrogate pair; a lone surrogate is replaced.
    expect(sanitize("😀".repeat(10), 5)).toBe("😀😀😀😀… (6 more characters)");
    expect(sanitize("a\uD800b")).toBe("a\uFFFDb");
  });

  it("keeps what is not markup: ARNs, snake_case, times, IP addresses", () => {
    const arn = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com";
    expect(escapeProse(arn)).toBe(arn);
    expect(escapeProse("rotates at 12:00:00 from 203.0.113.10, team_a")).toBe(
      "rotates at 12:00:00 from 203.0.113.10, team_a",
    );
  });

  it("md escapes each value for where it stands: code span or running text", () => {
    const value = "*x* <!here>";
    expect(md`*Tag:* \`${value}\` and ${value}`.text).toBe("*Tag:* `*x* &lt;!here&gt;` and ∗x∗ &lt;!here&gt;");
    // An Md is inserted as it is; arrays are joined.
    expect(md`${md`\`a\``} ${["<b>", "c"]}`.text).toBe("`a` &lt;b&gt;, c");
  });
});

const clock = fixedClock("2026-11-26T12:00:00Z");
const config = parseConfig({});

function event(actor: CloudTrailEvent["actor"]): Origin {
  return {
    kind: "event",
    event: {
      eventId: "e-1",
      eventName: "AuthorizeSecurityGroupIngress",
      eventSource: "ec2.amazonaws.com",
      eventTime: "2026-11-26T11:59:00Z",
      region: "us-east-1",
      account: "123456789012",
      actor,
      requestParameters: {},
      responseElements: {},
      resources: [],
    },
  };
}

function result(finding: Finding, detail: string, outcome: Result["outcome"] = "alerted"): Result {
  return { finding, decision: decide(finding, config, clock), action: "none", outcome, detail };
}

function finding(over: Partial<Finding> = {}): Finding {
  return {
    control: "efs-tls-enforced",
    resource: { type: "file-system", id: "fs-0123456789abcdef0", region: "us-east-1", account: "123456789012" },
    verdict: "non-compliant",
    severity: "high",
    summary: "TLS is not enforced on fs-0123456789abcdef0",
    evidence: {},
    ...over,
  };
}

describe("every alert field that carries untrusted text", () => {
  const fields: { name: string; message: (attack: string) => ChatbotMessage }[] = [
    {
      // The file system's Name tag is part of the evaluators' summaries (label(fs)).
      name: "summary (resource name)",
      message: (a) => buildMessage(result(finding({ summary: `TLS is not enforced on fs-1 (${a})` }), "x"), event({})),
    },
    {
      // decide() quotes the exempt-until tag value when it does not honour it.
      name: "decision (exemption tag value)",
      message: (a) =>
        buildMessage(
          result(finding({ tags: { "efs-guard:exempt": "all", "efs-guard:exempt-until": a } }), "alert only"),
          event({}),
        ),
    },
    {
      name: "result detail (AWS error message)",
      message: (a) => buildMessage(result(finding(), `remediation failed: ${a}`, "remediation-failed"), event({})),
    },
    {
      name: "revoked rules (rule descriptions)",
      message: (a) =>
        buildMessage(
          result(
            finding({
              control: "efs-nfs-ingress-restricted",
              plan: {
                kind: "revoke-ingress",
                groupId: "sg-1",
                ruleIds: ["sgr-1"],
                rules: [`sgr-1 tcp 2049 from 0.0.0.0/0 (${a})`],
                describe: `revoke (${a})`,
                done: `revoked (${a})`,
                undo: `To restore: re-authorize (${a})`,
              },
            }),
            "revoked",
            "remediated",
          ),
          event({}),
        ),
    },
    {
      name: "CloudTrail userIdentity, sourceIPAddress, invokedBy, userAgent",
      message: (a) =>
        buildMessage(
          result(finding(), "x"),
          event({ arn: `arn:aws:sts::1:assumed-role/R/${a}`, sourceIPAddress: a, invokedBy: a, userAgent: a }),
        ),
    },
    {
      name: "sweep summary (error messages)",
      message: (a) =>
        buildSummaryMessage(
          {
            regions: ["us-east-1"],
            counts: {},
            nonCompliant: 0,
            remediated: 0,
            failed: 0,
            errors: [{ guard: "kms-key", region: "us-east-1", resource: a, code: "X", message: a, retryable: false }],
            cutOverPending: [],
          },
          new Date("2026-11-26T12:00:00Z"),
        ),
    },
    {
      // The replacement id is the source's efs-guard:replacement tag: text anyone allowed to tag may write.
      name: "sweep summary (migrated, cut-over pending)",
      message: (a) =>
        buildSummaryMessage(
          {
            regions: ["us-east-1"],
            counts: {},
            nonCompliant: 1,
            remediated: 0,
            failed: 0,
            errors: [],
            cutOverPending: [{ fileSystemId: "fs-12345678", replacement: a, region: "us-east-1" }],
          },
          new Date("2026-11-26T12:00:00Z"),
        ),
    },
  ];

  for (const field of fields) {
    for (const [attack, text] of Object.entries(ATTACKS)) {
      it(`${field.name}: ${attack}`, () => {
        const message = field.message(text);
        const all = [message.content.title, message.content.description, ...message.content.nextSteps];
        for (const part of all) assertInert(part);
        // The injected newline never makes a line of its own.
        expect(message.content.description).not.toMatch(/\n\*Decision:\* exempt — approved/);
        // Capped: a 100,000-character value does not make a 100 kB alert.
        expect(JSON.stringify(message).length).toBeLessThan(12_000);
        // The e-mail text (plain text: markdown means nothing there) has no live URL and no hidden characters.
        const mail = emailText(message);
        expect(mail).not.toMatch(/https?:\/\//);
        expect(hidden(mail)).toEqual([]);
      });
    }
  }
});

const state = (over: Partial<MigrationState> = {}): MigrationState => ({
  fileSystemId: "fs-0123456789abcdef0",
  region: "us-east-1",
  reason: "fs-0123456789abcdef0 is not encrypted at rest",
  requestedBy: "efs-guard efs-encrypted-at-rest",
  source: {
    fileSystemId: "fs-0123456789abcdef0",
    fileSystemArn: "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0",
    name: "shared",
    encrypted: false,
    sizeInBytes: 6144,
    mountTargets: [{ mountTargetId: "fsmt-1", subnetId: "subnet-1", securityGroups: ["sg-1"] }],
    accessPoints: [],
    lifecyclePolicies: [],
    tags: {},
    capturedAt: "2026-11-26T12:00:00Z",
  },
  backup: {
    jobId: "job-1",
    recoveryPointArn: "arn:aws:backup:us-east-1:123456789012:recovery-point:rp-1",
    vaultName: "efs-guard-migration",
    deleteAfterDays: 35,
  },
  ...over,
});
const ctx = {
  executionArn: "arn:aws:states:us-east-1:123456789012:execution:efs-guard-migration:x",
  approvalTimeout: "7d",
};

describe("the migration notices use the same escaping", () => {
  const notices: { name: string; message: (attack: string) => ChatbotMessage }[] = [
    { name: "reason", message: (a) => approvalRequestMessage(state({ reason: a }), ctx, "arn:k", "replication", 35) },
    {
      name: "requestedBy",
      message: (a) => approvalRequestMessage(state({ requestedBy: a }), ctx, "arn:k", "replication", 35),
    },
    {
      name: "file system name (Name tag)",
      message: (a) =>
        approvalRequestMessage(state({ source: { ...state().source!, name: a } }), ctx, "arn:k", "restore", 35),
    },
    {
      name: "approvedBy and comment",
      message: (a) => migratedMessage(state({ approval: { approvedBy: a, comment: a } }), ctx),
    },
    { name: "rejection reason", message: (a) => rejectedMessage(state({ error: { Error: "x", Cause: a } }), ctx) },
    {
      name: "failure cause and backup status message",
      message: (a) =>
        failedMessage(
          state({ failedAt: a, error: { Error: a, Cause: a }, backupJob: { State: "FAILED", StatusMessage: a } }),
          ctx,
        ),
    },
  ];
  for (const notice of notices) {
    for (const [attack, text] of Object.entries(ATTACKS)) {
      it(`${notice.name}: ${attack}`, () => {
        const message = notice.message(text);
        for (const part of [message.content.title, message.content.description, ...message.content.nextSteps]) {
          assertInert(part);
        }
        expect(JSON.stringify(message).length).toBeLessThan(16_000);
        expect(emailText(message)).not.toMatch(/https?:\/\//);
      });
    }
  }

  it("the rejection reason appears escaped, exactly", () => {
    const message = rejectedMessage(state({ error: { Cause: "<!channel> see <http://evil.example|here>" } }), ctx);
    expect(message.content.description.split("\n")[0]).toBe(
      "*Rejected:* &lt;!channel&gt; see &lt;http[:]//evil[.]example|here&gt;",
    );
  });
});

describe("targets", () => {
  const message = buildMessage(
    result(finding({ summary: "policy of fs-1 (*boss* <!here>)" }), "alert only: x"),
    event({ arn: "arn:aws:sts::123456789012:assumed-role/Admin/alice", sourceIPAddress: "203.0.113.10" }),
  );

  it("e-mail text: our markdown removed, values readable, entities decoded", () => {
    const mail = emailText(message);
    expect(mail.split("\n")[0]).toBe("🚨 EFS Guard: efs-tls-enforced needs attention on fs-0123456789abcdef0");
    expect(mail).toContain("policy of fs-1 (∗boss∗ <!here>)");
    expect(mail).toContain("Resource: fs-0123456789abcdef0 (file-system) in us-east-1, account 123456789012");
    expect(mail).toContain(
      "Change: AuthorizeSecurityGroupIngress by arn:aws:sts::123456789012:assumed-role/Admin/alice",
    );
  });

  it("SNS gets one structure: the Chatbot JSON by default, the text for e-mail", () => {
    const structure = JSON.parse(messageStructure(message));
    expect(JSON.parse(structure.default)).toEqual(message);
    expect(structure.email).toBe(emailText(message));
  });

  it("the e-mail subject is printable ASCII under 100 characters, whatever the title holds", () => {
    expect(subjectLine(":x: EFS Guard: <!here> déjà \u202E vu `x` *y*")).toBe("EFS Guard: <!here> d?j? ? vu x y");
    expect(subjectLine("😀".repeat(200))).toBe("EFS Guard alert");
    expect(subjectLine(`:x: ${"a".repeat(300)}`)).toHaveLength(99);
  });

  it("the terminal shows values as they are, with no escape sequence of the attacker's", () => {
    const text = renderForTerminal(
      buildMessage(result(finding({ summary: "x \u001b[2J y" }), "d"), event({ userAgent: "*ua*" })),
      false,
    );
    expect(text).not.toContain("\u001b");
    expect(text).toContain("x \uFFFD[2J y");
    expect(text).toContain("with *ua*");
    expect(toPlainText(md`\`${"<!here>"}\``)).toBe("<!here>");
  });
});
