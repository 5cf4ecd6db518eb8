import { describe, expect, it } from "vitest";
import { configFromEnv, parseConfig } from "../../shared/config/schema.js";
import { ConfigError } from "../../shared/runtime/errors.js";

describe("config schema", () => {
  it("fills every default", () => {
    const config = parseConfig({});
    expect(config.modes["efs-nfs-ingress-restricted"]).toBe("remediate");
    expect(config.modes["efs-key-usable"]).toBe("alert");
    expect(config.allowedNfsSources).toBe("vpc");
    expect(config.rotationPeriodInDays).toBe(365);
    expect(config.approvalTimeout).toBe("7d");
    expect(config.dryRun).toBe(false);
    expect(config.safetyBackupRetentionDays).toBe(35);
    expect(config.safetyBackupAdminRoleArn).toBeUndefined();
    expect(config.regionKmsKeyArns).toEqual({});
  });

  it.each([
    [{ modes: { "efs-nfs-ingress-restricted": "fix" } }, "modes.efs-nfs-ingress-restricted", '"fix"'],
    [{ modes: { "efs-made-up": "alert" } }, "modes", "efs-made-up"],
    [{ rotationPeriodInDays: 30 }, "rotationPeriodInDays", "30"],
    [{ allowedNfsSources: ["10.0.0.0/33"] }, "allowedNfsSources.0", "10.0.0.0/33"],
    [{ kmsKeyArn: "alias/mine" }, "kmsKeyArn", "alias/mine"],
    [{ dryrun: true }, "(root)", "dryrun"],
    [{ safetyBackupRetentionDays: 0 }, "safetyBackupRetentionDays", "0"],
    [{ safetyBackupRetentionDays: 1.5 }, "safetyBackupRetentionDays", "1.5"],
    [{ safetyBackupAdminRoleArn: "arn:aws:iam::123456789012:user/bob" }, "safetyBackupAdminRoleArn", "user/bob"],
    [
      {
        regionKmsKeyArns: {
          "eu-west-1": "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
        },
      },
      "regionKmsKeyArns",
      "list keys only for regions that are in `regions`",
    ],
    [
      {
        regions: ["eu-west-1"],
        regionKmsKeyArns: {
          "eu-west-1": "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
        },
      },
      "regionKmsKeyArns",
      "in the region it is listed under",
    ],
  ])("%j is rejected naming the key and the value", (input, key, value) => {
    try {
      parseConfig(input);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const text = (error as ConfigError).issues.join("\n");
      expect(text).toContain(key);
      expect(text).toContain(value);
    }
  });

  it("refuses remediate on an alert-only control with the reason, and lists the valid ids for an unknown one", () => {
    const issues = (input: unknown) => {
      try {
        parseConfig(input);
        return [];
      } catch (error) {
        return (error as ConfigError).issues;
      }
    };
    expect(issues({ modes: { "efs-policy-not-public": "remediate" } })).toEqual([
      'modes.efs-policy-not-public (got "remediate"): efs-policy-not-public is alert-only: it has no automatic remediation, so "remediate" cannot apply; allowed: "off", "alert"',
    ]);
    expect(parseConfig({ modes: { "efs-policy-not-public": "alert" } }).modes["efs-policy-not-public"]).toBe("alert");
    expect(parseConfig({ modes: { "efs-key-usable": "remediate" } }).modes["efs-key-usable"]).toBe("remediate");
    expect(issues({ modes: { "efs-nfs": "alert" } })).toEqual([
      'modes: unknown control id(s) "efs-nfs"; valid control ids: efs-encrypted-at-rest, efs-tls-enforced, efs-nfs-ingress-restricted, efs-key-rotation-enabled, efs-key-usable, efs-backup-enabled, efs-policy-not-public, efs-guard-tags-audited',
    ]);
  });

  it("round-trips through the function environment", () => {
    const config = parseConfig({ dryRun: true, allowedNfsSources: ["10.0.0.0/8"] });
    expect(configFromEnv({ EFS_GUARD_CONFIG: JSON.stringify(config) })).toEqual(config);
    expect(() => configFromEnv({ EFS_GUARD_CONFIG: "{not json" })).toThrow(ConfigError);
  });
});
