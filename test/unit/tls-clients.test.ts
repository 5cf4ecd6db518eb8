import { describe, expect, it } from "vitest";
import { type ConfigInput, parseConfig } from "../../shared/config/schema.js";
import * as clients from "../../shared/controls/clients-use-tls.js";
import type { FileSystemFacts } from "../../shared/controls/file-system.js";
import * as tls from "../../shared/controls/tls-enforced.js";
import { decide } from "../../shared/pipeline/decide.js";
import { fixedClock } from "../../shared/runtime/clock.js";

/**
 * The pure part of efs-clients-use-tls and of efs-tls-enforced's tlsEnforcement (issue 15): which task definitions
 * mount a file system without TLS, and the deny held back (an alert naming them) while any does.
 */
const clock = fixedClock("2026-12-01T12:00:00Z");
const config = (input: ConfigInput = {}) => parseConfig(input);
const FS = "fs-0123456789abcdef0";
const OTHER = "fs-0fedcba9876543210";
const tdArn = (family: string, revision: number) =>
  `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:${revision}`;
const td = (over: Partial<clients.TaskDefinitionFacts> = {}): clients.TaskDefinitionFacts => ({
  arn: tdArn("web", 3),
  family: "web",
  revision: 3,
  region: "us-east-1",
  account: "123456789012",
  status: "ACTIVE",
  efsVolumes: [{ name: "data", fileSystemId: FS, transitEncryption: "ENABLED" }],
  ...over,
});

describe("efs-clients-use-tls", () => {
  it("compliant when every EFS volume has transitEncryption ENABLED", () => {
    expect(clients.evaluate(td(), config(), clock)).toMatchObject({
      control: "efs-clients-use-tls",
      verdict: "compliant",
      resource: { type: "task-definition", id: "web:3", arn: tdArn("web", 3) },
      evidence: { fileSystems: [FS] },
    });
  });

  it.each([
    ["DISABLED", "transitEncryption DISABLED"],
    [undefined, "transitEncryption omitted, so DISABLED"],
  ])("non-compliant, high, for transitEncryption %s (ECS's default is DISABLED)", (value, words) => {
    const f = clients.evaluate(
      td({
        efsVolumes: [
          { name: "data", fileSystemId: FS, ...(value ? { transitEncryption: value } : {}) },
          { name: "logs", fileSystemId: OTHER, transitEncryption: "ENABLED" },
        ],
        registeredBy: "arn:aws:iam::123456789012:role/Deployer",
      }),
      config(),
      clock,
    );
    expect(f.verdict).toBe("non-compliant");
    expect(f.severity).toBe("high");
    expect(f.summary).toContain(`mounts ${FS} without TLS (volume data: ${words})`);
    expect(f.summary).not.toContain(OTHER);
    expect(f.evidence).toEqual({
      volumes: [{ name: "data", fileSystemId: FS, transitEncryption: value ?? null }],
      registeredBy: "arn:aws:iam::123456789012:role/Deployer",
    });
    // Alert only: a task definition is immutable, its owner registers a revision; nothing to plan.
    expect(f.plan).toBeUndefined();
  });

  it("not applicable: no EFS volume, an inactive revision, a deleted one", () => {
    expect(clients.evaluate(td({ efsVolumes: [] }), config(), clock).verdict).toBe("not-applicable");
    expect(clients.evaluate(td({ status: "INACTIVE" }), config(), clock).summary).toBe(
      "task definition web:3 is INACTIVE",
    );
    expect(clients.evaluate(td({ status: "missing" }), config(), clock).summary).toBe(
      "task definition web:3 no longer exists",
    );
  });

  it("nonTlsVolumes narrows to one file system", () => {
    const t = td({
      efsVolumes: [
        { name: "a", fileSystemId: FS, transitEncryption: "DISABLED" },
        { name: "b", fileSystemId: OTHER },
        { name: "c", fileSystemId: FS, transitEncryption: "ENABLED" },
      ],
    });
    expect(clients.nonTlsVolumes(t, FS).map((v) => v.name)).toEqual(["a"]);
    expect(clients.nonTlsVolumes(t).map((v) => v.name)).toEqual(["a", "b"]);
  });
});

