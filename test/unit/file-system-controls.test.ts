import { describe, expect, it } from "vitest";
import { type ConfigInput, parseConfig } from "../../shared/config/schema.js";
import * as backup from "../../shared/controls/backup-enabled.js";
import * as encryption from "../../shared/controls/encrypted-at-rest.js";
import type { FileSystemFacts } from "../../shared/controls/file-system.js";
import { CLIENT_ACTIONS, consoleDefaultPolicy } from "../../shared/controls/policy.js";
import * as publicPolicy from "../../shared/controls/policy-not-public.js";
import * as tls from "../../shared/controls/tls-enforced.js";
import type { ReplacementFacts } from "../../shared/migration/record.js";
import { fixedClock } from "../../shared/runtime/clock.js";

const clock = fixedClock("2026-11-26T12:00:00Z");
const config = (input: ConfigInput = {}) => parseConfig(input);
const ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0";
const fs = (extra: Partial<FileSystemFacts> = {}): FileSystemFacts => ({
  fileSystemId: "fs-0123456789abcdef0",
  region: "us-east-1",
  arn: ARN,
  name: "shared",
  lifeCycleState: "available",
  encrypted: true,
  kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  tags: { Name: "shared", team: "data" },
  ...extra,
});
const missing: FileSystemFacts = {
  fileSystemId: "fs-0123456789abcdef0",
  region: "us-east-1",
  lifeCycleState: "missing",
};
const tlsDeny = {
  Effect: "Deny",
  Principal: { AWS: "*" },
  Action: "*",
  Condition: { Bool: { "aws:SecureTransport": "false" } },
};

describe("efs-tls-enforced", () => {
  it("compliant when a statement denies non-TLS access for everyone", () => {
    const f = tls.evaluate({ fileSystem: fs(), policy: JSON.stringify({ Statement: [tlsDeny] }) }, config(), clock);
    expect(f).toMatchObject({ control: "efs-tls-enforced", verdict: "compliant" });
    expect(f.plan).toBeUndefined();
  });

  it("no policy: non-compliant, plan writes the console's pair, tags kept for exemptions", () => {
    const f = tls.evaluate({ fileSystem: fs(), policy: undefined }, config(), clock);
    expect(f).toMatchObject({ verdict: "non-compliant", severity: "high", tags: { team: "data" } });
    expect(f.plan).toMatchObject({
      kind: "put-file-system-policy",
      fileSystemId: "fs-0123456789abcdef0",
      basedOn: null,
    });
    if (f.plan?.kind !== "put-file-system-policy") return;
    expect(JSON.parse(f.plan.policy)).toEqual(consoleDefaultPolicy(ARN));
    expect(f.summary).toContain("no file system policy");
  });

  it("a policy without the deny: plan appends it, based on the evaluated text", () => {
    const policy = JSON.stringify({
      Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "*" }],
    });
    const f = tls.evaluate({ fileSystem: fs(), policy }, config(), clock);
    expect(f.verdict).toBe("non-compliant");
    expect(f.evidence.uncoveredActions).toEqual([...CLIENT_ACTIONS]);
    if (f.plan?.kind !== "put-file-system-policy") throw new Error("no plan");
    expect(f.plan.basedOn).toBe(policy);
    expect(JSON.parse(f.plan.policy).Statement).toHaveLength(2);
  });

  it("an unreadable or too-large result: alert only, never a plan", () => {
    const bad = tls.evaluate({ fileSystem: fs(), policy: "{not json" }, config(), clock);
    expect(bad).toMatchObject({ verdict: "non-compliant", evidence: { problem: "invalid" } });
    expect(bad.plan).toBeUndefined();
    const huge = JSON.stringify({
      Statement: [{ Sid: "x".repeat(19_800), Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Action: "*" }],
    });
    const big = tls.evaluate({ fileSystem: fs(), policy: huge }, config(), clock);
    expect(big).toMatchObject({ verdict: "non-compliant", evidence: { problem: "too-large" } });
    expect(big.plan).toBeUndefined();
  });

  it("a deleted or deleting file system is not applicable", () => {
    expect(tls.evaluate({ fileSystem: missing, policy: undefined }, config(), clock)).toMatchObject({
      verdict: "not-applicable",
      summary: "fs-0123456789abcdef0 no longer exists",
    });
    expect(
      tls.evaluate({ fileSystem: fs({ lifeCycleState: "deleting" }), policy: undefined }, config(), clock).verdict,
    ).toBe("not-applicable");
  });
});

