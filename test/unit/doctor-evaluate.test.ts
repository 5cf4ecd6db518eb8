import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  judgeGuardDuty,
  judgeKey,
  judgeKmsAudit,
  judgeTrails,
  kmsReadsFix,
  recordsKmsReads,
  type TrailFacts,
  trailSources,
} from "../../shared/doctor/evaluate.js";

const SOURCES = ["ec2.amazonaws.com", "elasticfilesystem.amazonaws.com", "kms.amazonaws.com"];
const trail = (over: Partial<TrailFacts> = {}): TrailFacts => ({
  name: "main",
  arn: "arn:aws:cloudtrail:us-east-1:123456789012:trail/main",
  homeRegion: "us-east-1",
  multiRegion: true,
  organization: false,
  logging: true,
  basic: [{ ReadWriteType: "All", IncludeManagementEvents: true, ExcludeManagementEventSources: [] }],
  advanced: [],
  ...over,
});

describe("trail coverage", () => {
  it("counts basic selectors that record write management events, minus excluded sources", () => {
    expect(trailSources(trail(), SOURCES)).toEqual(SOURCES);
    expect(
      trailSources(trail({ basic: [{ ReadWriteType: "WriteOnly", IncludeManagementEvents: true }] }), SOURCES),
    ).toEqual(SOURCES);
    expect(
      trailSources(trail({ basic: [{ ReadWriteType: "ReadOnly", IncludeManagementEvents: true }] }), SOURCES),
    ).toEqual([]);
    expect(trailSources(trail({ basic: [{ ReadWriteType: "All", IncludeManagementEvents: false }] }), SOURCES)).toEqual(
      [],
    );
    expect(
      trailSources(
        trail({
          basic: [
            {
              ReadWriteType: "All",
              IncludeManagementEvents: true,
              ExcludeManagementEventSources: ["kms.amazonaws.com"],
            },
          ],
        }),
        SOURCES,
      ),
    ).toEqual(SOURCES.slice(0, 2));
  });

  it("evaluates advanced selectors field by field (ANDed)", () => {
    const adv = (...fields: object[]) => trail({ basic: [], advanced: [{ FieldSelectors: fields }] });
    expect(trailSources(adv({ Field: "eventCategory", Equals: ["Management"] }), SOURCES)).toEqual(SOURCES);
    expect(trailSources(adv({ Field: "eventCategory", Equals: ["Data"] }), SOURCES)).toEqual([]);
    expect(
      trailSources(
        adv({ Field: "eventCategory", Equals: ["Management"] }, { Field: "readOnly", Equals: ["true"] }),
        SOURCES,
      ),
    ).toEqual([]);
    expect(
      trailSources(
        adv({ Field: "eventCategory", Equals: ["Management"] }, { Field: "readOnly", Equals: ["false"] }),
        SOURCES,
      ),
    ).toEqual(SOURCES);
    expect(
      trailSources(
        adv(
          { Field: "eventCategory", Equals: ["Management"] },
          { Field: "eventSource", Equals: ["ec2.amazonaws.com"] },
        ),
        SOURCES,
      ),
    ).toEqual(["ec2.amazonaws.com"]);
  });

  it("judges a region by the logging trails that record it, together", () => {
    expect(judgeTrails("eu-west-1", [trail()], SOURCES).status).toBe("pass");
    expect(judgeTrails("eu-west-1", [trail({ multiRegion: false })], SOURCES)).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/^no trail records eu-west-1/),
    });
    expect(judgeTrails("us-east-1", [trail({ logging: false })], SOURCES)).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("main is not logging"),
    });
    const ec2Only = trail({
      name: "a",
      basic: [],
      advanced: [
        {
          FieldSelectors: [
            { Field: "eventCategory", Equals: ["Management"] },
            { Field: "eventSource", Equals: ["ec2.amazonaws.com"] },
          ],
        },
      ],
    });
    const rest = trail({
      name: "b",
      basic: [
        { ReadWriteType: "All", IncludeManagementEvents: true, ExcludeManagementEventSources: ["ec2.amazonaws.com"] },
      ],
    });
    expect(judgeTrails("us-east-1", [ec2Only], SOURCES)).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("elasticfilesystem.amazonaws.com, kms.amazonaws.com"),
    });
    expect(judgeTrails("us-east-1", [ec2Only, rest], SOURCES)).toEqual({
      status: "pass",
      detail: "logging management write events: a, b",
    });
  });
});

