import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CONTROL_IDS, MODES, NOT_YET_EVALUATED } from "../../shared/config/controls.js";
import { CONFIG_DIGEST_ENV, CONFIG_ENV, configEnvironment, loadConfig } from "../../shared/config/runtime.js";
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

  it("keeps the controls no function evaluates yet off; efs-mount-target-private is evaluated: alert by default", () => {
    const config = parseConfig({});
    for (const id of NOT_YET_EVALUATED) expect(config.modes[id]).toBe("off");
    expect(NOT_YET_EVALUATED.has("efs-mount-target-private")).toBe(false);
    expect(config.modes["efs-mount-target-private"]).toBe("alert");
    expect(parseConfig({ modes: { "efs-mount-target-private": "off" } }).modes["efs-mount-target-private"]).toBe("off");
    // Alert only: nothing moves a mount target.
    expect(() => parseConfig({ modes: { "efs-mount-target-private": "remediate" } })).toThrow(
      /modes\.efs-mount-target-private \(got "remediate"\)/,
    );
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
      'modes: unknown control id(s) "efs-nfs"; valid control ids: efs-encrypted-at-rest, efs-tls-enforced, efs-nfs-ingress-restricted, efs-key-rotation-enabled, efs-key-usable, efs-backup-enabled, efs-policy-not-public, efs-guard-tags-audited, efs-iam-authorization-required, efs-root-access-restricted, efs-mount-target-private, efs-access-point-enforced, efs-key-policy-restricted, efs-replica-encrypted, efs-clients-use-tls',
    ]);
  });

  it("round-trips through the function environment", () => {
    const config = parseConfig({ dryRun: true, allowedNfsSources: ["10.0.0.0/8"] });
    expect(configFromEnv({ EFS_GUARD_CONFIG: JSON.stringify(config) })).toEqual(config);
    expect(() => configFromEnv({ EFS_GUARD_CONFIG: "{not json" })).toThrow(ConfigError);
  });
});

describe("sweepConcurrency (issue 17)", () => {
  it("defaults to 4 per service, fills what is left out, and refuses 0, 33, fractions and unknown services", () => {
    expect(parseConfig({}).sweepConcurrency).toEqual({ efs: 4, ec2: 4, kms: 4 });
    expect(parseConfig({ sweepConcurrency: { efs: 16 } }).sweepConcurrency).toEqual({ efs: 16, ec2: 4, kms: 4 });
    for (const bad of [{ efs: 0 }, { ec2: 33 }, { kms: 1.5 }, { sns: 2 }]) {
      expect(() => parseConfig({ sweepConcurrency: bad as never })).toThrow(ConfigError);
    }
  });
});

describe("a deployed function's configuration", () => {
  it("validated at synth (text and digest match): read as is, the same object the schema gives", async () => {
    const config = parseConfig({
      dryRun: true,
      keyAccounts: ["222222222222"],
      modes: { "efs-key-usable": "remediate" },
    });
    const env = configEnvironment(config);
    expect(env[CONFIG_DIGEST_ENV]).toMatch(/^[0-9a-f]{64}$/);
    expect(await loadConfig(env)).toEqual(config);
    expect(await loadConfig(env)).toEqual(configFromEnv(env));
  });

  it("edited by hand (no digest, or one that does not match): validated by the schema, failing fast", async () => {
    const env = configEnvironment(parseConfig({}));
    const edited = {
      ...env,
      [CONFIG_ENV]: JSON.stringify({ ...JSON.parse(env[CONFIG_ENV]!), rotationPeriodInDays: 30 }),
    };
    await expect(loadConfig(edited)).rejects.toBeInstanceOf(ConfigError);
    await expect(loadConfig({ [CONFIG_ENV]: JSON.stringify({ dryrun: true }) })).rejects.toThrow(/dryrun/);
    // Without any configuration: the defaults, as before.
    expect(await loadConfig({})).toEqual(parseConfig({}));
  });

  it("reading the schema's output as is is sound: the schema gives its own output back unchanged", () => {
    const mode = fc.constantFrom(...MODES);
    const cidr = fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 8, max: 32 }))
      .map(([a, b, bits]) => `10.${a}.${b}.0/${bits}`);
    const input = fc.record(
      {
        modes: fc.dictionary(fc.constantFrom(...CONTROL_IDS), mode),
        dryRun: fc.boolean(),
        allowedNfsSources: fc.oneof(fc.constant("vpc"), fc.array(cidr, { minLength: 1, maxLength: 4 })),
        rotationPeriodInDays: fc.integer({ min: 90, max: 2560 }),
        keyAccounts: fc.array(fc.stringMatching(/^\d{12}$/), { maxLength: 3 }),
        regions: fc.array(fc.constantFrom("eu-west-1", "us-west-2", "ap-southeast-2"), { maxLength: 2 }),
        approvalTimeout: fc.constantFrom("7d", "36h", "90m"),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(input, (raw) => {
        let once: ReturnType<typeof parseConfig>;
        try {
          once = parseConfig(raw);
        } catch {
          return true; // an input the schema refuses never reaches a function
        }
        expect(parseConfig(JSON.parse(JSON.stringify(once)))).toEqual(once);
        return true;
      }),
    );
  });
});