describe("efs-policy-not-public", () => {
  it("no policy and the console pair are not public", () => {
    expect(publicPolicy.evaluate({ fileSystem: fs(), policy: undefined }, config(), clock).verdict).toBe("compliant");
    const pair = JSON.stringify(consoleDefaultPolicy(ARN));
    expect(publicPolicy.evaluate({ fileSystem: fs(), policy: pair }, config(), clock).verdict).toBe("compliant");
  });

  it("an unconditioned Allow to * is public: critical with write access, high for mount only, never a plan", () => {
    const write = JSON.stringify({ Statement: [{ Sid: "Open", Effect: "Allow", Principal: "*", Action: "*" }] });
    const f = publicPolicy.evaluate({ fileSystem: fs(), policy: write }, config(), clock);
    expect(f).toMatchObject({ verdict: "non-compliant", severity: "critical", tags: { team: "data" } });
    expect(f.summary).toContain("Open");
    expect(f.plan).toBeUndefined();
    const mount = JSON.stringify({
      Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "elasticfilesystem:ClientMount" }],
    });
    expect(publicPolicy.evaluate({ fileSystem: fs(), policy: mount }, config(), clock).severity).toBe("high");
  });

  it("unreadable: reported; deleted: not applicable", () => {
    expect(publicPolicy.evaluate({ fileSystem: fs(), policy: "nope" }, config(), clock)).toMatchObject({
      verdict: "non-compliant",
      severity: "medium",
    });
    expect(publicPolicy.evaluate({ fileSystem: missing, policy: undefined }, config(), clock).verdict).toBe(
      "not-applicable",
    );
  });
});

describe("efs-backup-enabled", () => {
  it.each(["ENABLED", "ENABLING"])("%s is compliant", (status) => {
    expect(backup.evaluate({ fileSystem: fs(), status }, config(), clock).verdict).toBe("compliant");
  });

  it.each([undefined, "DISABLED", "DISABLING"])("%s is non-compliant with a PutBackupPolicy plan", (status) => {
    const f = backup.evaluate({ fileSystem: fs(), status }, config(), clock);
    expect(f).toMatchObject({
      verdict: "non-compliant",
      severity: "medium",
      evidence: { backupPolicy: status ?? "none" },
      plan: { kind: "put-backup-policy", fileSystemId: "fs-0123456789abcdef0" },
    });
  });

  it("not applicable when the file system is gone", () => {
    expect(backup.evaluate({ fileSystem: missing, status: undefined }, config(), clock).verdict).toBe("not-applicable");
  });
});

