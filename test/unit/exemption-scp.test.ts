import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SECURITY_ROLE_ARN, tagPolicy } from "../../shared/guardrails/scp.js";
import { SIM_ACCOUNT, scpDecision } from "../support/scp-simulate.js";

/**
 * The SCP of docs/exemptions.md, evaluated by an IAM policy simulator (@cloud-copilot/iam-simulate: identity
 * policies, SCPs and every condition operator, as AWS evaluates them): the efs-guard:* tags are the security role's
 * alone. The test reads the policy from docs/policies/, checks that it is the one definition (shared/guardrails/scp.ts,
 * which `efs-guard guardrails` prints and the stack attaches) and that the page shows exactly that JSON.
 */
const ROOT = join(import.meta.dirname, "../..");
const SCP_TEXT = readFileSync(join(ROOT, "docs/policies/efs-guard-tags-scp.json"), "utf8");
const SCP = JSON.parse(SCP_TEXT);
const ACCOUNT = SIM_ACCOUNT;
const SECURITY = `arn:aws:iam::${ACCOUNT}:role/EfsGuardExemptions`;
const DEVELOPER = `arn:aws:iam::${ACCOUNT}:role/Developer`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/AdministratorAccess`;

const resources = {
  group: `arn:aws:ec2:us-east-1:${ACCOUNT}:security-group/sg-0123456789abcdef0`,
  fileSystem: `arn:aws:elasticfilesystem:us-east-1:${ACCOUNT}:file-system/fs-0123456789abcdef0`,
  key: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
};

function decision(
  principal: string,
  action: string,
  resource: string,
  context: Record<string, string | string[]>,
): Promise<string> {
  return scpDecision(SCP, principal, action, resource, context);
}

const EXEMPT = { "aws:TagKeys": ["efs-guard:exempt", "efs-guard:exempt-until"] };

describe("the SCP that keeps the efs-guard:* tags to the security role", () => {
  it("is the tag guardrail as shared/guardrails/scp.ts builds it for the default security role", () => {
    // On a change there: write tagPolicy() to docs/policies/efs-guard-tags-scp.json (biome-formatted) and the page.
    expect(SCP).toEqual(tagPolicy());
    expect(SECURITY).toMatch(new RegExp(`^${DEFAULT_SECURITY_ROLE_ARN.replaceAll("*", "\\d{12}")}$`));
  });

  it("is on the exemptions page exactly as tested", () => {
    const page = readFileSync(join(ROOT, "docs/exemptions.md"), "utf8");
    expect(page).toContain(`\`\`\`json\n${SCP_TEXT.trim()}\n\`\`\``);
  });

  it.each([
    ["ec2:CreateTags", resources.group, EXEMPT],
    ["ec2:DeleteTags", resources.group, { "aws:TagKeys": ["efs-guard:exempt"] }],
    ["elasticfilesystem:TagResource", resources.fileSystem, EXEMPT],
    ["elasticfilesystem:UntagResource", resources.fileSystem, { "aws:TagKeys": ["efs-guard:replacement"] }],
    ["kms:TagResource", resources.key, EXEMPT],
    ["kms:UntagResource", resources.key, { "aws:TagKeys": ["efs-guard:exempt"] }],
    // Tag-on-create: CreateFileSystem is authorized on "*" (no resource yet) with the request's tag keys.
    ["elasticfilesystem:CreateFileSystem", "*", { "aws:TagKeys": ["Name", "efs-guard:exempt"] }],
  ])(
    "%s with efs-guard keys: denied to others, even administrators; allowed to the security role",
    async (action, resource, context) => {
      expect(await decision(DEVELOPER, action, resource, context)).toBe("ExplicitlyDenied");
      expect(await decision(ADMIN, action, resource, context)).toBe("ExplicitlyDenied");
      expect(await decision(SECURITY, action, resource, context)).toBe("Allowed");
    },
  );

  it("EFS Guard's own migration roles may write the migration's tags (home and forwarder stacks); no one else", async () => {
    const recreate = `arn:aws:iam::${ACCOUNT}:role/EfsGuard-MigrationRecreateRole145D0A5B-Q1W2E3R4T5Y6`;
    const surroundings = `arn:aws:iam::${ACCOUNT}:role/EfsGuardForwarder-eu-west-1-MigrationSurroundingsRole-A1B2C3`;
    const create = { "aws:TagKeys": ["efs-guard:migration"] };
    expect(await decision(recreate, "elasticfilesystem:CreateFileSystem", "*", create)).toBe("Allowed");
    const record = { "aws:TagKeys": ["efs-guard:replacement", "efs-guard:replacement-record"] };
    expect(await decision(surroundings, "elasticfilesystem:TagResource", resources.fileSystem, record)).toBe("Allowed");
    const lookalike = `arn:aws:iam::${ACCOUNT}:role/Migration-EfsGuard`;
    expect(await decision(lookalike, "elasticfilesystem:TagResource", resources.fileSystem, record)).toBe(
      "ExplicitlyDenied",
    );
  });

  it("other tags stay free for everyone", async () => {
    expect(await decision(DEVELOPER, "ec2:CreateTags", resources.group, { "aws:TagKeys": ["Name", "team"] })).toBe(
      "Allowed",
    );
    expect(await decision(DEVELOPER, "kms:TagResource", resources.key, { "aws:TagKeys": ["owner"] })).toBe("Allowed");
  });

  it("deleting every tag of a group (DeleteTags without keys) is the security role's too", async () => {
    expect(await decision(DEVELOPER, "ec2:DeleteTags", resources.group, {})).toBe("ExplicitlyDenied");
    expect(await decision(SECURITY, "ec2:DeleteTags", resources.group, {})).toBe("Allowed");
  });

  it("not even the security role may write efs-guard:exempt=all (aws:RequestTag)", async () => {
    const blanket = { "aws:TagKeys": ["efs-guard:exempt"], "aws:RequestTag/efs-guard:exempt": "ALL" };
    expect(await decision(SECURITY, "ec2:CreateTags", resources.group, blanket)).toBe("ExplicitlyDenied");
    const narrow = { "aws:TagKeys": ["efs-guard:exempt"], "aws:RequestTag/efs-guard:exempt": "efs-tls-enforced" };
    expect(await decision(SECURITY, "elasticfilesystem:TagResource", resources.fileSystem, narrow)).toBe("Allowed");
  });
});
