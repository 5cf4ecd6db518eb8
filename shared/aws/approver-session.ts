import { SFNClient } from "@aws-sdk/client-sfn";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { APPROVER_ROLE_NAME, type Principal, principalOf } from "../migration/approval.js";
import { GuardError } from "../runtime/errors.js";
import { awsErrorCode, call } from "./errors.js";
import { clientConfig } from "./sdk-config.js";

/**
 * The two identities an approver answers with (shared/migration/approval.ts): their own (the credentials the CLI
 * runs with) and a session of the approver role, assumed from it. The role session's clients read the execution
 * and send the answer; both sign the answer's statements.
 */
export interface ApproverSession {
  /** The approver's own identity, as STS names it. */
  me: Principal;
  own: STSClient;
  roleArn: string;
  sfn: SFNClient;
  roleSts: STSClient;
}

/** A role session name from the caller's identity: what CloudTrail shows next to the approver role. */
export function sessionNameFor(p: Principal): string {
  const name = p.kind === "role-session" ? p.session : p.kind === "user" ? p.name : "approver";
  return (name.replace(/[^\w+=,.@-]/g, "-").slice(0, 64) || "approver").padEnd(2, "-");
}

export async function approverSession(region: string, roleArnOverride?: string): Promise<ApproverSession> {
  const own = new STSClient(clientConfig(region));
  const out = await call("sts:GetCallerIdentity", () => own.send(new GetCallerIdentityCommand({})));
  const me = principalOf(out.Arn ?? "");
  if (me.kind === "role-session" && me.role === APPROVER_ROLE_NAME) {
    throw new GuardError(
      "REMEDIATION_FAILED",
      `you are running as the approver role itself (${me.arn}): run efs-guard with your own credentials; it assumes ${APPROVER_ROLE_NAME} for you, and your own identity is what the workflow verifies`,
    );
  }
  const partition = (out.Arn ?? "arn:aws").split(":")[1];
  const roleArn = roleArnOverride ?? `arn:${partition}:iam::${out.Account}:role/${APPROVER_ROLE_NAME}`;
  let credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  try {
    const assumed = await own.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionNameFor(me), DurationSeconds: 900 }),
    );
    const c = assumed.Credentials!;
    credentials = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === "AccessDenied" || code === "AccessDeniedException") {
      throw new GuardError(
        "REMEDIATION_FAILED",
        `${me.arn} may not assume ${roleArn} (${code}): only the approvers configured for EFS Guard (approvers in cdk.json) may answer`,
      );
    }
    return call("sts:AssumeRole", () => Promise.reject(error));
  }
  const asRole = { ...clientConfig(region), credentials };
  return { me, own, roleArn, sfn: new SFNClient(asRole), roleSts: new STSClient(asRole) };
}
