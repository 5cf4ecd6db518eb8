import { describe, expect, it } from "vitest";
import {
  APPROVAL_HEADER,
  approverMatch,
  bindingFor,
  GET_CALLER_IDENTITY_BODY,
  inspectStatement,
  judge,
  parseAnswer,
  principalOf,
  sameAsCreator,
} from "../../shared/migration/approval.js";

/** The judgement of an approval answer (shared/migration/approval.ts), with the identities STS would name. */

const A = "123456789012";
const sso = (set: string, user: string) =>
  `arn:aws:sts::${A}:assumed-role/AWSReservedSSO_${set}_0123456789abcdef/${user}`;
const approverSession = (s: string) => `arn:aws:sts::${A}:assumed-role/efs-guard-approver/${s}`;
const APPROVERS = [`arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Approvers_*`];
const base = {
  decision: "approve" as const,
  approvers: APPROVERS,
  homeAccount: A,
  approverRoleName: "efs-guard-approver",
  requireSeparateApprover: true,
};

describe("judge", () => {
  it("accepts a named approver vouched for by an approver role session, and says who", () => {
    expect(
      judge({
        ...base,
        identity: { arn: sso("Approvers", "jane@example.com") },
        role: { arn: approverSession("jane") },
      }),
    ).toEqual({
      decision: "approve",
      verified: true,
      by: sso("Approvers", "jane@example.com"),
      via: approverSession("jane"),
      as: "named",
    });
  });

  it("with no approvers configured, accepts any principal of the account that holds an approver role session", () => {
    const out = judge({
      ...base,
      approvers: [],
      identity: { arn: `arn:aws:iam::${A}:user/ops` },
      role: { arn: approverSession("ops") },
    });
    expect(out).toMatchObject({ verified: true, as: "account" });
    expect(
      judge({ ...base, approvers: [], identity: { arn: "arn:aws:iam::999999999999:user/ops" }, role: out as never })
        .verified,
    ).toBe(false);
  });

  it.each([
    [
      "a refused statement",
      { identity: { refused: "STS answered SignatureDoesNotMatch" }, role: { arn: approverSession("x") } },
      "the identity statement was refused: STS answered SignatureDoesNotMatch",
    ],
    [
      "a role statement not from the approver role",
      { identity: { arn: sso("Approvers", "jane") }, role: { arn: sso("Approvers", "jane") } },
      "must be signed by the role efs-guard-approver",
    ],
    [
      "an approver role session as the identity",
      { identity: { arn: approverSession("jane") }, role: { arn: approverSession("jane") } },
      "must be signed with the approver's own credentials",
    ],
    [
      "the root user",
      { identity: { arn: `arn:aws:iam::${A}:root` }, role: { arn: approverSession("r") } },
      "root user",
    ],
    [
      "someone not listed",
      { identity: { arn: sso("Developers", "mallory") }, role: { arn: approverSession("m") } },
      "is not one of the approvers",
    ],
    [
      "an approver role of another account",
      {
        identity: { arn: sso("Approvers", "jane") },
        role: { arn: "arn:aws:sts::999999999999:assumed-role/efs-guard-approver/j" },
      },
      "must be signed by the role efs-guard-approver",
    ],
  ])("refuses %s", (_, statements, reason) => {
    const out = judge({ ...base, ...statements });
    expect(out.verified).toBe(false);
    expect(out.reason).toContain(reason);
  });

  it("refuses the creator when requireSeparateApprover is on, not when it is off", () => {
    const input = {
      ...base,
      identity: { arn: sso("Approvers", "Jane@Example.com") },
      role: { arn: approverSession("jane") },
      creator: { arn: sso("Developers", "jane@example.com") },
    };
    expect(judge(input).reason).toContain("is the same IAM Identity Center user (jane@example.com)");
    expect(judge({ ...input, requireSeparateApprover: false }).verified).toBe(true);
  });
});

describe("sameAsCreator", () => {
  it("matches sessions of one role, one IAM user, one Identity Center user across permission sets", () => {
    expect(
      sameAsCreator(principalOf(`arn:aws:sts::${A}:assumed-role/deployer/a`), {
        arn: `arn:aws:sts::${A}:assumed-role/deployer/b`,
      }),
    ).toContain("the same role");
    expect(sameAsCreator(principalOf(`arn:aws:iam::${A}:user/p/ops`), { arn: `arn:aws:iam::${A}:user/ops` })).toContain(
      "the same IAM user",
    );
    expect(sameAsCreator(principalOf(sso("Approvers", "bob")), { arn: sso("Developers", "jane") })).toBeUndefined();
    expect(
      sameAsCreator(principalOf(`arn:aws:iam::${A}:user/jane`), { arn: sso("Developers", "jane") }),
    ).toBeUndefined();
  });
});

