import { describe, expect, it } from "vitest";
import { synthTemplate } from "../../emulator/template.js";
import {
  CLIENT_TLS_EVENTS,
  MOUNT_TARGET_PRIVATE_EVENTS,
  patternsFor,
  TAG_EVENTS,
  TLS_ENFORCEMENT_EVENTS,
} from "../../events/patterns.js";
import type { ConfigInput } from "../../shared/config/schema.js";
import { functionPermissions, PLUMBING, roleStatements, type Template } from "./iam.js";

/** Every write a guard function (or the sweep) can make, by the control that needs it. */
const WRITES: Record<string, string[]> = {
  "efs-nfs-ingress-restricted": ["ec2:RevokeSecurityGroupIngress"],
  "efs-tls-enforced": ["elasticfilesystem:PutFileSystemPolicy"],
  "efs-backup-enabled": ["elasticfilesystem:PutBackupPolicy"],
  "efs-key-rotation-enabled": ["kms:EnableKeyRotation"],
  "efs-key-usable": ["kms:CancelKeyDeletion", "kms:EnableKey"],
  "efs-encrypted-at-rest": ["states:StartExecution", "states:DescribeExecution"],
};
const ALL_WRITES = Object.values(WRITES).flat();

const GUARDS: Record<string, string> = {
  nfs: "functions/nfs-ingress/handler.ts",
  fs: "functions/file-system/handler.ts",
  kms: "functions/kms-key/handler.ts",
  sweep: "functions/sweep/handler.ts",
  tags: "functions/tag-audit/handler.ts",
  access: "functions/efs-access/handler.ts",
  ecs: "functions/ecs-clients/handler.ts",
};

function writesOf(config: ConfigInput): Record<keyof typeof GUARDS, string[]> {
  const perms = functionPermissions(synthTemplate(config) as Template);
  const out: Record<string, string[]> = {};
  for (const [name, entry] of Object.entries(GUARDS)) {
    const p = perms.get(entry);
    if (!p) throw new Error(`no function ${entry}`);
    // The sweep starts its own split (StartSplitSweep, on efs-guard-sweep only): a sweep, not a remediation write.
    const allows = p.allows.filter((st) => st.sid !== "StartSplitSweep");
    const actions = [...new Set(allows.flatMap((st) => st.actions))];
    out[name] = actions.filter((a) => ALL_WRITES.includes(a)).sort();
  }
  return out;
}

const sorted = (...lists: string[][]) => [...new Set(lists.flat())].sort();

describe("least privilege by mode: a write only while its control is in remediate mode without dryRun", () => {
  it("default modes: revoke, TLS policy, rotation and the migration start; no backup or key-restore writes", () => {
    const w = writesOf({});
    expect(w.nfs).toEqual(WRITES["efs-nfs-ingress-restricted"]);
    // tlsEnforcement "unless-clients-break" (the default): the ecs-clients function writes the TLS deny on events,
    // after looking up the ECS clients it would cut off; the file-system function no longer may.
    expect(w.fs).toEqual(sorted(WRITES["efs-encrypted-at-rest"]!));
    expect(w.ecs).toEqual(WRITES["efs-tls-enforced"]);
    expect(w.kms).toEqual(WRITES["efs-key-rotation-enabled"]);
    expect(w.sweep).toEqual(
      sorted(
        WRITES["efs-nfs-ingress-restricted"]!,
        WRITES["efs-tls-enforced"]!,
        WRITES["efs-encrypted-at-rest"]!,
        WRITES["efs-key-rotation-enabled"]!,
      ),
    );
    expect(w.tags).toEqual([]);
    expect(w.access).toEqual([]);
  });

  it('tlsEnforcement "always": the file-system function writes the TLS deny, the ecs-clients function writes nothing', () => {
    const w = writesOf({ tlsEnforcement: "always" });
    expect(w.fs).toEqual(sorted(WRITES["efs-tls-enforced"]!, WRITES["efs-encrypted-at-rest"]!));
    expect(w.ecs).toEqual([]);
  });

  it("every control in alert mode: no write anywhere", () => {
    const modes = Object.fromEntries(Object.keys(WRITES).map((c) => [c, "alert"]));
    expect(writesOf({ modes })).toEqual({ nfs: [], fs: [], kms: [], sweep: [], tags: [], access: [], ecs: [] });
  });

  it("dryRun: no write anywhere, whatever the modes", () => {
    const modes = Object.fromEntries(Object.keys(WRITES).map((c) => [c, "remediate"]));
    expect(writesOf({ dryRun: true, modes })).toEqual({
      nfs: [],
      fs: [],
      kms: [],
      sweep: [],
      tags: [],
      access: [],
      ecs: [],
    });
  });

  it("opt-in remediations add exactly their writes; a control turned off takes its write away", () => {
    const w = writesOf({
      modes: {
        "efs-backup-enabled": "remediate",
        "efs-key-usable": "remediate",
        "efs-key-rotation-enabled": "off",
        "efs-encrypted-at-rest": "alert",
        "efs-nfs-ingress-restricted": "off",
      },
    });
    expect(w.nfs).toEqual([]);
    expect(w.fs).toEqual(sorted(WRITES["efs-backup-enabled"]!));
    expect(w.ecs).toEqual(WRITES["efs-tls-enforced"]);
    expect(w.kms).toEqual(sorted(WRITES["efs-key-usable"]!));
    expect(w.sweep).toEqual(
      sorted(WRITES["efs-tls-enforced"]!, WRITES["efs-backup-enabled"]!, WRITES["efs-key-usable"]!),
    );
  });

  it("without the migration remediation, no function gets the workflow's ARN", () => {
    const t = synthTemplate({ modes: { "efs-encrypted-at-rest": "alert" } });
    for (const [, r] of Object.entries(t.Resources)) {
      if (r.Type !== "AWS::Lambda::Function" || !r.Metadata?.EfsGuardEntry?.startsWith("functions/")) continue;
      if (String(r.Metadata.EfsGuardEntry).startsWith("functions/migration/")) continue;
      expect(Object.keys(r.Properties.Environment.Variables)).not.toContain("MIGRATION_STATE_MACHINE_ARN");
    }
  });
});

