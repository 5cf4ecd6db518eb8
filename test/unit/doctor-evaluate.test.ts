import { describe, expect, it } from "vitest";
import { judgeKey, judgeTrails, type TrailFacts, trailSources } from "../../shared/doctor/evaluate.js";

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