describe("migration key", () => {
  const ARN = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555";
  const defaultPolicy = JSON.stringify({
    Statement: [
      { Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" },
    ],
  });
  const good = {
    arn: ARN,
    keyState: "Enabled",
    keyManager: "CUSTOMER",
    keySpec: "SYMMETRIC_DEFAULT",
    keyUsage: "ENCRYPT_DECRYPT",
    rotationEnabled: true,
    policy: defaultPolicy,
  };

  it("passes a rotating customer managed key whose policy delegates to IAM", () => {
    expect(judgeKey(good, "eu-west-1").status).toBe("pass");
  });

  it("names every problem", () => {
    const v = judgeKey(
      { ...good, keyState: "PendingDeletion", keyManager: "AWS", rotationEnabled: false },
      "us-east-1",
    );
    expect(v.status).toBe("fail");
    expect(v.detail).toContain("state is PendingDeletion");
    expect(v.detail).toContain("managed by AWS");
    expect(v.detail).toContain("automatic rotation is off");
    expect(v.detail).toContain("the key is in eu-west-1; EFS needs a key in us-east-1");
  });

  it("accepts ViaService statements naming EFS and Backup, and refuses them when they name neither", () => {
    const via = (services: string[]) =>
      JSON.stringify({
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: { StringEquals: { "kms:ViaService": services, "kms:CallerAccount": "123456789012" } },
          },
        ],
      });
    expect(
      judgeKey(
        { ...good, policy: via(["elasticfilesystem.eu-west-1.amazonaws.com", "backup.eu-west-1.amazonaws.com"]) },
        "eu-west-1",
      ).status,
    ).toBe("pass");
    const v = judgeKey({ ...good, policy: via(["elasticfilesystem.eu-west-1.amazonaws.com"]) }, "eu-west-1");
    expect(v).toMatchObject({ status: "fail" });
    expect(v.detail).toContain("does not let AWS Backup use the key");
    expect(v.detail).not.toContain("does not let EFS");
  });
});

