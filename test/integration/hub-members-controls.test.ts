import { DescribeFileSystemPolicyCommand } from "@aws-sdk/client-efs";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { GetKeyRotationStatusCommand } from "@aws-sdk/client-kms";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { ACCOUNT, resolveIntrinsics } from "../../emulator/intrinsics.js";
import { REGION } from "../../emulator/seed.js";
import { synthTemplate } from "../../emulator/template.js";
import { authorizeIngressEvent, deleteFileSystemPolicyEvent, kmsKeyEvent } from "../../events/build.js";
import { resetEmulator } from "../support/emulator.js";
import { inAccount, organization } from "../support/organization.js";
import { KeySeeder } from "../support/seed-kms.js";

/**
 * Issue 13's test on the emulator: a hub and three members, each with its own open NFS rule, a file system without
 * the TLS deny and a key with rotation off; and a fourth member without the role. The hub's deployed bundles
 * (nfs-ingress, file-system, kms-key) run under their synthesized roles, IAM enforced; each member's role is the one
 * the hub's StackSet deploys (its policy from the synthesized member template, trusting the three functions' roles
 * within the organization). Each member's events are remediated in that member only: the hub and the other members
 * keep their rule, their policy-less file system and their rotation off, and the hub functions' own roles make no
 * EC2, EFS or KMS call (the recorder names each call by the key that signed it).
 */
const ENTRIES = {
  nfs: "functions/nfs-ingress/handler.ts",
  fileSystem: "functions/file-system/handler.ts",
  // efs-tls-enforced's events with tlsEnforcement "unless-clients-break" (the default): after the member's ECS lookup.
  tls: "functions/ecs-clients/handler.ts",
  key: "functions/kms-key/handler.ts",
} as const;

/** An account's violations: an open NFS rule on a mount target's group, no file system policy, rotation off. */
async function violations(account: string) {
  const seed = new KeySeeder();
  inAccount(seed.ec2, account);
  inAccount(seed.efs, account);
  inAccount(seed.kms, account);
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId);
  const key = await seed.key({ rotation: false });
  const fileSystemId = await seed.fileSystem({ encrypted: true, kmsKeyId: key.keyId });
  await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
  const open = await seed.nfsFrom(groupId, "0.0.0.0/0");
  return { account, seed, groupId, open, key, fileSystemId };
}
type Seeded = Awaited<ReturnType<typeof violations>>;

/** What each control looks like in an account now: the NFS rules, whether the TLS deny is there, the rotation. */
async function state(x: Seeded) {
  const rules = (await x.seed.ingressRules(x.groupId)).map((r) => r.SecurityGroupRuleId);
  let policy: string | undefined;
  try {
    policy = (await x.seed.efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: x.fileSystemId }))).Policy;
  } catch (error) {
    if ((error as Error).name !== "PolicyNotFound") throw error;
  }
  const tlsDeny = (JSON.parse(policy ?? '{"Statement":[]}').Statement as any[]).some(
    (s) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false",
  );
  const rotation = (await x.seed.kms.send(new GetKeyRotationStatusCommand({ KeyId: x.key.keyId }))).KeyRotationEnabled;
  return { rules, tlsDeny, rotation };
}

