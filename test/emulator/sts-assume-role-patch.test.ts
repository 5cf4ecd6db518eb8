import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { EFSClient } from "@aws-sdk/client-efs";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { beforeEach, describe, expect, it } from "vitest";
import { REFUSED_BY_HEADER } from "../../emulator/recorder.js";
import { accountAccess, MemberRoleUnavailableError } from "../../shared/aws/accounts.js";
import type { Clock } from "../../shared/runtime/clock.js";
import { resetEmulator } from "../support/emulator.js";
import { type Credentials, session } from "../support/identities.js";
import { inAccount, organization } from "../support/organization.js";

/**
 * sts_assume_role_trust (and iam_enforcement's aws:PrincipalOrgID / aws:ResourceOrgID): AssumeRole into another
 * account gives credentials acting there, only when the role exists and trusts the caller, and only as far as the
 * caller's own policy allows (the hub's role: the member role in this organization's accounts). And
 * shared/aws/accounts.ts on that real STS: one AssumeRole per account for all its clients, renewed 5 minutes before
 * expiry. moto keeps each account's state apart; the administrator's calls name the account in x-moto-account-id.
 */
const HUB = "123456789012";
const OUTSIDER = "999999999999";
const REGION = "us-east-1";

async function role(
  account: string,
  name: string,
  trust: object,
  actions: string[],
  resource = "*",
  condition?: object,
) {
  const iam = inAccount(new IAMClient({ region: REGION }), account);
  const arn = (
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }))
  ).Role!.Arn!;
  const statement = {
    Effect: "Allow",
    Action: actions,
    Resource: resource,
    ...(condition ? { Condition: condition } : {}),
  };
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: name,
      PolicyName: "p",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }),
    }),
  );
  return arn;
}

const trusting = (principal: string, org?: string) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: principal },
      Action: "sts:AssumeRole",
      ...(org ? { Condition: { StringEquals: { "aws:PrincipalOrgID": org } } } : {}),
    },
  ],
});

const hubFnArn = `arn:aws:iam::${HUB}:role/hub-fn`;

async function setUp() {
  const org = await organization(["m0", "m1"]);
  const [member, roleless] = org.members as [string, string];
  await role(member, "efs-guard-member", trusting(hubFnArn, org.id), [
    "ec2:DescribeSecurityGroups",
    "sts:GetCallerIdentity",
  ]);
  await role(OUTSIDER, "efs-guard-member", trusting(hubFnArn), ["ec2:DescribeSecurityGroups"]);
  // The hub function's role: the member role in this organization's accounts only (infra/permissions.ts).
  await role(
    HUB,
    "hub-fn",
    trusting(`arn:aws:iam::${HUB}:root`),
    ["sts:AssumeRole"],
    "arn:aws:iam::*:role/efs-guard-member",
    {
      StringEquals: { "aws:ResourceOrgID": org.id },
    },
  );
  // Allowed to assume anything by its own policy, but trusted by no member role.
  await role(HUB, "other-fn", trusting(`arn:aws:iam::${HUB}:root`), ["sts:AssumeRole"]);
  const hubFn = await session(hubFnArn, "efs-guard-nfs-ingress");
  const otherFn = await session(`arn:aws:iam::${HUB}:role/other-fn`, "x");
  return { org, member, roleless, hubFn, otherFn };
}

function countingSts(credentials: Credentials) {
  const sts = new STSClient({ region: REGION, credentials });
  const roles: string[] = [];
  return {
    roles,
    sts: {
      send: ((command: AssumeRoleCommand) => {
        roles.push(command.input.RoleArn!);
        return sts.send(command);
      }) as STSClient["send"],
    },
  };
}

beforeEach(resetEmulator);

