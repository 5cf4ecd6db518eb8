import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";

/**
 * Principals with credentials the emulator issued (IAM users with access keys, sessions of roles), so that their
 * signatures are checked (emulator/patches/sts_caller_identity_signature.py): the approvers, creators and attackers
 * of the approval tests.
 */

export const ACCOUNT = "123456789012";
const region = "us-east-1";
const iam = new IAMClient({ region });

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function stsAs(credentials: Credentials): STSClient {
  return new STSClient({ region, credentials });
}

/** An IAM user with an access key; allowed (IAM is enforced) to assume the approver role, as an approver would be. */
export async function iamUser(name: string): Promise<{ arn: string; credentials: Credentials }> {
  const user = await iam.send(new CreateUserCommand({ UserName: name }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: name,
      PolicyName: "assume-approver",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "sts:AssumeRole", Resource: `arn:aws:iam::${ACCOUNT}:role/efs-guard-approver` },
        ],
      }),
    }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return {
    arn: user.User!.Arn!,
    credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
  };
}

const trustAccount = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }],
});

/** A role (created unless it exists), e.g. an IAM Identity Center permission-set role with its reserved path. */
export async function role(name: string, path = "/"): Promise<string> {
  try {
    return (await iam.send(new GetRoleCommand({ RoleName: name }))).Role!.Arn!;
  } catch {
    return (
      await iam.send(new CreateRoleCommand({ RoleName: name, Path: path, AssumeRolePolicyDocument: trustAccount }))
    ).Role!.Arn!;
  }
}

/** A session of a role, as `as` (default: the emulator's default identity) would get it from AssumeRole. */
export async function session(roleArn: string, sessionName: string, as?: Credentials): Promise<Credentials> {
  const sts = as ? stsAs(as) : new STSClient({ region });
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

/** The session IAM Identity Center gives a user of a permission set (its session name is the user name). */
export async function identityCenterUser(permissionSet: string, userName: string): Promise<Credentials> {
  const name = `AWSReservedSSO_${permissionSet}_0123456789abcdef`;
  const arn = await role(name, "/aws-reserved/sso.amazonaws.com/");
  // What the permission set grants (IAM is enforced): assuming the approver role. On AWS the approver role's trust
  // policy then decides who gets in; the emulator does not evaluate trust policies, so the workflow's own check
  // (the signed statements) is what these tests see refuse a non-approver.
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: name,
      PolicyName: "assume-approver",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "sts:AssumeRole", Resource: `arn:aws:iam::${ACCOUNT}:role/efs-guard-approver` },
        ],
      }),
    }),
  );
  return session(arn, userName);
}
