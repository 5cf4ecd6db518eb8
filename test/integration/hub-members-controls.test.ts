import {
  CreateAccessPointCommand,
  DescribeFileSystemPolicyCommand,
  PutFileSystemPolicyCommand,
} from "@aws-sdk/client-efs";
import { GetKeyRotationStatusCommand } from "@aws-sdk/client-kms";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { ACCOUNT } from "../../emulator/intrinsics.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import {
  authorizeIngressEvent,
  createAccessPointEvent,
  deleteFileSystemPolicyEvent,
  kmsKeyEvent,
  putFileSystemPolicyEvent,
} from "../../events/build.js";
import { resetEmulator } from "../support/emulator.js";
import { hubTemplate, hubTestState, memberPolicyOf, memberRole, roleArnOf } from "../support/hub.js";
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
    const template = hubTemplate(organizationId);
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });

    // The member role as the hub's StackSet deploys it: the member template's own policy, trusting the functions.
    const roleArns = Object.values(ENTRIES).map((entry) => roleArnOf(template, entry));
    for (const account of [a, b, c]) await memberRole(account, roleArns, organizationId, memberPolicyOf(template));

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

/**
 * efs-access in the hub (alert only, read only): a member's file system policy and access point are read with that
 * member's role, under the member role the StackSet deploys, and the alert names the member. The same ids sent from
 * another member are looked up in that member (where they do not exist), never in the account that holds them.
 */
describe("the hub's efs-access function judges each member's access in that member", () => {
  const t = hubTestState();

  const ENTRY = "functions/efs-access/handler.ts";
  /** A file system whose policy lets everyone mount, write and be root, with an access point that sets no user. */
  async function openAccess(account: string) {
    const seed = new Seeder();
    inAccount(seed.efs, account);
    const fileSystemId = await seed.fileSystem();
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: [
            "elasticfilesystem:ClientMount",
            "elasticfilesystem:ClientWrite",
            "elasticfilesystem:ClientRootAccess",
          ],
          Resource: `arn:aws:elasticfilesystem:${REGION}:${account}:file-system/${fileSystemId}`,
        },
      ],
    });
    await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fileSystemId, Policy: policy }));
    const ap = await seed.efs.send(new CreateAccessPointCommand({ FileSystemId: fileSystemId, ClientToken: account }));
    return { account, fileSystemId, policy, accessPointId: ap.AccessPointId! };
  }
  type Open = Awaited<ReturnType<typeof openAccess>>;
  const events = (x: Open, from: string) => [
    { ...putFileSystemPolicyEvent(x.fileSystemId, x.policy), account: from },
    { ...createAccessPointEvent({ accessPointId: x.accessPointId, fileSystemId: x.fileSystemId }), account: from },
  ];
  const verdicts = (report: any) => report.findings.map((f: any) => `${f.control} ${f.outcome}`).sort();

  it("a member's open policy and user-less access point alert, read with its role; its ids from another member do not cross", async () => {
    const { id: organizationId, members } = await organization(["a", "b"]);
    const [a, b] = members as [string, string];
    const template = hubTemplate(organizationId);
    const host = await t.deploy(template);
    for (const account of [a, b]) {
      await memberRole(account, [roleArnOf(template, ENTRY)], organizationId, memberPolicyOf(template));
    }
    // The same violations in the hub itself: read there, they would be found for the member's event too.
    const hub = await openAccess(ACCOUNT);
    const inA = await openAccess(a);

    const own = [];
    for (const event of events(inA, a)) own.push(await host.invoke(ENTRY, event));
    expect(own.map((r: any) => r.outcome)).toEqual(["evaluated", "evaluated"]);
    expect(own.map(verdicts)).toEqual([
      ["efs-iam-authorization-required alerted", "efs-root-access-restricted alerted"],
      ["efs-access-point-enforced alerted"],
    ]);

    // A's ids in an event of B: read in B, where there is no such file system or access point.
    const crossed = [];
    for (const event of events(inA, b)) crossed.push(await host.invoke(ENTRY, event));
    expect(crossed.map(verdicts)).toEqual([
      ["efs-iam-authorization-required not-applicable", "efs-root-access-restricted not-applicable"],
      ["efs-access-point-enforced not-applicable"],
    ]);

    const alerts = (await host.alerts()).filter((x) => x.attributes.outcome === "alerted");
    expect(alerts.map((x) => x.attributes.control).sort()).toEqual([
      "efs-access-point-enforced",
      "efs-iam-authorization-required",
      "efs-root-access-restricted",
    ]);
    for (const alert of alerts) {
      const text = alert.message.content.description as string;
      expect(text).toContain(`account \`${a}\``);
      expect(text).not.toContain(hub.fileSystemId);
      expect(text).not.toContain(b);
    }
    // Every EFS read was a member session's: the hub function's own role read nothing of EFS or KMS.
    const hubCalls = host.recorder.calls.filter(
      (call) => call.function !== undefined && ["elasticfilesystem", "kms"].includes(call.service),
    );
    expect(hubCalls).toEqual([]);
    const memberCalls = host.recorder.calls
      .filter((call) => call.function === undefined)
      .map((call) => `${call.service}:${call.operation}`);
    expect(memberCalls).toContain("elasticfilesystem:DescribeFileSystemPolicy");
    expect(memberCalls).toContain("elasticfilesystem:DescribeAccessPoints");
  }, 300_000);
});
