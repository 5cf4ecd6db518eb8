import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assessTls,
  CLIENT_ACTIONS,
  consoleDefaultPolicy,
  MAX_POLICY_LENGTH,
  mergeTlsDeny,
  narrowingCondition,
  parsePolicy,
  publicGrants,
  type Statement,
  TLS_STATEMENT_SID,
  tlsDenyStatement,
  wildcardMatch,
} from "../../shared/controls/policy.js";

const ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0";
const OTHER_ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0fedcba9876543210";

const deny = (extra: Statement = {}): Statement => ({
  Effect: "Deny",
  Principal: { AWS: "*" },
  Action: "*",
  Condition: { Bool: { "aws:SecureTransport": "false" } },
  ...extra,
});
const doc = (...statements: Statement[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const enforced = (statements: Statement[]) => assessTls(statements, ARN).enforced;

describe("parsePolicy", () => {
  it("tells none, invalid and ok apart, and accepts a single statement object", () => {
    expect(parsePolicy(undefined)).toEqual({ status: "none" });
    expect(parsePolicy("{not json").status).toBe("invalid");
    expect(parsePolicy("[]").status).toBe("invalid");
    expect(parsePolicy('{"Statement": 3}').status).toBe("invalid");
    expect(parsePolicy('{"Statement": [1]}').status).toBe("invalid");
    const single = parsePolicy(JSON.stringify({ Statement: deny() }));
    expect(single.status === "ok" && single.statements).toHaveLength(1);
  });
});

describe("TLS enforcement, read semantically", () => {
  it.each<[string, Statement]>([
    ['Principal "*"', deny({ Principal: "*" })],
    ['Principal {"AWS": ["*"]}', deny({ Principal: { AWS: ["*"] } })],
    ['Action "elasticfilesystem:*"', deny({ Action: "elasticfilesystem:*" })],
    ['Action "elasticfilesystem:Client*"', deny({ Action: "elasticfilesystem:Client*" })],
    ["the three client actions listed", deny({ Action: [...CLIENT_ACTIONS] })],
    ["client actions in lower case", deny({ Action: CLIENT_ACTIONS.map((a) => a.toLowerCase()) })],
    ["NotAction that excludes no client action", deny({ Action: undefined, NotAction: "elasticfilesystem:Describe*" })],
    ["BoolIfExists", deny({ Condition: { BoolIfExists: { "aws:SecureTransport": "false" } } })],
    ["JSON false", deny({ Condition: { Bool: { "aws:SecureTransport": false } } })],
    ["a list with false", deny({ Condition: { Bool: { "aws:SecureTransport": ["false"] } } })],
    ["key in another case", deny({ Condition: { Bool: { "aws:securetransport": "False" } } })],
    ["Resource of this file system", deny({ Resource: ARN })],
    ["Resource wildcard", deny({ Resource: "arn:aws:elasticfilesystem:*:123456789012:file-system/*" })],
  ])("a deny with %s enforces TLS", (_name, statement) => {
    const s = { ...statement };
    if (s.Action === undefined) delete s.Action;
    expect(enforced([s])).toBe(true);
  });

  it.each<[string, Statement]>([
    ["Effect Allow", deny({ Effect: "Allow" })],
    ["one principal only", deny({ Principal: { AWS: "arn:aws:iam::123456789012:root" } })],
    ["NotPrincipal", { ...deny(), Principal: undefined, NotPrincipal: { AWS: "arn:aws:iam::123456789012:root" } }],
    ["ClientMount only", deny({ Action: "elasticfilesystem:ClientMount" })],
    [
      "ClientWrite and ClientMount only",
      deny({ Action: ["elasticfilesystem:ClientWrite", "elasticfilesystem:ClientMount"] }),
    ],
    [
      "NotAction excluding ClientRootAccess",
      { ...deny(), Action: undefined, NotAction: "elasticfilesystem:ClientRootAccess" },
    ],
    ["SecureTransport true", deny({ Condition: { Bool: { "aws:SecureTransport": "true" } } })],
    [
      "no condition key for TLS",
      deny({ Condition: { Bool: { "elasticfilesystem:AccessedViaMountTarget": "false" } } }),
    ],
    [
      "an extra narrowing condition",
      deny({
        Condition: { Bool: { "aws:SecureTransport": "false" }, StringEquals: { "aws:SourceVpc": "vpc-1" } },
      }),
    ],
    [
      "an extra key under Bool",
      deny({
        Condition: { Bool: { "aws:SecureTransport": "false", "elasticfilesystem:AccessedViaMountTarget": "true" } },
      }),
    ],
    [
      "a StringEquals operator instead of Bool",
      deny({ Condition: { StringEquals: { "aws:SecureTransport": "false" } } }),
    ],
    ["another file system's ARN", deny({ Resource: OTHER_ARN })],
    ["NotResource naming this file system", { ...deny(), NotResource: ARN }],
  ])("a deny with %s does not", (_name, statement) => {
    const s = Object.fromEntries(Object.entries(statement).filter(([, v]) => v !== undefined));
    expect(enforced([s])).toBe(false);
  });

  it("several statements together can cover every client action", () => {
    expect(
      enforced([
        deny({ Action: "elasticfilesystem:ClientMount" }),
        deny({ Action: ["elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"] }),
      ]),
    ).toBe(true);
    expect(assessTls([deny({ Action: "elasticfilesystem:ClientMount" })], ARN).uncovered).toEqual([
      "elasticfilesystem:ClientWrite",
      "elasticfilesystem:ClientRootAccess",
    ]);
  });

  it("wildcards follow IAM: * any run, ? one character, actions case-insensitive", () => {
    expect(wildcardMatch("elasticfilesystem:Client?ount", "elasticfilesystem:ClientMount")).toBe(true);
    expect(wildcardMatch("elasticfilesystem:Client", "elasticfilesystem:ClientMount")).toBe(false);
    expect(wildcardMatch("ELASTICFILESYSTEM:*", "elasticfilesystem:ClientWrite")).toBe(true);
    expect(wildcardMatch("arn:aws:x:(y)", "arn:aws:x:(y)")).toBe(true);
  });
});

describe("mergeTlsDeny", () => {
  it("with no policy writes the console's pair: Allow via mount target + Deny without TLS", () => {
    const merge = mergeTlsDeny(undefined, ARN);
    expect(merge.status).toBe("merged");
    if (merge.status !== "merged") return;
    expect(merge.wroteDefault).toBe(true);
    const written = JSON.parse(merge.policy);
    expect(written).toEqual(consoleDefaultPolicy(ARN));
    expect(written.Statement[0]).toMatchObject({
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: [...CLIENT_ACTIONS],
      Condition: { Bool: { "elasticfilesystem:AccessedViaMountTarget": "true" } },
    });
    expect(enforced(written.Statement)).toBe(true);
    expect(publicGrants(written.Statement, ARN)).toEqual([]);
  });

  it("appends one deny and keeps every other statement and top-level key as it was", () => {
    const original = {
      Version: "2012-10-17",
      Id: "custom",
      Statement: [
        {
          Sid: "ReadOnly",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::123456789012:role/app" },
          Action: "elasticfilesystem:ClientMount",
        },
        deny({ Sid: TLS_STATEMENT_SID, Action: "elasticfilesystem:ClientMount" }),
      ],
    };
    const merge = mergeTlsDeny(JSON.stringify(original), ARN);
    expect(merge.status).toBe("merged");
    if (merge.status !== "merged") return;
    const written = JSON.parse(merge.policy);
    expect(written.Id).toBe("custom");
    expect(written.Statement.slice(0, 2)).toEqual(original.Statement);
    expect(written.Statement[2]).toEqual(tlsDenyStatement(ARN, `${TLS_STATEMENT_SID}2`));
    expect(enforced(written.Statement)).toBe(true);
  });

  it("turns a single statement object into a list", () => {
    const merge = mergeTlsDeny(JSON.stringify({ Statement: { Effect: "Allow", Principal: "*", Action: "*" } }), ARN);
    expect(merge.status === "merged" && JSON.parse(merge.policy).Statement).toHaveLength(2);
  });

  it("says compliant when the policy already enforces TLS, and is idempotent on its own output", () => {
    expect(mergeTlsDeny(doc(deny()), ARN).status).toBe("compliant");
    const once = mergeTlsDeny(doc({ Effect: "Allow", Principal: "*", Action: "*" }), ARN);
    expect(once.status === "merged" && mergeTlsDeny(once.policy, ARN).status).toBe("compliant");
  });

  it("refuses an unreadable policy and one that would exceed EFS's 20,000 characters", () => {
    expect(mergeTlsDeny("{oops", ARN)).toMatchObject({ status: "invalid" });
    const big = doc({
      Sid: "x".repeat(MAX_POLICY_LENGTH - 300),
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::123456789012:root" },
      Action: "*",
    });
    expect(big.length).toBeLessThan(MAX_POLICY_LENGTH);
    const merge = mergeTlsDeny(big, ARN);
    expect(merge.status).toBe("too-large");
  });

  it("falls back to compact JSON when only that fits", () => {
    const statements = Array.from({ length: 60 }, (_, i) => ({
      Sid: `S${i}`,
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::123456789012:role/app-${"r".repeat(120)}-${i}` },
      Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
    }));
    const text = JSON.stringify({ Version: "2012-10-17", Statement: statements });
    const merge = mergeTlsDeny(text, ARN);
    expect(merge.status).toBe("merged");
    if (merge.status !== "merged") return;
    expect(JSON.stringify(JSON.parse(merge.policy), null, 2).length).toBeGreaterThan(MAX_POLICY_LENGTH);
    expect(merge.policy.length).toBeLessThanOrEqual(MAX_POLICY_LENGTH);
  });

  it("property: any valid policy merges to one that enforces TLS and contains the original statements", () => {
    const statement = fc.record({
      Effect: fc.constantFrom("Allow", "Deny"),
      Principal: fc.constantFrom("*", { AWS: "*" }, { AWS: "arn:aws:iam::123456789012:root" }),
      Action: fc.constantFrom("*", "elasticfilesystem:ClientMount", ["elasticfilesystem:ClientWrite"]),
      Condition: fc.option(
        fc.constantFrom(
          { Bool: { "aws:SecureTransport": "false" } },
          { Bool: { "aws:SecureTransport": "true" } },
          { StringEquals: { "aws:SourceVpc": "vpc-1" } },
        ),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 6 }), (raw) => {
        const statements = raw.map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)));
        const merge = mergeTlsDeny(doc(...statements), ARN);
        if (merge.status === "compliant") return enforced(statements);
        if (merge.status !== "merged") return false;
        const written = JSON.parse(merge.policy).Statement as Statement[];
        return enforced(written) && JSON.stringify(written.slice(0, statements.length)) === JSON.stringify(statements);
      }),
    );
  });
});

describe("public grants", () => {
  const allow = (extra: Statement = {}): Statement => ({
    Effect: "Allow",
    Principal: { AWS: "*" },
    Action: [...CLIENT_ACTIONS],
    ...extra,
  });

  it.each<[string, Statement]>([
    ["no condition", allow()],
    ['Principal "*"', allow({ Principal: "*" })],
    ["NotPrincipal", { Effect: "Allow", NotPrincipal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "*" }],
    ["only a TLS condition", allow({ Condition: { Bool: { "aws:SecureTransport": "true" } } })],
    [
      "AccessedViaMountTarget false",
      allow({ Condition: { Bool: { "elasticfilesystem:AccessedViaMountTarget": "false" } } }),
    ],
    ["an IfExists org condition", allow({ Condition: { StringEqualsIfExists: { "aws:PrincipalOrgID": "o-1" } } })],
    ["a wildcard org id", allow({ Condition: { StringLike: { "aws:PrincipalOrgID": "*" } } })],
    ["SourceIp 0.0.0.0/0", allow({ Condition: { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } } })],
    ["a negated operator", allow({ Condition: { StringNotEquals: { "aws:SourceVpc": "vpc-1" } } })],
  ])("an Allow to everyone with %s is public", (_name, statement) => {
    expect(publicGrants([statement], ARN)).toHaveLength(1);
  });

  it.each<[string, Statement]>([
    [
      "AccessedViaMountTarget true",
      allow({ Condition: { Bool: { "elasticfilesystem:AccessedViaMountTarget": "true" } } }),
    ],
    ["SourceVpc", allow({ Condition: { StringEquals: { "aws:SourceVpc": "vpc-0123" } } })],
    ["SourceVpce", allow({ Condition: { StringEquals: { "aws:SourceVpce": "vpce-0123" } } })],
    ["PrincipalOrgID", allow({ Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } } })],
    ["PrincipalAccount", allow({ Condition: { StringEquals: { "aws:PrincipalAccount": "123456789012" } } })],
    ["SourceAccount", allow({ Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } })],
    ["SourceIp", allow({ Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/16" } } })],
    ["PrincipalArn", allow({ Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::123456789012:role/*" } } })],
  ])("an Allow to everyone narrowed by %s is not public", (_name, statement) => {
    expect(publicGrants([statement], ARN)).toEqual([]);
  });

  it("a Deny, a named principal, a non-client action or another file system's grant is not public", () => {
    expect(publicGrants([allow({ Effect: "Deny" })], ARN)).toEqual([]);
    expect(publicGrants([allow({ Principal: { AWS: "arn:aws:iam::123456789012:root" } })], ARN)).toEqual([]);
    expect(publicGrants([allow({ Action: "elasticfilesystem:DescribeMountTargets" })], ARN)).toEqual([]);
    expect(publicGrants([allow({ Resource: OTHER_ARN })], ARN)).toEqual([]);
  });

  it("names the narrowing condition", () => {
    expect(narrowingCondition({ StringEquals: { "aws:SourceVpc": ["vpc-1", "vpc-2"] } })).toBe(
      "StringEquals aws:SourceVpc vpc-1, vpc-2",
    );
    expect(narrowingCondition(undefined)).toBeUndefined();
  });
});