describe("efs-encrypted-at-rest", () => {
  it("unencrypted: critical, plan starts the migration", () => {
    const f = encryption.evaluate({ fileSystem: fs({ encrypted: false, kmsKeyId: undefined }) }, config(), clock);
    expect(f).toMatchObject({
      verdict: "non-compliant",
      severity: "critical",
      plan: { kind: "start-migration", fileSystemId: "fs-0123456789abcdef0" },
    });
  });

  it("AWS managed key while a customer managed key is required: high, migration", () => {
    const f = encryption.evaluate({ fileSystem: fs(), key: { keyManager: "AWS" } }, config(), clock);
    expect(f).toMatchObject({ verdict: "non-compliant", severity: "high", plan: { kind: "start-migration" } });
    expect(f.summary).toContain("AWS managed key");
  });

  it("AWS managed key is fine when requireCustomerManagedKey is off, and the key is then not needed", () => {
    const cfg = config({ requireCustomerManagedKey: false });
    expect(encryption.needsKey(fs(), cfg)).toBe(false);
    expect(encryption.evaluate({ fileSystem: fs() }, cfg, clock).verdict).toBe("compliant");
  });

  it("customer managed key: compliant", () => {
    expect(encryption.needsKey(fs(), config())).toBe(true);
    const f = encryption.evaluate(
      { fileSystem: fs(), key: { keyManager: "CUSTOMER", keyState: "Enabled" } },
      config(),
      clock,
    );
    expect(f).toMatchObject({ verdict: "compliant", evidence: { keyManager: "CUSTOMER" } });
  });

  it("a key that cannot be described: alert, no migration on a guess", () => {
    const f = encryption.evaluate({ fileSystem: fs(), key: { error: "AccessDeniedException: no" } }, config(), clock);
    expect(f).toMatchObject({ verdict: "non-compliant", severity: "medium" });
    expect(f.plan).toBeUndefined();
  });

  it("not applicable when the file system is gone", () => {
    expect(encryption.needsKey(missing, config())).toBe(false);
    expect(encryption.evaluate({ fileSystem: missing }, config(), clock).verdict).toBe("not-applicable");
  });
});

describe("efs-encrypted-at-rest on a source tagged efs-guard:replacement", () => {
  const source = fs({
    encrypted: false,
    kmsKeyId: undefined,
    tags: { Name: "shared", "efs-guard:replacement": "fs-1" },
  });
  const encrypted = { lifeCycleState: "available", encrypted: true, kmsKeyId: "arn:aws:kms:us-east-1:1:key/k" };
  const evaluate = (replacement: ReplacementFacts) =>
    encryption.evaluate({ fileSystem: source, replacement }, config(), clock);

  it("with the migration's record and an encrypted replacement: cut-over pending, no new migration", () => {
    const f = evaluate({ id: "fs-1", record: "valid", replacement: encrypted });
    expect(f).toMatchObject({
      verdict: "non-compliant",
      severity: "low",
      pending: { kind: "cut-over", replacement: "fs-1" },
    });
    expect(f.plan).toBeUndefined();
    expect(f.summary).toContain("is migrated: its encrypted replacement fs-1 awaits cut-over");
  });

  it.each([
    [
      "missing",
      { id: "fs-1", record: "missing", replacement: encrypted },
      "carries no efs-guard:replacement-record",
      "high",
    ],
    ["invalid", { id: "fs-1", record: "invalid", replacement: encrypted }, "does not verify for this pair", "high"],
    [
      "unverifiable",
      { id: "fs-1", record: "unverifiable", detail: "NotFoundException: no alias" },
      "could not be verified (NotFoundException: no alias)",
      "medium",
    ],
  ] as const)(
    "a %s record: alerted as not written by the migration, nothing started",
    (_, replacement, why, severity) => {
      const f = evaluate(replacement as ReplacementFacts);
      expect(f).toMatchObject({ verdict: "non-compliant", severity });
      expect(f.pending).toBeUndefined();
      expect(f.plan).toBeUndefined();
      expect(f.summary).toContain(why);
      expect(f.summary).toContain(
        "aws efs untag-resource --resource-id fs-0123456789abcdef0 --tag-keys efs-guard:replacement efs-guard:replacement-record",
      );
    },
  );

  it("a valid record whose replacement is gone: says so and how to start over", () => {
    const f = evaluate({ id: "fs-1", record: "valid" });
    expect(f.summary).toContain("fs-1 no longer exists");
    expect(f.summary).toContain("efs-guard migrate fs-0123456789abcdef0");
  });

  it("a compliant file system is compliant whatever its tags", () => {
    const f = encryption.evaluate(
      { fileSystem: fs(), key: { keyManager: "CUSTOMER" }, replacement: { id: "fs-1", record: "missing" } },
      config(),
      clock,
    );
    expect(f.verdict).toBe("compliant");
  });
});
