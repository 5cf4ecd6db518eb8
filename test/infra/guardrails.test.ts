import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/schema.js";
import { runCli } from "../support/cli.js";
import type { Template } from "./iam.js";
import { synthApp } from "./synth.js";

/**
 * The opt-in attachment of the guardrail SCP (organization.guardrails.attach): the stack's
 * AWS::Organizations::Policy is exactly what `efs-guard guardrails --json` prints, on the configured targets; the
 * synth runs cdk-nag (an unacknowledged finding throws); cfn-lint.test.ts lints a synth that attaches it.
 */
const SECURITY = "arn:aws:iam::*:role/security/CloudSecurity";
const organization = {
  organizationalUnitIds: ["ou-ab12-11112222", "r-ab12"],
  guardrails: { attach: true, securityRoleArn: SECURITY },
};

let template: Template;
let outdir: string;
beforeAll(() => {
  const synth = synthApp({ organization }, { region: "eu-west-1" });
  outdir = synth.outdir;
  template = synth.templates.EfsGuard!;
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function policies(t: Template) {
  return Object.values(t.Resources).filter((r) => r.Type === "AWS::Organizations::Policy");
}

describe("guardrails attached by the stack", () => {
  it("is one SCP, equal to the CLI's, on the configured OUs and root", async () => {
    const cli = await runCli(["guardrails", "--json", "--security-role", SECURITY]);
    expect(cli.code).toBe(0);
    const printed = JSON.parse(cli.stdout);
    const [policy, ...more] = policies(template);
    expect(more).toEqual([]);
    expect(policy!.Properties).toEqual({
      Name: printed.policyName,
      Type: "SERVICE_CONTROL_POLICY",
      Description: expect.any(String),
      Content: printed.policy,
      TargetIds: ["ou-ab12-11112222", "r-ab12"],
    });
  });

  it("the configuration's role is the one the CLI reads from the same file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "efs-guard-guardrails-"));
    try {
      writeFileSync(join(dir, "config.json"), JSON.stringify({ organization }));
      const cli = await runCli(["guardrails", "--json", "--config", join(dir, "config.json")]);
      expect(JSON.parse(cli.stdout).policy).toEqual(policies(template)[0]!.Properties.Content);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is absent without organization.guardrails.attach (opt-in)", () => {
    for (const config of [{}, { organization: { organizationalUnitIds: ["ou-ab12-11112222"] } }]) {
      const synth = synthApp(config, { region: "eu-west-1" });
      try {
        expect(policies(synth.templates.EfsGuard!)).toEqual([]);
      } finally {
        rmSync(synth.outdir, { recursive: true, force: true });
      }
    }
  });
  // cfn-lint: test/infra/cfn-lint.test.ts lints a synth with the same organization block attached.
});

describe("the organization block (validated at synth time by the one schema)", () => {
  it("has issue 13's keys with their defaults, and guardrails off", () => {
    expect(parseConfig({ organization: {} }).organization).toEqual({
      callAs: "DELEGATED_ADMIN",
      memberRoleName: "efs-guard-member",
      organizationalUnitIds: [],
      regions: [],
      sweepConcurrency: 20,
      accounts: [],
      guardrails: { attach: false, securityRoleArn: "arn:aws:iam::*:role/EfsGuardExemptions" },
    });
    expect(() => parseConfig({ organization: { accounts: ["12345"] } })).toThrow(/organization\.accounts.*12-digit/s);
    expect(parseConfig({}).organization).toBeUndefined();
  });

  it.each([
    [
      { guardrails: { attach: true } },
      "organization.guardrails.attach (got true): guardrails.attach needs the organizationalUnitIds",
    ],
    [
      { organizationalUnitIds: ["ou-1"] },
      'organization.organizationalUnitIds.0 (got "ou-1"): an organizational unit id',
    ],
    // A wildcard in the name would exempt whoever can create a role that matches it.
    [{ guardrails: { securityRoleArn: "arn:aws:iam::*:role/Efs*" } }, "without wildcards in its name"],
    [{ guardrails: { securityRoleArn: "arn:aws:iam::*:user/alice" } }, "an IAM role ARN"],
    [{ sweepConcurrency: 0 }, "organization.sweepConcurrency (got 0)"],
    [{ memberRoleName: "a/b" }, "an IAM role name"],
    [{ guardrail: {} }, 'organization: unknown key(s) "guardrail"'],
  ])("refuses %j", (block, message) => {
    expect(() => parseConfig({ organization: block })).toThrow(message);
  });
});
