import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureVenv, VENV } from "../../emulator/venv.js";
import { synthApp } from "./synth.js";

/**
 * cfn-lint (pinned in emulator/requirements.txt) on every template of a bundled multi-region synth: the files
 * `cdk deploy` would upload. Errors fail; warnings fail too, except the ones listed here with the reason.
 */
const TOLERATED_WARNINGS: Record<string, string> = {
  // CDK's Function adds DependsOn on its role although the Role property already GetAtts it: redundant, harmless.
  W3005: "redundant DependsOn added by CDK",
};

interface Finding {
  Rule: { Id: string };
  Level: string;
  Message: string;
  Filename: string;
}

let outdir: string;
let templates: string[];
beforeAll(() => {
  ensureVenv();
  // An organization's hub with the guardrail SCP attached (organization.guardrails.attach): its
  // AWS::Organizations::Policy, the StackSet and the member template (its TemplateBody) are linted too.
  const organization = {
    organizationId: "o-abcdefghij",
    organizationalUnitIds: ["ou-ab12-11112222"],
    guardrails: { attach: true },
  };
  outdir = synthApp(
    { regions: ["us-east-1", "eu-central-1"], organization },
    { region: "eu-west-1", bundle: true },
  ).outdir;
  const hub = JSON.parse(readFileSync(join(outdir, "EfsGuard.template.json"), "utf8"));
  const stackSet = Object.values(hub.Resources as Record<string, any>).find(
    (r) => r.Type === "AWS::CloudFormation::StackSet",
  );
  writeFileSync(join(outdir, "EfsGuardMember.template.json"), stackSet.Properties.TemplateBody);
  templates = readdirSync(outdir)
    .filter((f) => f.endsWith(".template.json"))
    .map((f) => join(outdir, f));
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("cfn-lint", () => {
  it("finds no error and no untolerated warning in any synthesized template", () => {
    expect(templates.map((t) => t.replace(/^.*\//, "")).sort()).toEqual([
      "EfsGuard.template.json",
      "EfsGuardForwarder-eu-central-1.template.json",
      "EfsGuardForwarder-us-east-1.template.json",
      "EfsGuardMember.template.json",
    ]);
    const home = readFileSync(templates.find((t) => t.endsWith("/EfsGuard.template.json"))!, "utf8");
    expect(home).toContain('"Type": "AWS::Organizations::Policy"');
    const run = spawnSync(join(VENV, "bin", "cfn-lint"), ["--format", "json", "--", ...templates], {
      encoding: "utf8",
    });
    expect(run.error).toBeUndefined();
    const findings = JSON.parse(run.stdout || "[]") as Finding[];
    const refused = findings.filter((f) => f.Level === "Error" || !(f.Rule.Id in TOLERATED_WARNINGS));
    expect(refused.map((f) => `${f.Rule.Id} ${f.Filename.replace(/^.*\//, "")}: ${f.Message}`)).toEqual([]);
    // Exit codes are bit flags: 2 = errors. Warnings (4) are filtered above.
    expect(run.status! & 2).toBe(0);
  });
});
