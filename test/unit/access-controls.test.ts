import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/schema.js";
import * as accessPoint from "../../shared/controls/access-point-enforced.js";
import type { FileSystemFacts } from "../../shared/controls/file-system.js";
import * as iam from "../../shared/controls/iam-authorization-required.js";
import { consoleDefaultPolicy, fixesOwner } from "../../shared/controls/policy.js";
import * as root from "../../shared/controls/root-access-restricted.js";
import { fixedClock } from "../../shared/runtime/clock.js";

const clock = fixedClock("2026-11-26T12:00:00Z");
const config = parseConfig({});
const ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0";
const fs = (extra: Partial<FileSystemFacts> = {}): FileSystemFacts => ({
  fileSystemId: "fs-0123456789abcdef0",
  region: "us-east-1",
  arn: ARN,
  name: "shared",
  lifeCycleState: "available",
  encrypted: true,
  tags: { Name: "shared" },
  ...extra,
});
const MOUNT = "elasticfilesystem:ClientMount";
const WRITE = "elasticfilesystem:ClientWrite";
const ROOT = "elasticfilesystem:ClientRootAccess";
const APP_ROLE = "arn:aws:iam::123456789012:role/app";

/** The policy of the recorded PutFileSystemPolicy sample: the console's "prevent anonymous access" statement. */
const recorded: string = JSON.parse(
  readFileSync(new URL("../../events/samples/efs-put-file-system-policy.json", import.meta.url), "utf8"),
).detail.requestParameters.policy;

