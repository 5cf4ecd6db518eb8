import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import { synthTemplate } from "../../emulator/template.js";
import { authorizeIngressEvent } from "../../events/build.js";
import { resetEmulator } from "../support/emulator.js";
import { inAccount, organization } from "../support/organization.js";

/**
 * The hub on the emulator (IAM enforced, the nfs-ingress bundle that deploys, its synthesized role): an open NFS
 * rule in each of two member accounts is revoked in that account by the hub's function, through the member role;
 * the hub's own group is untouched; a member without the role gets one alert naming it and the next member is
 * still handled. moto keeps each account's state apart; AssumeRole refuses a missing or untrusting role
 * (emulator/patches/sts_assume_role_trust.py). The member role's exact permissions are asserted by
 * test/infra/organization.test.ts; here it grants the EC2 and EFS actions the guard uses.
 */
const HUB = "123456789012";
const ENTRY = "functions/nfs-ingress/handler.ts";

/** A member account's file system behind a group with a world-open NFS rule, seeded in that account. */
async function exposed(account: string) {
  const seed = new Seeder();
  inAccount(seed.ec2, account);
  inAccount(seed.efs, account);
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId);
  const fileSystemId = await seed.fileSystem();
  await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
  const open = await seed.nfsFrom(groupId, "0.0.0.0/0");
  return { seed, groupId, open };
}

async function memberRole(account: string, hubRoleArn: string, organizationId: string) {
  const iam = inAccount(new IAMClient({ region: REGION }), account);
  const trust = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: [hubRoleArn] },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:PrincipalOrgID": organizationId } },
      },
    ],
  };
  await iam.send(
    new CreateRoleCommand({ RoleName: "efs-guard-member", AssumeRolePolicyDocument: JSON.stringify(trust) }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: "efs-guard-member",
      PolicyName: "guard",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["ec2:*", "elasticfilesystem:Describe*"], Resource: "*" }],
      }),
    }),
  );
}

describe("the hub acts in its members (nfs-ingress)", () => {
  let host: FunctionHost | undefined;
  beforeEach(resetEmulator);
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  it("each member's open rule is revoked in that member; a member without the role is alerted once", async () => {
    const { id: organizationId, members } = await organization(["a", "b", "roleless"]);
    const [a, b, roleless] = members as [string, string, string];
    const template = synthTemplate(
      { organization: { organizationId, organizationalUnitIds: ["ou-ab12-11112222"] } },
      { region: REGION },
    );
    const fn = Object.values(template.Resources).find((r: any) => r.Metadata?.EfsGuardEntry === ENTRY) as any;
    const hubRoleArn = `arn:aws:iam::${HUB}:role/${fn.Properties.Role["Fn::GetAtt"][0]}`;
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
    await memberRole(a, hubRoleArn, organizationId);
    await memberRole(b, hubRoleArn, organizationId);

    const hub = await exposed(HUB);
    const inA = await exposed(a);
    const inB = await exposed(b);
    const inRoleless = await exposed(roleless);

    const event = (account: string, x: { groupId: string; open: string }) => ({
      ...authorizeIngressEvent({ groupId: x.groupId, ruleId: x.open, cidr: "0.0.0.0/0" }),
      account,
    });
    const reports = [];
    for (const [account, x] of [
      [roleless, inRoleless],
      [a, inA],
      [b, inB],
    ] as const) {
      reports.push(await host.invoke(ENTRY, event(account, x)));
    }
    expect(reports[0]).toMatchObject({ outcome: "ignored", reason: "member-role-unavailable" });
    expect(reports[1]).toMatchObject({ outcome: "evaluated", findings: [{ outcome: "remediated" }] });
    expect(reports[2]).toMatchObject({ outcome: "evaluated", findings: [{ outcome: "remediated" }] });

    // Revoked in each member, in that member only; the hub's and the roleless member's rules are still there.
    expect(await inA.seed.ingressRules(inA.groupId)).toEqual([]);
    expect(await inB.seed.ingressRules(inB.groupId)).toEqual([]);
    expect((await hub.seed.ingressRules(hub.groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([hub.open]);
    expect((await inRoleless.seed.ingressRules(inRoleless.groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([
      inRoleless.open,
    ]);

    const alerts = await host.alerts();
    const roleAlerts = alerts.filter((x) => x.attributes.control === "efs-guard-member-role");
    expect(roleAlerts).toHaveLength(1);
    expect(roleAlerts[0]!.message.content.title).toContain(`member account ${roleless} without the EFS Guard role`);
    const remediated = alerts.filter((x) => x.attributes.outcome === "remediated");
    expect(remediated.map((x) => x.message.metadata.additionalContext.resource).sort()).toEqual(
      [inA.groupId, inB.groupId].sort(),
    );
    for (const [account, x] of [
      [a, inA],
      [b, inB],
    ] as const) {
      const alert = remediated.find((r) => r.message.metadata.additionalContext.resource === x.groupId)!;
      expect(alert.message.content.description).toContain(`account \`${account}\``);
    }
  }, 300_000);
});
