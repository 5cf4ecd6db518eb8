import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { inject } from "vitest";
import { EMULATOR_ADMIN } from "../../emulator/emulator.js";
import { resolveIntrinsics } from "../../emulator/intrinsics.js";
import { REGION } from "../../emulator/seed.js";

/**
 * Other accounts on the emulator: moto keeps each account's state apart, and the administrator's calls name the
 * account in x-moto-account-id; AWS Organizations (no SDK client in the project) through its JSON protocol.
 */
export function inAccount<C extends { middlewareStack: any }>(client: C, account: string): C {
  client.middlewareStack.add(
    (next: any) => async (args: any) => {
      args.request.headers["x-moto-account-id"] = account;
      return next(args);
    },
    { step: "build", name: "inAccount" },
  );
  return client;
}

export async function organizations(target: string, body: object): Promise<any> {
  const res = await fetch(inject("emulatorEndpoint"), {
    method: "POST",
    body: JSON.stringify(body),
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AWSOrganizationsV20161128.${target}`,
      authorization: `AWS4-HMAC-SHA256 Credential=${EMULATOR_ADMIN.accessKeyId}/20260101/${REGION}/organizations/aws4_request, SignedHeaders=host, Signature=0`,
    },
  });
  if (!res.ok) throw new Error(`${target}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** An organization managed by the emulator's default account, with member accounts (ids chosen by Organizations). */
export async function organization(names: string[]): Promise<{ id: string; members: string[] }> {
  const id = (await organizations("CreateOrganization", { FeatureSet: "ALL" })).Organization.Id as string;
  const members: string[] = [];
  for (const name of names) {
    const status = await organizations("CreateAccount", { AccountName: name, Email: `${name}@example.com` });
    members.push(status.CreateAccountStatus.AccountId);
  }
  return { id, members };
}

/**
 * The member role's inline policy as the hub's StackSet deploys it (the member template's GuardPermissions
 * policy, its parameters filled in as the hub fills them), for `account`: what the hub may do in a member.
 */
export function memberPolicyFrom(hub: { Resources: Record<string, any> }, hubAccount: string, region: string) {
  const stackSet = Object.values(hub.Resources).find((r) => r.Type === "AWS::CloudFormation::StackSet");
  const member = JSON.parse(stackSet.Properties.TemplateBody);
  const policy = Object.values(member.Resources as Record<string, any>).find(
    (r) => r.Type === "AWS::IAM::Policy" && r.Properties.PolicyName.startsWith("GuardPermissions"),
  );
  const text = JSON.stringify(
    resolveIntrinsics(
      policy.Properties.PolicyDocument,
      new Map([
        ["HubRegion", { ref: region, atts: {} }],
        ["HubAccountId", { ref: hubAccount, atts: {} }],
      ]),
      region,
    ),
  );
  return (account: string) => text.replaceAll(hubAccount, account);
}

/** The member role in `account` (as the StackSet creates it): trusting `principals` of the organization only. */
export async function memberRoleIn(
  account: string,
  options: { roleName?: string; principals: string[]; organizationId: string; policy: string },
) {
  const iam = inAccount(new IAMClient({ region: REGION }), account);
  const RoleName = options.roleName ?? "efs-guard-member";
  const trust = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: options.principals },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:PrincipalOrgID": options.organizationId } },
      },
    ],
  };
  await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: JSON.stringify(trust) }));
  await iam.send(
    new PutRolePolicyCommand({ RoleName, PolicyName: "GuardPermissions", PolicyDocument: options.policy }),
  );
}
