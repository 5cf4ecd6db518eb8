import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { ACCOUNT, type Resolved, resolveIntrinsics } from "./intrinsics.js";
import { iamCall, MotoCallError } from "./moto-call.js";
import type { CfnTemplate } from "./template.js";

/** A role's temporary credentials, as Lambda puts them in a function's environment. */
export interface RoleCredentials {
  roleArn: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * The policies the template attaches to a role, with their intrinsics resolved: the role's own `Policies` and every
 * AWS::IAM::Policy that names it. Managed policies are not deployed (the guard's roles have none; the migration's
 * backup role, which AWS Backup assumes, is never used by a hosted function).
 */
export function rolePolicies(
  template: CfnTemplate,
  roleId: string,
  resolved: Map<string, Resolved>,
  region: string,
): { name: string; document: unknown }[] {
  const role = template.Resources[roleId];
  if (role?.Type !== "AWS::IAM::Role") throw new Error(`${roleId} is not a role of the template`);
  const resolve = (v: unknown) => resolveIntrinsics(v, resolved, region);
  const out: { name: string; document: unknown }[] = [];
  for (const policy of list<any>(role.Properties?.Policies)) {
    out.push({ name: String(policy.PolicyName), document: resolve(policy.PolicyDocument) });
  }
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== "AWS::IAM::Policy") continue;
    if (!list<any>(resource.Properties?.Roles).some((r) => r?.Ref === roleId)) continue;
    out.push({ name: id, document: resolve(resource.Properties.PolicyDocument) });
  }
  return out;
}

/**
 * Creates a role of the template in the emulator with its trust policy and every policy the template attaches to
 * it (an existing role, from an earlier deploy since the last reset, gets its policies put again). Returns its ARN.
 */
export async function deployRole(
  endpoint: string,
  template: CfnTemplate,
  roleId: string,
  resolved: Map<string, Resolved>,
  region: string,
): Promise<string> {
  const role = template.Resources[roleId];
  // A fixed RoleName (the approver role) is what callers assume by name; the others get their logical id.
  const name = typeof role?.Properties?.RoleName === "string" ? role.Properties.RoleName : roleId.slice(0, 64);
  const trust = resolveIntrinsics(role?.Properties?.AssumeRolePolicyDocument, resolved, region);
  try {
    await iamCall(endpoint, { Action: "CreateRole", RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) });
  } catch (error) {
    if (!(error instanceof MotoCallError && error.body.includes("EntityAlreadyExists"))) throw error;
  }
  for (const policy of rolePolicies(template, roleId, resolved, region)) {
    await iamCall(endpoint, {
      Action: "PutRolePolicy",
      RoleName: name,
      PolicyName: policy.name,
      PolicyDocument: JSON.stringify(policy.document),
    });
  }
  return `arn:aws:iam::${ACCOUNT}:role/${name}`;
}

/**
 * The role's temporary credentials, as the Lambda service gets them for a function (AssumeRole by the emulator's
 * administrator, standing in for lambda.amazonaws.com). One hour, the longest a role session may last by default.
 */
export async function assumeRole(endpoint: string, roleArn: string, sessionName: string): Promise<RoleCredentials> {
  const sts = new STSClient({ endpoint, region: "us-east-1" });
  try {
    const out = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName.slice(0, 64), DurationSeconds: 3600 }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error(`no credentials for ${roleArn}`);
    return { roleArn, accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } finally {
    sts.destroy();
  }
}

/** The role a function of the template runs with (its Role property), by the function's logical id. */
export function roleOf(template: CfnTemplate, functionId: string): string {
  const role = template.Resources[functionId]?.Properties?.Role;
  const id = role?.["Fn::GetAtt"]?.[0];
  if (typeof id !== "string") throw new Error(`${functionId} has no role of the template`);
  return id;
}
