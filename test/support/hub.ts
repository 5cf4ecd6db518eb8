import type { RegisterTaskDefinitionCommandInput } from "@aws-sdk/client-ecs";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { afterEach, beforeEach } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { resolveIntrinsics } from "../../emulator/intrinsics.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { resetEmulator } from "./emulator.js";
import { captureLogs, type LogLine } from "./logs.js";
import { inAccount } from "./organization.js";

/**
 * A hub on the emulator, for the tests of the hub acting in its members: the hub's template, a member role trusted
 * by one hub function, and a member's exposed file system (an open NFS rule), each in the account it names.
 */
export const HUB = "123456789012";

/** A file system behind a group with a world-open NFS rule, seeded in `account`. */
export async function exposed(account: string) {
  const seed = new Seeder();
  inAccount(seed.ec2, account);
  inAccount(seed.efs, account);
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId);
  const fileSystemId = await seed.fileSystem();
  await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
  const open = await seed.nfsFrom(groupId, "0.0.0.0/0");
  return { seed, groupId, open, fileSystemId };
}

/** A member role policy for one account: the member template's own (memberPolicyOf), or actions on everything. */
export type MemberPermissions = string[] | ((account: string) => unknown);

/**
 * A policy of the member template as the hub's StackSet deploys it: the one whose name starts with `prefix`, its
 * parameters resolved, in `account`.
 */
export function memberTemplatePolicyOf(template: CfnTemplate, prefix: string): (account: string) => unknown {
  const stackSet = Object.values(template.Resources).find(
    (r: any) => r.Type === "AWS::CloudFormation::StackSet",
  ) as any;
  const member = JSON.parse(stackSet.Properties.TemplateBody);
  const policy = Object.values(member.Resources as Record<string, any>).find(
    (r) => r.Type === "AWS::IAM::Policy" && r.Properties.PolicyName.startsWith(prefix),
  );
  if (!policy) throw new Error(`the member template has no ${prefix} policy`);
  const parameters = new Map([
    ["HubRegion", { ref: REGION, atts: {} }],
    ["HubAccountId", { ref: HUB, atts: {} }],
  ]);
  const document = JSON.stringify(resolveIntrinsics(policy.Properties.PolicyDocument, parameters, REGION));
  return (account) => JSON.parse(document.replaceAll(HUB, account));
}

/** The guards' member role policy (the member template's GuardPermissions). */
export function memberPolicyOf(template: CfnTemplate): (account: string) => unknown {
  return memberTemplatePolicyOf(template, "GuardPermissions");
}

/** The member migration role's policy (the member template's MigrationPermissions). */
export function memberMigrationPolicyOf(template: CfnTemplate): (account: string) => unknown {
  return memberTemplatePolicyOf(template, "MigrationPermissions");
}

/**
 * The member role in `account`, trusting the hub roles given (in this organization), granting `permissions`: a list
 * of actions on every resource, or a policy per account (memberPolicyOf).
 */
export async function memberRole(
  account: string,
  hubRoleArns: string[],
  organizationId: string,
  permissions: MemberPermissions = ["ec2:*", "elasticfilesystem:Describe*"],
) {
  const iam = inAccount(new IAMClient({ region: REGION }), account);
  const trust = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: hubRoleArns },
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
      PolicyDocument: JSON.stringify(
        Array.isArray(permissions)
          ? { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: permissions, Resource: "*" }] }
          : permissions(account),
      ),
    }),
  );
}

/** The hub's template (organization block; `extra` config merged in). */
export function hubTemplate(organizationId: string, extra: Record<string, unknown> = {}): CfnTemplate {
  return synthTemplate(
    { organization: { organizationId, organizationalUnitIds: ["ou-ab12-11112222"], ...extra } },
    { region: REGION },
  );
}

/** The ARN of the role of the hub function that runs `entry` (the principal the member role trusts). */
export function roleArnOf(template: CfnTemplate, entry: string): string {
  const fn = Object.values(template.Resources).find((r: any) => r.Metadata?.EfsGuardEntry === entry) as any;
  if (!fn) throw new Error(`no function runs ${entry}`);
  return `arn:aws:iam::${HUB}:role/${fn.Properties.Role["Fn::GetAtt"][0]}`;
}

/** A CloudTrail event as EventBridge delivers it from `account` (EventBridge's `account`, which a member cannot forge). */
export function fromAccount<E extends object>(event: E, account: string): E & { account: string } {
  return { ...event, account };
}

/** An ECS task definition (Fargate) with one EFS volume, with or without TLS in transit. */
export function efsTaskDefinition(transitEncryption: "ENABLED" | "DISABLED"): RegisterTaskDefinitionCommandInput {
  return {
    family: "web",
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "256",
    memory: "512",
    containerDefinitions: [{ name: "app", image: "public.ecr.aws/docker/library/nginx:latest", essential: true }],
    volumes: [{ name: "data", efsVolumeConfiguration: { fileSystemId: "fs-0123456789abcdef0", transitEncryption } }],
  };
}

/**
 * Per test: a clean emulator and captured log lines before, the hosted functions (deployed with `deploy`) stopped
 * after.
 */
export function hubTestState() {
  const state: {
    host?: FunctionHost;
    logs: LogLine[];
    deploy(template: CfnTemplate, logLevel?: "INFO" | "WARN"): Promise<FunctionHost>;
  } = {
    logs: [],
    async deploy(template, logLevel = "WARN") {
      state.host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: logLevel } });
      return state.host;
    },
  };
  let capture: ReturnType<typeof captureLogs> | undefined;
  beforeEach(async () => {
    await resetEmulator();
    capture = captureLogs();
    state.logs = capture.lines;
  });
  afterEach(async () => {
    capture?.restore();
    await state.host?.stop();
    state.host = undefined;
  });
  return state;
}