describe("KMS read events (kms:Decrypt auditable)", () => {
  const DATA = {
    ReadWriteType: "All",
    IncludeManagementEvents: false,
    DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3"] }],
  };
  const KMS_EXCLUDED = {
    ReadWriteType: "All",
    IncludeManagementEvents: true,
    ExcludeManagementEventSources: ["kms.amazonaws.com"],
  };

  it("a trail records them unless WriteOnly, management off, or kms.amazonaws.com excluded", () => {
    expect(recordsKmsReads(trail())).toBe(true);
    expect(recordsKmsReads(trail({ basic: [{ ReadWriteType: "ReadOnly", IncludeManagementEvents: true }] }))).toBe(
      true,
    );
    expect(recordsKmsReads(trail({ basic: [{ ReadWriteType: "WriteOnly", IncludeManagementEvents: true }] }))).toBe(
      false,
    );
    expect(recordsKmsReads(trail({ basic: [{ ReadWriteType: "All", IncludeManagementEvents: false }] }))).toBe(false);
    expect(recordsKmsReads(trail({ basic: [KMS_EXCLUDED] }))).toBe(false);
  });

  it.each([
    [[{ Field: "eventCategory", Equals: ["Management"] }], true],
    [
      [
        { Field: "eventCategory", Equals: ["Management"] },
        { Field: "readOnly", Equals: ["false"] },
      ],
      false,
    ],
    [
      [
        { Field: "eventCategory", Equals: ["Management"] },
        { Field: "eventSource", NotEquals: ["kms.amazonaws.com"] },
      ],
      false,
    ],
    [
      [
        { Field: "eventCategory", Equals: ["Management"] },
        { Field: "eventSource", Equals: ["kms.amazonaws.com"] },
      ],
      true,
    ],
    [
      [
        { Field: "eventCategory", Equals: ["Data"] },
        { Field: "resources.type", Equals: ["AWS::S3::Object"] },
      ],
      false,
    ],
  ])("advanced selector %j: %s", (FieldSelectors, expected) => {
    expect(recordsKmsReads(trail({ basic: [], advanced: [{ Name: "x", FieldSelectors }] }))).toBe(expected);
  });

  it("passes with the trail that records them; warns with the fix for the trail EFS Guard relies on", () => {
    expect(judgeKmsAudit("us-east-1", [trail()], SOURCES)).toEqual({
      status: "pass",
      detail: "KMS read events (kms:Decrypt) recorded by main",
    });
    const excluded = trail({ basic: [KMS_EXCLUDED, DATA] });
    const verdict = judgeKmsAudit("eu-west-1", [excluded], SOURCES);
    expect(verdict.status).toBe("warn");
    expect(verdict.detail).toContain("main does not record KMS read events");
    expect(verdict.detail).toContain(`fix: ${kmsReadsFix(excluded)}`);
    // A trail that is not logging does not count, nor a single-region trail of another region.
    expect(judgeKmsAudit("us-east-1", [trail({ logging: false })], SOURCES).status).toBe("warn");
    expect(judgeKmsAudit("eu-west-1", [trail({ multiRegion: false })], SOURCES).detail).toContain(
      "no logging trail in eu-west-1",
    );
  });

  it("the fix turns on read and write management events, drops only the KMS exclusion, keeps the data selectors", () => {
    const t = trail({
      basic: [
        {
          ReadWriteType: "WriteOnly",
          IncludeManagementEvents: true,
          ExcludeManagementEventSources: ["kms.amazonaws.com", "rdsdata.amazonaws.com"],
        },
        DATA,
      ],
    });
    const fix = kmsReadsFix(t);
    const head = `aws cloudtrail put-event-selectors --trail-name '${t.arn}' --region us-east-1 --event-selectors '`;
    expect(fix.startsWith(head)).toBe(true);
    const selectors = JSON.parse(fix.slice(head.length, -1));
    expect(selectors).toEqual([
      { ReadWriteType: "All", IncludeManagementEvents: true, ExcludeManagementEventSources: ["rdsdata.amazonaws.com"] },
      DATA,
    ]);
    expect(recordsKmsReads({ ...t, basic: selectors })).toBe(true);
  });

  it("with advanced selectors, the fix replaces the management selector and keeps the data ones", () => {
    const data = {
      Name: "s3",
      FieldSelectors: [
        { Field: "eventCategory", Equals: ["Data"] },
        { Field: "resources.type", Equals: ["AWS::S3::Object"] },
      ],
    };
    const writes = {
      Name: "writes",
      FieldSelectors: [
        { Field: "eventCategory", Equals: ["Management"] },
        { Field: "readOnly", Equals: ["false"] },
      ],
    };
    const t = trail({ basic: [], advanced: [writes, data] });
    const fix = kmsReadsFix(t);
    const marker = "--advanced-event-selectors '";
    const selectors = JSON.parse(fix.slice(fix.indexOf(marker) + marker.length, -1));
    expect(selectors).toEqual([
      { Name: "Management events", FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }] },
      data,
    ]);
    expect(recordsKmsReads({ ...t, advanced: selectors })).toBe(true);
    expect(trailSources({ ...t, advanced: selectors }, SOURCES)).toEqual(SOURCES);
  });

  it("a quote in the trail's ARN cannot break out of the command (POSIX single quotes)", () => {
    const arn = "arn:aws:cloudtrail:us-east-1:1:trail/a'; touch pwned; '";
    const fix = kmsReadsFix(trail({ arn, basic: [KMS_EXCLUDED] }));
    const quoted = fix.slice("aws cloudtrail put-event-selectors --trail-name ".length, fix.indexOf(" --region"));
    const shell = spawnSync("sh", ["-c", `printf %s ${quoted}`], { encoding: "utf8" });
    expect(shell.stdout).toBe(arn);
  });
});

describe("GuardDuty", () => {
  it("passes with an enabled detector; warns with the exact command otherwise", () => {
    expect(judgeGuardDuty("eu-west-1", [{ id: "d1", status: "ENABLED" }])).toEqual({
      status: "pass",
      detail: "detector d1 enabled",
    });
    expect(judgeGuardDuty("eu-west-1", [{ id: "d1", status: "DISABLED" }])).toEqual({
      status: "warn",
      detail:
        "detector d1 is DISABLED; fix: aws guardduty update-detector --detector-id d1 --enable --region eu-west-1",
    });
    expect(judgeGuardDuty("eu-west-1", [])).toEqual({
      status: "warn",
      detail: "GuardDuty is off (no detector); fix: aws guardduty create-detector --enable --region eu-west-1",
    });
  });
});