describe("sts_assume_role_trust", () => {
  it("a member role that trusts the hub's function in this organization: credentials acting in the member", async () => {
    const { member, hubFn } = await setUp();
    const out = await new STSClient({ region: REGION, credentials: hubFn }).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${member}:role/efs-guard-member`, RoleSessionName: "s" }),
    );
    expect(out.AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${member}:assumed-role/efs-guard-member/s`);
  });

  it("refused: a role that is not there, a role outside the organization, a caller the role does not trust", async () => {
    const { member, roleless, hubFn, otherFn } = await setUp();
    const assume = (as: Credentials, account: string) =>
      new STSClient({ region: REGION, credentials: as })
        .send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/efs-guard-member`, RoleSessionName: "s" }))
        .then(
          () => "allowed",
          (e: Error) => `${e.name}: ${e.message}`,
        );
    expect(await assume(hubFn, roleless)).toBe(
      `AccessDenied: User: ${hubFnArn} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${roleless}:role/efs-guard-member`,
    );
    // The outsider's role trusts the hub, but the hub's own policy allows this organization's accounts only.
    expect(await assume(hubFn, OUTSIDER)).toMatch(/^AccessDenied: .*sts:AssumeRole/);
    // other-fn's policy allows any role, but the member role trusts hub-fn only.
    expect(await assume(otherFn, member)).toMatch(
      /^AccessDenied: User: arn:aws:iam::123456789012:role\/other-fn is not authorized to perform: sts:AssumeRole/,
    );
  });

  it("marks its own refusals (the recorder tells them from identity-policy denials), and only those", async () => {
    const { roleless, hubFn } = await setUp();
    /** The raw answer's status and marker, read under the SDK's deserializer (which turns a 403 into an error). */
    const refusal = async (sts: STSClient, account: string) => {
      const seen: Record<string, string> = {};
      sts.middlewareStack.add(
        (next) => async (args) => {
          const out = await next(args);
          const response = out.response as { statusCode?: number; headers?: Record<string, string> };
          seen.status = String(response.statusCode);
          seen.refusedBy = response.headers?.[REFUSED_BY_HEADER] ?? "none";
          return out;
        },
        { step: "deserialize", priority: "low" },
      );
      await expect(
        sts.send(
          new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/efs-guard-member`, RoleSessionName: "s" }),
        ),
      ).rejects.toThrow(/sts:AssumeRole/);
      return seen;
    };
    // The administrator (an operator's scan --org): a role missing from another account, refused by this patch.
    expect(await refusal(new STSClient({ region: REGION }), roleless)).toEqual({
      status: "403",
      refusedBy: "trust-policy",
    });
    // The hub function's own policy refusing an account outside the organization (iam_enforcement.py): unmarked.
    expect(await refusal(new STSClient({ region: REGION, credentials: hubFn }), OUTSIDER)).toEqual({
      status: "403",
      refusedBy: "none",
    });
  });
});

describe("shared/aws/accounts.ts on the emulator", () => {
  it("acts in the member's own state, one AssumeRole for every client and region, renewed before expiry", async () => {
    const { member, hubFn } = await setUp();
    // The same group name in the hub and the member: each account sees its own.
    await inAccount(new EC2Client({ region: REGION }), HUB).send(
      new CreateSecurityGroupCommand({ GroupName: "efs", Description: "hub" }),
    );
    await inAccount(new EC2Client({ region: REGION }), member).send(
      new CreateSecurityGroupCommand({ GroupName: "efs", Description: "member" }),
    );
    let now = Date.now();
    const clock: Clock = { now: () => new Date(now) };
    const { sts, roles } = countingSts(hubFn);
    const access = accountAccess({
      homeAccount: HUB,
      partition: "aws",
      roleName: "efs-guard-member",
      sessionName: "efs-guard-nfs-ingress",
      region: REGION,
      sts,
      clock,
    });
    const ec2 = access.clients(member, (s) => new EC2Client(s));
    expect(access.clients(member, (s) => new EC2Client(s))).not.toBe(ec2);
    const groups = await ec2(REGION).send(new DescribeSecurityGroupsCommand({ GroupNames: ["efs"] }));
    expect(groups.SecurityGroups!.map((g) => [g.Description, g.OwnerId])).toEqual([["member", member]]);
    await Promise.all([
      ec2("us-west-2").send(new DescribeSecurityGroupsCommand({})),
      ec2(REGION).send(new DescribeSecurityGroupsCommand({})),
    ]);
    expect(ec2(REGION)).toBe(ec2(REGION));
    const who = await new STSClient({ region: REGION, credentials: access.credentials(member)! }).send(
      new GetCallerIdentityCommand({}),
    );
    expect(who.Arn).toBe(`arn:aws:sts::${member}:assumed-role/efs-guard-member/efs-guard-nfs-ingress`);
    expect(roles).toEqual([`arn:aws:iam::${member}:role/efs-guard-member`]);
    // 56 minutes later (4 minutes before the hour's credentials expire): assumed again.
    now += 56 * 60_000;
    await access.credentials(member)!();
    expect(roles).toHaveLength(2);
    // The home account: its own credentials, no AssumeRole.
    expect(access.credentials(HUB)).toBeUndefined();
    expect(access.clients(HUB, (s) => new EFSClient(s))(REGION)).toBeInstanceOf(EFSClient);
    expect(roles).toHaveLength(2);
  });

  it("a member without the role is a MemberRoleUnavailableError naming it", async () => {
    const { roleless, hubFn } = await setUp();
    const { sts } = countingSts(hubFn);
    const access = accountAccess({
      homeAccount: HUB,
      partition: "aws",
      roleName: "efs-guard-member",
      sessionName: "s",
      region: REGION,
      sts,
    });
    const error = await access.credentials(roleless)!().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemberRoleUnavailableError);
    expect(error).toMatchObject({ account: roleless, awsCode: "AccessDenied", retryable: false });
  });
});
