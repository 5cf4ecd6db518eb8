import { describe, expect, it } from "vitest";
import { policyEnforcesTls, policyForReplacement, TLS_DENY_SID } from "../../shared/migration/tls.js";

const SRC = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-aaaa1111";
const DST = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-bbbb2222";
const policy = (...Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const deny = (extra: Record<string, unknown> = {}) => ({
  Effect: "Deny",
  Principal: { AWS: "*" },
  Action: "*",
  Resource: SRC,
  Condition: { Bool: { "aws:SecureTransport": "false" } },
  ...extra,
});

describe("policyEnforcesTls", () => {
  it("accepts the console's statement and its equivalents", () => {
    expect(policyEnforcesTls(policy(deny()), SRC)).toBe(true);
    expect(policyEnforcesTls(policy(deny({ Principal: "*" })), SRC)).toBe(true);
    expect(policyEnforcesTls(policy(deny({ Action: "elasticfilesystem:*" })), SRC)).toBe(true);
    expect(
      policyEnforcesTls(
        policy(
          deny({
            Action: [
              "elasticfilesystem:ClientMount",
              "elasticfilesystem:ClientWrite",
              "elasticfilesystem:ClientRootAccess",
            ],
          }),
        ),
        SRC,
      ),
    ).toBe(true);
    expect(
      policyEnforcesTls(policy(deny({ Condition: { BoolIfExists: { "aws:SecureTransport": ["false"] } } })), SRC),
    ).toBe(true);
    expect(policyEnforcesTls(JSON.stringify({ Statement: deny() }), SRC)).toBe(true);
  });

  it("rejects what leaves plain NFS open", () => {
    expect(policyEnforcesTls(undefined, SRC)).toBe(false);
    expect(policyEnforcesTls(policy(deny({ Effect: "Allow" })), SRC)).toBe(false);
    expect(policyEnforcesTls(policy(deny({ Principal: { AWS: "arn:aws:iam::123456789012:role/x" } })), SRC)).toBe(
      false,
    );
    expect(policyEnforcesTls(policy(deny({ Action: "elasticfilesystem:ClientWrite" })), SRC)).toBe(false);
    expect(policyEnforcesTls(policy(deny({ Condition: { Bool: { "aws:SecureTransport": "true" } } })), SRC)).toBe(
      false,
    );
    expect(policyEnforcesTls(policy(deny({ Condition: undefined })), SRC)).toBe(false);
  });
});

describe("policyForReplacement", () => {
  it("keeps every statement, points them at the new file system, and adds the denial once", () => {
    const allow = {
      Sid: "App",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::123456789012:role/app" },
      Action: "elasticfilesystem:ClientMount",
      Resource: SRC,
    };
    const out = policyForReplacement(policy(allow), SRC, DST);
    expect(out.tlsStatementAdded).toBe(true);
    const doc = JSON.parse(out.policy);
    expect(doc.Statement).toHaveLength(2);
    expect(doc.Statement[0]).toEqual({ ...allow, Resource: DST });
    expect(doc.Statement[1]).toMatchObject({ Sid: TLS_DENY_SID, Resource: DST });
    expect(policyEnforcesTls(out.policy, DST)).toBe(true);
    expect(policyForReplacement(out.policy, DST, DST)).toEqual({ policy: out.policy, tlsStatementAdded: false });
  });

  it("with no policy writes the console's default: mount-target clients allowed, insecure transport denied", () => {
    const out = policyForReplacement(undefined, SRC, DST);
    const doc = JSON.parse(out.policy);
    expect(doc.Statement[0]).toMatchObject({
      Effect: "Allow",
      Condition: { Bool: { "elasticfilesystem:AccessedViaMountTarget": "true" } },
    });
    expect(policyEnforcesTls(out.policy, DST)).toBe(true);
  });

  it("an already compliant policy is kept as it is (but for the ARN)", () => {
    const out = policyForReplacement(policy(deny()), SRC, DST);
    expect(out.tlsStatementAdded).toBe(false);
    expect(JSON.parse(out.policy).Statement).toEqual([{ ...deny(), Resource: DST }]);
  });
});
