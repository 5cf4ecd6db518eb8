import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/schema.js";
import { evaluate } from "../../shared/controls/key-policy-restricted.js";
import type { KmsKeyState } from "../../shared/controls/kms-key-state.js";
import { fixedClock } from "../../shared/runtime/clock.js";

const clock = fixedClock("2026-12-01T12:00:00Z");
const config = parseConfig({});
const OWN = "123456789012";
const KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";
const ARN = `arn:aws:kms:us-east-1:${OWN}:key/${KEY}`;

/** The default key policy's statement (AWS KMS Developer Guide, "Default key policy"): the key's own account. */
const ROOT = {
  Sid: "Enable IAM User Permissions",
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${OWN}:root` },
  Action: "kms:*",
  Resource: "*",
};

function state(policy: unknown, overrides: Partial<KmsKeyState> = {}): KmsKeyState & { policy?: string } {
  return {
    keyId: KEY,
    arn: ARN,
    region: "us-east-1",
    account: OWN,
    keyManager: "CUSTOMER",
    keyState: "Enabled",
    fileSystems: ["fs-0a", "fs-0b"],
    policy: typeof policy === "string" ? policy : JSON.stringify(policy),
    ...overrides,
  };
}

const policyOf = (...statements: object[]) => ({ Version: "2012-10-17", Statement: [ROOT, ...statements] });
const allow = (extra: object) => ({ Sid: "Extra", Effect: "Allow", Resource: "*", ...extra });
const verdict = (policy: unknown, c = config) => evaluate(state(policy), c, clock);

describe("efs-key-policy-restricted", () => {
  it("the default key policy (the key's own account root, kms:*) is compliant", () => {
    const f = verdict(policyOf());
    expect(f).toMatchObject({ verdict: "compliant", severity: "info" });
    expect(f.evidence.trustedAccounts).toEqual([OWN]);
  });

  it("the recorded PutKeyPolicy sample's policy (kms:Decrypt to {AWS:*}) is critical", () => {
    const sample = JSON.parse(readFileSync("events/samples/kms-put-key-policy.json", "utf8"));
    const f = verdict(sample.detail.requestParameters.policy);
    expect(f).toMatchObject({ verdict: "non-compliant", severity: "critical" });
    expect(f.evidence.grants).toEqual([
      { statement: "Allow use by everyone", actions: ["kms:Decrypt"], to: "everyone" },
    ]);
  });

  it.each([
    ['"Principal":"*"', { Principal: "*", Action: "kms:Decrypt" }, ["kms:Decrypt"]],
    ['{"AWS":"*"}', { Principal: { AWS: "*" }, Action: "kms:Decrypt" }, ["kms:Decrypt"]],
    [
      '{"AWS":["<own root>","*"]}',
      { Principal: { AWS: [`arn:aws:iam::${OWN}:root`, "*"] }, Action: "kms:Decrypt" },
      ["kms:Decrypt"],
    ],
    [
      "kms:*",
      { Principal: "*", Action: "kms:*" },
      ["kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:CreateGrant"],
    ],
    [
      '"*"',
      { Principal: "*", Action: "*" },
      ["kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:CreateGrant"],
    ],
    ["kms:Re*", { Principal: "*", Action: "kms:Re*" }, ["kms:ReEncryptFrom", "kms:ReEncryptTo"]],
    ["kms:ReEncrypt*", { Principal: "*", Action: ["kms:ReEncrypt*"] }, ["kms:ReEncryptFrom", "kms:ReEncryptTo"]],
    ["kms:CreateGrant", { Principal: "*", Action: "kms:CreateGrant" }, ["kms:CreateGrant"]],
    ["lower case kms:decrypt", { Principal: "*", Action: "kms:decrypt" }, ["kms:Decrypt"]],
    ["upper case KMS:DECRYPT", { Principal: "*", Action: "KMS:DECRYPT" }, ["kms:Decrypt"]],
    ["kms:?ecrypt", { Principal: "*", Action: "kms:?ecrypt" }, ["kms:Decrypt"]],
    [
      "NotAction kms:Encrypt",
      { Principal: "*", NotAction: "kms:Encrypt" },
      ["kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:CreateGrant"],
    ],
    ["NotPrincipal", { NotPrincipal: { AWS: `arn:aws:iam::${OWN}:root` }, Action: "kms:Decrypt" }, ["kms:Decrypt"]],
    [
      "a condition that does not narrow (encryption context only)",
      {
        Principal: "*",
        Action: "kms:Decrypt",
        Condition: { StringEquals: { "kms:EncryptionContext:aws:elasticfilesystem:filesystem:id": "fs-0a" } },
      },
      ["kms:Decrypt"],
    ],
    [
      "an ...IfExists account condition",
      { Principal: "*", Action: "kms:Decrypt", Condition: { StringEqualsIfExists: { "kms:CallerAccount": OWN } } },
      ["kms:Decrypt"],
    ],
  ] as const)("%s: data-plane use for everyone is critical, naming the exact actions", (_, statement, actions) => {
    const f = verdict(policyOf(allow(statement)));
    expect(f).toMatchObject({ verdict: "non-compliant", severity: "critical" });
    expect(f.evidence.grants).toEqual([{ statement: "Extra", actions: [...actions], to: "everyone" }]);
  });

  it.each([
    ["kms:CallerAccount *", { StringLike: { "kms:CallerAccount": "*" } }],
    ["kms:CallerAccount 1234*", { StringLike: { "kms:CallerAccount": "1234*" } }],
    ["aws:PrincipalAccount ????????????", { StringLike: { "aws:PrincipalAccount": "????????????" } }],
    ["aws:PrincipalOrgID o-*", { StringLike: { "aws:PrincipalOrgID": "o-*" } }],
    ["aws:PrincipalArn of any account", { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/app" } }],
    ["kms:ViaService of any service", { StringLike: { "kms:ViaService": "*.amazonaws.com" } }],
  ])("a wildcard pattern in the condition (%s) does not narrow", (_, condition) => {
    const f = verdict(policyOf(allow({ Principal: "*", Action: "kms:Decrypt", Condition: condition })));
    expect(f).toMatchObject({ verdict: "non-compliant", severity: "critical" });
  });

  it.each([
    ["kms:CallerAccount = own account", { StringEquals: { "kms:CallerAccount": OWN } }],
    ["kms:ViaService", { StringEquals: { "kms:ViaService": "elasticfilesystem.us-east-1.amazonaws.com" } }],
    ["kms:ViaService, any region", { StringLike: { "kms:ViaService": "elasticfilesystem.*.amazonaws.com" } }],
    ["aws:PrincipalOrgID", { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } }],
    ["aws:PrincipalAccount = own account", { StringEquals: { "aws:PrincipalAccount": OWN } }],
    [
      "aws:PrincipalArn of own account, wildcard name",
      { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${OWN}:role/app-*` } },
    ],
    [
      "the AWS managed key's pair (CallerAccount and ViaService)",
      { StringEquals: { "kms:CallerAccount": OWN, "kms:ViaService": "elasticfilesystem.us-east-1.amazonaws.com" } },
    ],
  ])("a narrowing condition (%s) makes a grant to everyone compliant", (_, condition) => {
    expect(verdict(policyOf(allow({ Principal: "*", Action: "kms:Decrypt", Condition: condition }))).verdict).toBe(
      "compliant",
    );
  });

  it("an account outside trustedAccounts named as principal is high; trusting it makes the policy compliant", () => {
    const policy = policyOf(allow({ Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "kms:Decrypt" }));
    const f = verdict(policy);
    expect(f).toMatchObject({ verdict: "non-compliant", severity: "high" });
    expect(f.evidence.grants).toEqual([{ statement: "Extra", actions: ["kms:Decrypt"], to: ["999999999999"] }]);
    expect(f.summary).toContain("untrusted account(s) 999999999999");
    expect(verdict(policy, parseConfig({ trustedAccounts: ["999999999999"] })).verdict).toBe("compliant");
  });

  it("a bare account id and a role of another account are that account", () => {
    for (const principal of ["999999999999", "arn:aws:iam::999999999999:role/reader"]) {
      const f = verdict(policyOf(allow({ Principal: { AWS: principal }, Action: "kms:ReEncrypt*" })));
      expect(f.evidence.grants).toEqual([
        { statement: "Extra", actions: ["kms:ReEncryptFrom", "kms:ReEncryptTo"], to: ["999999999999"] },
      ]);
    }
  });

  it("an account condition naming an untrusted account still reaches it, unless another ANDed one keeps it home", () => {
    const untrusted = allow({
      Principal: "*",
      Action: "kms:Decrypt",
      Condition: { StringEquals: { "kms:CallerAccount": "999999999999" } },
    });
    expect(verdict(policyOf(untrusted)).evidence.grants).toEqual([
      { statement: "Extra", actions: ["kms:Decrypt"], to: ["999999999999"] },
    ]);
    // kms:ViaService narrows, but does not keep the untrusted account's callers out.
    const viaService = allow({
      Principal: "*",
      Action: "kms:Decrypt",
      Condition: {
        StringEquals: {
          "kms:ViaService": "elasticfilesystem.us-east-1.amazonaws.com",
          "kms:CallerAccount": "999999999999",
        },
      },
    });
    expect(verdict(policyOf(viaService)).severity).toBe("high");
    const home = allow({
      Principal: "*",
      Action: "kms:Decrypt",
      Condition: { StringEquals: { "kms:CallerAccount": OWN, "aws:PrincipalAccount": "999999999999" } },
    });
    expect(verdict(policyOf(home)).verdict).toBe("compliant");
  });

  it("control-plane grants to everyone, Deny statements and service principals are not data-plane grants", () => {
    const f = verdict(
      policyOf(
        allow({ Principal: "*", Action: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:Encrypt"] }),
        { Sid: "Deny", Effect: "Deny", Principal: "*", Action: "kms:Decrypt", Resource: "*" },
        allow({ Principal: { Service: "elasticfilesystem.amazonaws.com" }, Action: "kms:Decrypt" }),
      ),
    );
    expect(f.verdict).toBe("compliant");
  });

  it("an unreadable or missing policy is medium: who may decrypt cannot be told", () => {
    expect(evaluate(state("{not json"), config, clock)).toMatchObject({ verdict: "non-compliant", severity: "medium" });
    const none = state(undefined);
    delete none.policy;
    expect(evaluate(none, config, clock).evidence.problem).toBe("invalid");
  });

  it("is not applicable to AWS managed keys and to keys that encrypt no file system", () => {
    const open = policyOf(allow({ Principal: "*", Action: "kms:*" }));
    expect(evaluate(state(open, { keyManager: "AWS" }), config, clock).verdict).toBe("not-applicable");
    expect(evaluate(state(open, { fileSystems: [] }), config, clock).verdict).toBe("not-applicable");
  });

  it("a key whose manager was not read (the access function on CreateFileSystem) is judged on its policy", () => {
    const open = policyOf(allow({ Principal: "*", Action: "kms:Decrypt" }));
    expect(evaluate(state(open, { keyManager: "unread" }), config, clock)).toMatchObject({
      verdict: "non-compliant",
      severity: "critical",
    });
    // The AWS managed key's own policy (its grant to everyone narrowed to the account and the service) passes.
    const managed = policyOf(
      allow({
        Principal: { AWS: "*" },
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant"],
        Condition: {
          StringEquals: { "kms:CallerAccount": OWN, "kms:ViaService": "elasticfilesystem.us-east-1.amazonaws.com" },
        },
      }),
    );
    expect(evaluate(state(managed, { keyManager: "unread" }), config, clock).verdict).toBe("compliant");
  });

  it("statement ids are the caller's text: they reach the finding as data (alerts escape them)", () => {
    const f = verdict(policyOf({ ...allow({ Principal: "*", Action: "kms:Decrypt" }), Sid: "<!channel> *bold*" }));
    expect(f.summary).toContain("statement <!channel> *bold*");
  });
});