describe("the hub remediates each member's NFS rule, TLS deny and key rotation in that member", () => {
  let host: FunctionHost | undefined;
  beforeEach(resetEmulator);
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  it("three members remediated in their own account only; a member without the role is alerted, the rest handled", async () => {
    const { id: organizationId, members } = await organization(["a", "b", "c", "roleless"]);
    const [a, b, c, roleless] = members as [string, string, string, string];
    const template = synthTemplate(
      { organization: { organizationId, organizationalUnitIds: ["ou-ab12-11112222"] } },
      { region: REGION },
    );
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });

    // The member role as the hub's StackSet deploys it: the member template's own policy, trusting the functions.
    const stackSet = Object.values(template.Resources).find(
      (r: any) => r.Type === "AWS::CloudFormation::StackSet",
    ) as any;
    const member = JSON.parse(stackSet.Properties.TemplateBody);
    const policy = Object.values(member.Resources as Record<string, any>).find(
      (r) => r.Type === "AWS::IAM::Policy" && r.Properties.PolicyName.startsWith("GuardPermissions"),
    )!;
    const roleArns = Object.values(ENTRIES).map((entry) => {
      const fn = Object.values(template.Resources).find((r: any) => r.Metadata?.EfsGuardEntry === entry) as any;
      return `arn:aws:iam::${ACCOUNT}:role/${fn.Properties.Role["Fn::GetAtt"][0]}`;
    });
    for (const account of [a, b, c]) {
      const iam = inAccount(new IAMClient({ region: REGION }), account);
      const trust = {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: roleArns },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:PrincipalOrgID": organizationId } },
          },
        ],
      };
      await iam.send(
        new CreateRoleCommand({ RoleName: "efs-guard-member", AssumeRolePolicyDocument: JSON.stringify(trust) }),
      );
      const document = resolveIntrinsics(
        policy.Properties.PolicyDocument,
        new Map([
          ["HubRegion", { ref: REGION, atts: {} }],
          ["HubAccountId", { ref: ACCOUNT, atts: {} }],
        ]),
        REGION,
      );
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: "efs-guard-member",
          PolicyName: "GuardPermissions",
          PolicyDocument: JSON.stringify(document).replaceAll(ACCOUNT, account),
        }),
      );
    }

    const hub = await violations(ACCOUNT);
    const seeded = { a: await violations(a), b: await violations(b), c: await violations(c) };
    const withoutRole = await violations(roleless);
    const before = { hub: await state(hub), roleless: await state(withoutRole) };
    expect(before.hub).toEqual({ rules: [hub.open], tlsDeny: false, rotation: false });

    const events = (x: Seeded) =>
      [
        [ENTRIES.nfs, authorizeIngressEvent({ groupId: x.groupId, ruleId: x.open, cidr: "0.0.0.0/0" })],
        [ENTRIES.tls, deleteFileSystemPolicyEvent(x.fileSystemId)],
        [
          ENTRIES.key,
          kmsKeyEvent("DisableKeyRotation", { sent: x.key.keyId, keyArn: x.key.arn }, { account: x.account }),
        ],
      ] as const;
    // The member without the role first: its failures must not stop the members after it.
    const reports: Record<string, unknown[]> = {};
    for (const x of [withoutRole, seeded.a, seeded.b, seeded.c]) {
      reports[x.account] = [];
      for (const [entry, event] of events(x)) {
        reports[x.account]!.push(await host.invoke(entry, { ...event, account: x.account }));
      }
    }

    for (const report of reports[roleless]!) {
      expect(report).toMatchObject({ outcome: "ignored", reason: "member-role-unavailable" });
    }
    for (const x of Object.values(seeded)) {
      // One remediation per event, of the control that event is about (kms-key also reports the key usable).
      const remediatedControls = reports[x.account]!.map((report: any) => {
        expect(report.outcome).toBe("evaluated");
        return report.findings.filter((f: any) => f.outcome === "remediated").map((f: any) => f.control);
      });
      expect(remediatedControls).toEqual([
        ["efs-nfs-ingress-restricted"],
        ["efs-tls-enforced"],
        ["efs-key-rotation-enabled"],
      ]);
      // Remediated where it lives: no open rule, the TLS deny merged in, rotation on.
      expect(await state(x)).toEqual({ rules: [], tlsDeny: true, rotation: true });
    }
    // The hub and the member without the role are as they were.
    expect(await state(hub)).toEqual(before.hub);
    expect(await state(withoutRole)).toEqual(before.roleless);

    // The hub functions' own roles read and wrote nothing in EC2, EFS or KMS: every call was a member session's.
    const hubCalls = host.recorder.calls
      .filter((call) => call.function !== undefined && ["ec2", "elasticfilesystem", "kms"].includes(call.service))
      .map((call) => `${call.function} ${call.service}:${call.operation}`);
    expect(hubCalls).toEqual([]);
    const memberCalls = host.recorder.calls
      .filter((call) => call.function === undefined)
      .map((call) => `${call.service}:${call.operation}`);
    for (const write of [
      "ec2:RevokeSecurityGroupIngress",
      "elasticfilesystem:PutFileSystemPolicy",
      "kms:EnableKeyRotation",
    ]) {
      expect(memberCalls.filter((call) => call === write)).toHaveLength(3);
    }

    const alerts = await host.alerts();
    // One alert for the member without the role: its three events share the dedup key (account, STS's answer).
    const roleAlerts = alerts.filter((x) => x.attributes.control === "efs-guard-member-role");
    expect(roleAlerts).toHaveLength(1);
    expect(roleAlerts[0]!.message.content.title).toContain(`member account ${roleless} without the EFS Guard role`);
    const remediated = alerts.filter((x) => x.attributes.outcome === "remediated");
    expect(remediated).toHaveLength(9);
    for (const x of Object.values(seeded)) {
      const mine = remediated.filter((r) => r.message.content.description.includes(`account \`${x.account}\``));
      expect(mine.map((r) => r.attributes.control).sort()).toEqual([
        "efs-key-rotation-enabled",
        "efs-nfs-ingress-restricted",
        "efs-tls-enforced",
      ]);
    }
  }, 600_000);
});