describe("efs-tls-enforced with tlsEnforcement", () => {
  const fs: FileSystemFacts = {
    fileSystemId: FS,
    region: "us-east-1",
    arn: `arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/${FS}`,
    lifeCycleState: "available",
    encrypted: true,
  };
  const client = (n: number) => ({ taskDefinitionArn: tdArn(`app${n}`, 1), volumes: ["data"] });
  const remediate = { modes: { "efs-tls-enforced": "remediate" as const } };

  it("unless-clients-break (default): a client without TLS holds the deny back; the alert names its ARN", () => {
    const check = { checked: 4, truncated: false, clients: [client(1)] };
    const f = tls.evaluate({ fileSystem: fs, policy: undefined, clients: check }, config(remediate), clock);
    expect(f.verdict).toBe("non-compliant");
    expect(f.plan).toBeUndefined();
    expect(f.withheld).toContain(
      `the TLS deny would cut off 1 active ECS task definition(s) that mount ${FS} without TLS: ${tdArn("app1", 1)}`,
    );
    expect(f.evidence).toMatchObject({
      clientsWithoutTls: [client(1)],
      taskDefinitionsChecked: 4,
      checkTruncated: false,
    });
    // In remediate mode the decision is an alert with the reason, never a write.
    const decision = decide(f, config(remediate), clock);
    expect(decision.intent).toBe("alert");
    expect(decision.why).toContain("not remediated: the TLS deny would cut off");
  });

  it("names ten ARNs and counts the rest", () => {
    const check = { checked: 40, truncated: false, clients: Array.from({ length: 13 }, (_, i) => client(i)) };
    const f = tls.evaluate({ fileSystem: fs, policy: undefined, clients: check }, config(), clock);
    expect(f.withheld).toContain(`${tdArn("app9", 1)} and 3 more`);
    expect(f.withheld).not.toContain(tdArn("app10", 1));
  });

  it("a lookup cut short by tlsClientCheckLimit holds the deny back too (it cannot tell)", () => {
    const check = { checked: 500, truncated: true, clients: [] };
    const f = tls.evaluate({ fileSystem: fs, policy: undefined, clients: check }, config(), clock);
    expect(f.withheld).toContain("described only the first 500 active ECS task definitions (tlsClientCheckLimit)");
  });

  it("no client without TLS, a complete lookup: the deny is planned", () => {
    const check = { checked: 4, truncated: false, clients: [] };
    const f = tls.evaluate({ fileSystem: fs, policy: undefined, clients: check }, config(remediate), clock);
    expect(f.withheld).toBeUndefined();
    expect(f.plan).toMatchObject({ kind: "put-file-system-policy", fileSystemId: FS });
    expect(decide(f, config(remediate), clock).intent).toBe("remediate");
  });

  it('"always" writes the deny whatever the lookup found', () => {
    const check = { checked: 4, truncated: true, clients: [client(1)] };
    const f = tls.evaluate(
      { fileSystem: fs, policy: undefined, clients: check },
      config({ ...remediate, tlsEnforcement: "always" }),
      clock,
    );
    expect(f.withheld).toBeUndefined();
    expect(f.plan).toMatchObject({ kind: "put-file-system-policy" });
  });
});

describe("efs-tls-enforced: when the deny waits for the ECS client lookup (needsClientCheck)", () => {
  const fsArn = `arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/${FS}`;
  const facts = (over: Partial<FileSystemFacts> = {}): FileSystemFacts => ({
    fileSystemId: FS,
    region: "us-east-1",
    arn: fsArn,
    lifeCycleState: "available",
    numberOfMountTargets: 1,
    ...over,
  });
  const enforced = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: [
          "elasticfilesystem:ClientMount",
          "elasticfilesystem:ClientWrite",
          "elasticfilesystem:ClientRootAccess",
        ],
        Resource: fsArn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });

  it("only a deny about to be written into a file system with mount targets, and only unless-clients-break", () => {
    expect(tls.needsClientCheck(facts(), undefined, config())).toBe(true);
    // EFS always reports the count; without it the file system is treated as mounted (looked up, never blind).
    expect(tls.needsClientCheck(facts({ numberOfMountTargets: undefined }), undefined, config())).toBe(true);
    expect(tls.needsClientCheck(facts({ numberOfMountTargets: 0 }), undefined, config())).toBe(false);
    expect(tls.needsClientCheck(facts(), undefined, config({ tlsEnforcement: "always" }))).toBe(false);
    expect(tls.needsClientCheck(facts(), enforced, config())).toBe(false);
    expect(tls.needsClientCheck(facts(), "{not json", config())).toBe(false);
    expect(tls.needsClientCheck(facts({ lifeCycleState: "deleted" }), undefined, config())).toBe(false);
  });
});