describe("approverMatch", () => {
  it("matches role entries on the role's name (STS ARNs carry no path), user entries on the user's", () => {
    expect(approverMatch(principalOf(sso("Approvers", "j")), APPROVERS, A)).toBe("named");
    expect(
      approverMatch(principalOf(sso("ApproversX", "j")), [`arn:aws:iam::${A}:role/AWSReservedSSO_Approvers_*`], A),
    ).toBeUndefined();
    expect(approverMatch(principalOf(`arn:aws:iam::${A}:user/ops/jane`), [`arn:aws:iam::${A}:user/jane`], A)).toBe(
      "named",
    );
    expect(
      approverMatch(principalOf(`arn:aws:iam::${A}:user/jane`), [`arn:aws:iam::999999999999:user/jane`], A),
    ).toBeUndefined();
    expect(approverMatch(principalOf(`arn:aws:iam::${A}:user/jane`), [A], A)).toBe("account");
  });
});

describe("inspectStatement", () => {
  const now = new Date("2026-05-01T12:00:00Z");
  const binding = bindingFor({ decision: "approve", executionArn: "arn:x", round: 1, text: "ok" });
  const statement = (headers: Record<string, string> = {}, body = GET_CALLER_IDENTITY_BODY) => ({
    headers: {
      host: "sts.us-east-1.amazonaws.com",
      "x-amz-date": "20260501T115500Z",
      [APPROVAL_HEADER]: binding,
      authorization: `AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEEXAMPLE/20260501/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date;${APPROVAL_HEADER}, Signature=${"a".repeat(64)}`,
      ...headers,
    },
    body,
  });

  it("accepts a recent GetCallerIdentity for STS whose signature covers host, date and binding", () => {
    expect(inspectStatement(statement(), binding, now)).toMatchObject({
      accessKeyId: "ASIAEXAMPLEEXAMPLE",
      host: "sts.us-east-1.amazonaws.com",
    });
  });

  it.each([
    [
      "another binding",
      statement({ [APPROVAL_HEADER]: bindingFor({ decision: "reject", executionArn: "arn:x", round: 1, text: "ok" }) }),
      "another answer",
    ],
    [
      "another text",
      statement({
        [APPROVAL_HEADER]: bindingFor({ decision: "approve", executionArn: "arn:x", round: 1, text: "ok!" }),
      }),
      "another answer",
    ],
    ["an old date", statement({ "x-amz-date": "20260501T113000Z" }), "30 minutes ago"],
    ["a future date", statement({ "x-amz-date": "20260501T121000Z" }), "in the future"],
    ["another body", statement({}, "Action=AssumeRole&Version=2011-06-15"), "not a GetCallerIdentity"],
    [
      "an unsigned binding",
      statement({ authorization: statement().headers.authorization.replace(`;${APPROVAL_HEADER}`, "") }),
      `does not cover ${APPROVAL_HEADER}`,
    ],
    [
      "another service",
      statement({ authorization: statement().headers.authorization.replace("/sts/", "/iam/") }),
      "signed for iam",
    ],
    ["no signature", statement({ authorization: "Bearer x" }), "Signature Version 4"],
  ])("refuses %s", (_, s, reason) => {
    const out = inspectStatement(s, binding, now);
    expect(out).toEqual({ refused: expect.stringContaining(reason) });
  });
});

describe("parseAnswer", () => {
  it("reads the answer from an output object or a cause string, and refuses anything else without quoting it", () => {
    const answer = {
      v: 1,
      decision: "reject",
      round: 2,
      text: "no",
      statements: { identity: { headers: {}, body: "" }, role: { headers: {}, body: "" } },
    };
    expect(parseAnswer(answer)).toEqual(answer);
    expect(parseAnswer(JSON.stringify(answer))).toEqual(answer);
    expect(parseAnswer("rejected by the CISO")).toEqual({ error: expect.stringContaining("not JSON") });
    expect(parseAnswer({ ...answer, "<!channel>": 1 })).toEqual({
      error: "the answer carries no valid approver statements",
    });
  });
});