const policy = (...Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const allow = (extra: Record<string, unknown> = {}) => ({
  Effect: "Allow",
  Principal: { AWS: "*" },
  Action: [MOUNT, WRITE, ROOT],
  Resource: ARN,
  ...extra,
});
const both = (text: string | undefined, fileSystem = fs()) => ({
  iam: iam.evaluate({ fileSystem, policy: text }, config, clock),
  root: root.evaluate({ fileSystem, policy: text }, config, clock),
});
const verdicts = (text: string | undefined) => {
  const { iam: i, root: r } = both(text);
  return { iam: i.verdict, root: r.verdict };
};

describe("efs-iam-authorization-required and efs-root-access-restricted on recorded policies", () => {
  it("no policy: EFS's default grants every client mount, write and root, so both are non-compliant (medium)", () => {
    const { iam: i, root: r } = both(undefined);
    expect([i.verdict, i.severity, r.verdict, r.severity]).toEqual([
      "non-compliant",
      "medium",
      "non-compliant",
      "medium",
    ]);
    expect(i.summary).toBe(
      "fs-0123456789abcdef0 (shared) has no file system policy: every NFS client that reaches a mount target may mount and write without an IAM identity",
    );
    expect(r.summary).toContain("every NFS client that reaches a mount target has root access");
    expect(i.tags).toEqual({ Name: "shared" });
  });

  it("the recorded console policy (any client through a mount target) is non-compliant for both", () => {
    const { iam: i, root: r } = both(recorded);
    expect(i.verdict).toBe("non-compliant");
    expect(i.summary).toContain(
      "grants elasticfilesystem:ClientMount, elasticfilesystem:ClientWrite to every principal without a principal condition (statement efs-statement-5f0c2a1b-7d3e-4f5a-9b6c-1d2e3f4a5b6c): any client that reaches a mount target, with or without IAM",
    );
    expect(r.verdict).toBe("non-compliant");
    expect(r.summary).toContain("root is not squashed for any client");
  });

  it("EFS Guard's own TLS default (the console pair) is non-compliant for both, as the issue says", () => {
    expect(verdicts(JSON.stringify(consoleDefaultPolicy(ARN)))).toEqual({
      iam: "non-compliant",
      root: "non-compliant",
    });
  });

  it("grants to a named role, an account id or an organization are compliant", () => {
    expect(verdicts(policy(allow({ Principal: { AWS: APP_ROLE } })))).toEqual({ iam: "compliant", root: "compliant" });
    expect(verdicts(policy(allow({ Principal: { AWS: "111122223333" } })))).toEqual({
      iam: "compliant",
      root: "compliant",
    });
    const org = allow({ Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } } });
    expect(verdicts(policy(org))).toEqual({ iam: "compliant", root: "compliant" });
    // Condition keys are case-insensitive in IAM.
    const lower = allow({ Condition: { ArnEquals: { "AWS:PRINCIPALARN": APP_ROLE } } });
    expect(verdicts(policy(lower))).toEqual({ iam: "compliant", root: "compliant" });
  });

  it.each([
    ['Principal "*"', allow({ Principal: "*" })],
    ['Principal {AWS: [role, "*"]}', allow({ Principal: { AWS: [APP_ROLE, "*"] } })],
    ["NotPrincipal (everyone but the named)", { ...allow(), Principal: undefined, NotPrincipal: { AWS: APP_ROLE } }],
    ['Action "*"', allow({ Action: "*" })],
    ["Action elasticfilesystem:Client*", allow({ Action: "elasticfilesystem:Client*" })],
    ["Action in upper case", allow({ Action: [MOUNT.toUpperCase(), WRITE, ROOT.toUpperCase()] })],
    ["NotAction of something else", { ...allow(), Action: undefined, NotAction: "elasticfilesystem:DeleteFileSystem" }],
    ['Resource "*"', allow({ Resource: "*" })],
    ["no Resource (the policy's own file system)", allow({ Resource: undefined })],
    [
      "a principal key under ...IfExists (a client without IAM has no principal)",
      allow({ Condition: { StringEqualsIfExists: { "aws:PrincipalArn": APP_ROLE } } }),
    ],
    ['a principal key equal to "*"', allow({ Condition: { StringLike: { "aws:PrincipalOrgID": "*" } } })],
    [
      "any account's role (arn:aws:iam::*:role/app)",
      allow({ Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/app" } } }),
    ],
    ["any organization (o-*)", allow({ Condition: { StringLike: { "aws:PrincipalOrgID": "o-*" } } })],
    ["an account pattern (1234*)", allow({ Condition: { StringLike: { "aws:PrincipalAccount": "1234*" } } })],
    [
      "ForAllValues on a principal key (true when the key is absent)",
      allow({ Condition: { "ForAllValues:StringEquals": { "aws:PrincipalArn": APP_ROLE } } }),
    ],
    ["only a network condition (aws:SourceVpc)", allow({ Condition: { StringEquals: { "aws:SourceVpc": "vpc-1" } } })],
    [
      "a negated principal key (StringNotEquals: everyone else)",
      allow({ Condition: { StringNotEquals: { "aws:PrincipalArn": APP_ROLE } } }),
    ],
  ])("an Allow to everyone with %s is non-compliant for both", (_, statement) => {
    expect(verdicts(policy(JSON.parse(JSON.stringify(statement))))).toEqual({
      iam: "non-compliant",
      root: "non-compliant",
    });
  });

  it("patterns that still fix the account or organization narrow", () => {
    expect(fixesOwner("aws:PrincipalArn", "arn:aws:iam::111122223333:role/app-*")).toBe(true);
    expect(fixesOwner("aws:PrincipalArn", "arn:aws:iam::11112222333?:role/app")).toBe(false);
    expect(fixesOwner("aws:PrincipalArn", "arn:aws:iam::*")).toBe(false);
    expect(fixesOwner("aws:PrincipalOrgPaths", "o-a1b2c3d4e5/r-ab12/*")).toBe(true);
    expect(fixesOwner("aws:PrincipalOrgPaths", "o-*/r-ab12/*")).toBe(false);
    expect(fixesOwner("aws:PrincipalOrgID", "o-a1b2c3d4e5")).toBe(true);
    const arnLike = allow({ Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::123456789012:role/app-*" } } });
    expect(verdicts(policy(arnLike))).toEqual({ iam: "compliant", root: "compliant" });
  });

  it("an open grant hidden after many harmless statements is found; a statement as one object is read", () => {
    const harmless = Array.from({ length: 150 }, (_, n) => allow({ Sid: `s${n}`, Principal: { AWS: APP_ROLE } }));
    const text = policy(...harmless, allow({ Sid: "late", Action: MOUNT }));
    const { iam: i, root: r } = both(text);
    expect(i.verdict).toBe("non-compliant");
    expect(i.evidence.grants).toEqual([{ statement: "late", actions: [MOUNT] }]);
    expect(r.verdict).toBe("compliant");
    const single = JSON.stringify({ Version: "2012-10-17", Statement: allow({ Action: ROOT }) });
    expect(verdicts(single)).toEqual({ iam: "compliant", root: "non-compliant" });
  });

  it("a grant of root alone leaves IAM compliant; mount and write alone leave root compliant", () => {
    expect(verdicts(policy(allow({ Action: ROOT })))).toEqual({ iam: "compliant", root: "non-compliant" });
    expect(verdicts(policy(allow({ Action: [MOUNT, WRITE] })))).toEqual({ iam: "non-compliant", root: "compliant" });
    // NotAction excluding root grants mount and write.
    const notRoot = { ...allow(), Action: undefined, NotAction: ROOT };
    expect(verdicts(policy(JSON.parse(JSON.stringify(notRoot))))).toEqual({ iam: "non-compliant", root: "compliant" });
  });

  it("a grant on another file system does not count", () => {
    const other = allow({ Resource: ARN.replace("fs-0123456789abcdef0", "fs-0aaaaaaaaaaaaaaaa") });
    expect(verdicts(policy(other))).toEqual({ iam: "compliant", root: "compliant" });
  });

  it("an unconditional Deny, or a Deny to everyone not named, takes the grant back", () => {
    const deny = { Effect: "Deny", Principal: { AWS: "*" }, Action: [MOUNT, WRITE, ROOT], Resource: ARN };
    expect(verdicts(policy(allow(), deny))).toEqual({ iam: "compliant", root: "compliant" });
    const unlessApp = { ...deny, Condition: { ArnNotEquals: { "aws:PrincipalArn": APP_ROLE } } };
    expect(verdicts(policy(allow(), unlessApp))).toEqual({ iam: "compliant", root: "compliant" });
    // A Deny that only some requests meet (non-TLS ones) does not squash root for the others.
    const tlsOnly = { ...deny, Condition: { Bool: { "aws:SecureTransport": "false" } } };
    expect(verdicts(policy(allow(), tlsOnly))).toEqual({ iam: "non-compliant", root: "non-compliant" });
    // A Deny of root only, on everyone not named: root compliant, IAM still open.
    const rootDeny = { ...deny, Action: ROOT };
    expect(verdicts(policy(allow(), rootDeny))).toEqual({ iam: "non-compliant", root: "compliant" });
    // A Deny with NotPrincipal is not a deny to everyone.
    const notPrincipal = { ...deny, Principal: undefined, NotPrincipal: { AWS: APP_ROLE } };
    expect(verdicts(policy(allow(), JSON.parse(JSON.stringify(notPrincipal))))).toEqual({
      iam: "non-compliant",
      root: "non-compliant",
    });
  });

  it("a policy that is not valid JSON, or not a policy, is non-compliant (never guessed)", () => {
    for (const text of ["{not json", "[]", JSON.stringify({ Statement: "x" }), JSON.stringify({ Statement: [1] })]) {
      const { iam: i, root: r } = both(text);
      expect([i.verdict, r.verdict], text).toEqual(["non-compliant", "non-compliant"]);
      expect(i.evidence.problem, text).toBe("invalid");
    }
  });

  it("a deleted or deleting file system is not applicable", () => {
    for (const lifeCycleState of ["missing", "deleting", "deleted"]) {
      const { iam: i, root: r } = both(undefined, fs({ lifeCycleState }));
      expect([i.verdict, r.verdict]).toEqual(["not-applicable", "not-applicable"]);
    }
  });
});

describe("efs-access-point-enforced", () => {
  const ap = (extra: Partial<accessPoint.AccessPointFacts> = {}): accessPoint.AccessPointFacts => ({
    accessPointId: "fsap-0123456789abcdef0",
    fileSystemId: "fs-0123456789abcdef0",
    region: "us-east-1",
    name: "app-data",
    lifeCycleState: "available",
    posixUser: { uid: 1001, gid: 1001 },
    rootDirectory: "/app",
    tags: { Name: "app-data" },
    ...extra,
  });
  const evaluate = (extra: Partial<accessPoint.AccessPointFacts>) => accessPoint.evaluate(ap(extra), config, clock);

  it("compliant: the recorded CreateAccessPoint's uid 1001 in /app", () => {
    const f = evaluate({});
    expect([f.verdict, f.severity]).toEqual(["compliant", "info"]);
    expect(f.resource).toMatchObject({ type: "access-point", id: "fsap-0123456789abcdef0" });
    expect(f.summary).toBe(
      "access point fsap-0123456789abcdef0 (app-data) of fs-0123456789abcdef0 enforces uid 1001 and root directory /app",
    );
  });

  it("no POSIX user: medium, EFS.4", () => {
    const f = evaluate({ posixUser: undefined });
    expect([f.verdict, f.severity]).toEqual(["non-compliant", "medium"]);
    expect(f.evidence.securityHub).toEqual(["EFS.4"]);
    expect(f.tags).toEqual({ Name: "app-data" });
  });

  it.each([[undefined], ["/"], ["//"], ["/./"]])("root directory %s is the file system's root: EFS.3", (path) => {
    const f = evaluate({ rootDirectory: path });
    expect(f.verdict).toBe("non-compliant");
    expect(f.evidence.securityHub).toEqual(["EFS.3"]);
  });

  it("uid 0 enforces root on every client: high; with / as well, both named", () => {
    expect(evaluate({ posixUser: { uid: 0, gid: 0 } }).severity).toBe("high");
    const f = evaluate({ posixUser: undefined, rootDirectory: "/" });
    expect(f.evidence.securityHub).toEqual(["EFS.4", "EFS.3"]);
    expect(f.summary).toBe(
      "access point fsap-0123456789abcdef0 (app-data) of fs-0123456789abcdef0 enforces no POSIX user (clients keep the identity they send) and exposes the file system's root directory (/)",
    );
  });

  it("a deleted access point is not applicable", () => {
    expect(evaluate({ lifeCycleState: "missing" }).verdict).toBe("not-applicable");
    expect(evaluate({ lifeCycleState: "deleting" }).verdict).toBe("not-applicable");
  });
});