describe("the tag-change function", () => {
  const template = synthTemplate({});
  const perms = functionPermissions(template as Template).get(GUARDS.tags!)!;

  it("may only re-read tags (and publish, dead-letter, log)", () => {
    expect(perms.actions).toEqual([
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "elasticfilesystem:DescribeAccessPoints",
      "elasticfilesystem:DescribeFileSystems",
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "kms:ListResourceTags",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "sns:Publish",
      "sqs:SendMessage",
    ]);
    const resourcesOf = (action: string) =>
      perms.allows.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);
    expect(resourcesOf("kms:ListResourceTags")).toEqual(["arn:<AWS::Partition>:kms:*:<AWS::AccountId>:key/*"]);
    expect(resourcesOf("elasticfilesystem:DescribeFileSystems")).toEqual([
      "arn:<AWS::Partition>:elasticfilesystem:*:<AWS::AccountId>:file-system/*",
    ]);
  });

  it("has one rule per tag call family, each with its efs-guard: filter", () => {
    const id = perms.logicalId;
    const rules = Object.values(template.Resources).filter(
      (r) => r.Type === "AWS::Events::Rule" && r.Properties.Targets.some((t: any) => t.Arn["Fn::GetAtt"]?.[0] === id),
    );
    expect(rules.map((r) => r.Properties.EventPattern)).toEqual(patternsFor(TAG_EVENTS));
    expect(rules).toHaveLength(6);
    for (const r of rules) expect(JSON.stringify(r.Properties.EventPattern)).toContain('"prefix"');
  });
});

describe("the access function (efs-iam-authorization-required, efs-root-access-restricted, efs-access-point-enforced)", () => {
  it("only reads file systems, their policies, access points and replications (and a replica's key, a new file system's key policy and tags), whatever the modes (all alert only)", () => {
    for (const modes of [{}, Object.fromEntries(Object.keys(WRITES).map((c) => [c, "remediate"]))]) {
      const perms = functionPermissions(synthTemplate({ modes }) as Template).get(GUARDS.access!)!;
      expect(perms.actions).toEqual([
        "elasticfilesystem:DescribeAccessPoints",
        "elasticfilesystem:DescribeFileSystemPolicy",
        "elasticfilesystem:DescribeFileSystems",
        "elasticfilesystem:DescribeReplicationConfigurations",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKey",
        "kms:GetKeyPolicy",
        "kms:ListResourceTags",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sns:Publish",
        "sqs:SendMessage",
      ]);
      const resourcesOf = (action: string) =>
        perms.allows.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);
      expect(resourcesOf("elasticfilesystem:DescribeAccessPoints")).toEqual([
        "arn:<AWS::Partition>:elasticfilesystem:*:<AWS::AccountId>:access-point/*",
        "arn:<AWS::Partition>:elasticfilesystem:*:<AWS::AccountId>:file-system/*",
      ]);
      // A replica's key, in the replica's region: this account's keys only.
      expect(resourcesOf("kms:DescribeKey")).toEqual(["arn:<AWS::Partition>:kms:*:<AWS::AccountId>:key/*"]);
      // efs-key-policy-restricted on CreateFileSystem: this account's keys only (KMS serves neither across accounts).
      expect(resourcesOf("kms:GetKeyPolicy")).toEqual(["arn:<AWS::Partition>:kms:*:<AWS::AccountId>:key/*"]);
      expect(resourcesOf("kms:ListResourceTags")).toEqual(["arn:<AWS::Partition>:kms:*:<AWS::AccountId>:key/*"]);
    }
  });
});

/** The EventBridge rules whose target is the function. */
function rulesTargeting(template: Template, logicalId: string) {
  return Object.values(template.Resources).filter(
    (r) =>
      r.Type === "AWS::Events::Rule" && r.Properties.Targets.some((t: any) => t.Arn["Fn::GetAtt"]?.[0] === logicalId),
  );
}

describe("the ECS client function (efs-clients-use-tls, and efs-tls-enforced while unless-clients-break)", () => {
  const template = synthTemplate({});
  const perms = functionPermissions(template as Template).get(GUARDS.ecs!)!;
  const FS_ARN = "arn:<AWS::Partition>:elasticfilesystem:*:<AWS::AccountId>:file-system/*";

  it("lists and describes task definitions, reads file systems and their policies, writes only the policy", () => {
    expect(perms.actions).toEqual([
      "ecs:DescribeTaskDefinition",
      "ecs:ListTaskDefinitions",
      "elasticfilesystem:DescribeFileSystemPolicy",
      "elasticfilesystem:DescribeFileSystems",
      "elasticfilesystem:PutFileSystemPolicy",
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "sns:Publish",
      "sqs:SendMessage",
    ]);
    const resourcesOf = (action: string) =>
      perms.allows.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);
    for (const action of [
      "elasticfilesystem:DescribeFileSystemPolicy",
      "elasticfilesystem:DescribeFileSystems",
      "elasticfilesystem:PutFileSystemPolicy",
    ]) {
      expect(resourcesOf(action)).toEqual([FS_ARN]);
    }
  });

  it("has the rules of ECS RegisterTaskDefinition and of efs-tls-enforced's EFS events, failed calls excluded", () => {
    const rules = rulesTargeting(template as Template, perms.logicalId);
    expect(rules.map((r) => r.Properties.EventPattern)).toEqual(
      patternsFor({ ...CLIENT_TLS_EVENTS, ...TLS_ENFORCEMENT_EVENTS }),
    );
    expect(rules.map((r) => r.Properties.EventPattern.source).sort()).toEqual([["aws.ecs"], ["aws.elasticfilesystem"]]);
  });

  it('tlsEnforcement "always", or efs-tls-enforced in alert mode: only what each needs', () => {
    const always = synthTemplate({ tlsEnforcement: "always" });
    const a = functionPermissions(always as Template).get(GUARDS.ecs!)!;
    expect(a.actions.filter((x) => !/^(kms|logs|sns|sqs):/.test(x))).toEqual([
      "ecs:DescribeTaskDefinition",
      "ecs:ListTaskDefinitions",
    ]);
    expect(rulesTargeting(always as Template, a.logicalId).map((r) => r.Properties.EventPattern)).toEqual(
      patternsFor(CLIENT_TLS_EVENTS),
    );
    const alert = functionPermissions(synthTemplate({ modes: { "efs-tls-enforced": "alert" } }) as Template).get(
      GUARDS.ecs!,
    )!;
    expect(alert.actions.filter((x) => x.startsWith("elasticfilesystem:"))).toEqual([
      "elasticfilesystem:DescribeFileSystemPolicy",
      "elasticfilesystem:DescribeFileSystems",
    ]);
  });
});

describe("the mount-target function (efs-mount-target-private)", () => {
  const template = synthTemplate({});
  const perms = functionPermissions(template as Template).get("functions/mount-targets/handler.ts")!;

  it("may only read mount targets, subnets, route tables and interfaces (and publish, dead-letter, log)", () => {
    expect(perms.actions).toEqual([
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeRouteTables",
      "ec2:DescribeSubnets",
      "elasticfilesystem:DescribeMountTargets",
      ...PLUMBING,
    ]);
    const resourcesOf = (action: string) =>
      perms.allows.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);
    expect(resourcesOf("elasticfilesystem:DescribeMountTargets")).toEqual([
      "arn:<AWS::Partition>:elasticfilesystem:*:<AWS::AccountId>:file-system/*",
    ]);
  });

  it("has one rule per event source: EFS CreateMountTarget and the five EC2 subnet and route calls", () => {
    const rules = rulesTargeting(template as Template, perms.logicalId);
    expect(rules.map((r) => r.Properties.EventPattern)).toEqual(patternsFor(MOUNT_TARGET_PRIVATE_EVENTS));
  });
});

describe("kms:CreateGrant only for AWS resources", () => {
  it("the recreate step's grant and the migration key's policy carry kms:GrantIsForAWSResource", () => {
    const template = synthTemplate({}) as Template;
    const grants = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === "AWS::IAM::Role")
      .flatMap(([id]) => roleStatements(template, id))
      .filter((s) => s.actions.includes("kms:CreateGrant"));
    expect(grants.length).toBeGreaterThan(0);
    for (const g of grants) {
      expect(g.actions).toEqual(["kms:CreateGrant"]);
      expect(g.condition).toEqual({ Bool: { "kms:GrantIsForAWSResource": "true" } });
    }
    const keyStatements = Object.values(template.Resources)
      .filter((r) => r.Type === "AWS::KMS::Key")
      .flatMap((r) => r.Properties.KeyPolicy.Statement as any[])
      .filter((s) => [s.Action].flat().includes("kms:CreateGrant"));
    expect(keyStatements).toHaveLength(1);
    expect([keyStatements[0].Action].flat()).toEqual(["kms:CreateGrant"]);
    expect(keyStatements[0].Condition.Bool).toEqual({ "kms:GrantIsForAWSResource": "true" });
  });
});
