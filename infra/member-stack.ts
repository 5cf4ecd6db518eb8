import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  App,
  CfnCondition,
  CfnParameter,
  DefaultStackSynthesizer,
  Duration,
  Fn,
  Stack,
  type StackProps,
} from "aws-cdk-lib";
import { EventBus, type Rule } from "aws-cdk-lib/aws-events";
import { type CfnPolicy, type CfnRole, Policy, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { patternsFor } from "../events/patterns.js";
import type { GuardConfig } from "../shared/config/schema.js";
import { memberBackupRoleArn, memberBackupRoleName, memberMigrationRoleName } from "../shared/migration/member.js";
import { MIGRATION_STATE_MACHINE_NAME } from "./constructs/migration.js";
import { migrationVault } from "./constructs/migration-vault.js";
import { acknowledgeForwardingDlq, forwardingRule } from "./forwarder-stack.js";
import { regionFence } from "./iam.js";
import {
  backupRoleStatements,
  captureStatements,
  type MigrationScope,
  recreateStatements,
  safetyBackupStatements,
  surroundingsStatements,
  verifyStatements,
} from "./migration-permissions.js";
import { enableNag } from "./nag.js";
import { allGuardStatements, tagAuditStatements } from "./permissions.js";

/** The name of the organization's event bus in the hub's home region (infra/constructs/hub.ts). */
export const HUB_BUS_NAME = "efs-guard";

/** The member template's parameters, which the hub's StackSet fills in (infra/constructs/hub.ts). */
export const MEMBER_PARAMETERS = {
  hubAccount: "HubAccountId",
  hubRegion: "HubRegion",
  hubPrincipals: "HubPrincipalArns",
  hubMigrationPrincipals: "HubMigrationPrincipalArns",
} as const;

export interface MemberStackProps extends StackProps {
  config: GuardConfig;
  organization: NonNullable<GuardConfig["organization"]>;
  /** "eventSource:eventName" keys: the union of what the hub's guard functions subscribe to. */
  events: readonly string[];
  /** The regions the StackSet deploys the member stack to: the member role is fenced to them. */
  regions: readonly string[];
}

/**
 * What a service-managed StackSet deploys in every member account and region: plain CloudFormation, no asset (no
 * Lambda code, no bootstrap bucket), so StackSets can deploy it to any account of the targeted organizational units
 * without bootstrapping them.
 * - EventBridge rules with the hub functions' CloudTrail patterns, whose target is the hub's `efs-guard` bus; the
 *   bus accepts PutEvents only from the organization. EventBridge stamps each forwarded event with the member's
 *   account id (`account`), which the member cannot choose: it is the account the hub acts in.
 * - The role `efs-guard-member` (organization.memberRoleName), which only the hub's function roles (their ARNs, a
 *   StackSet parameter) of this organization (aws:PrincipalOrgID) may assume, granting exactly the union of the
 *   guards' statements (infra/permissions.ts; asserted equal in test/infra/organization.test.ts), fenced to the
 *   StackSet's regions. In every region an instance is deployed, so the role is created only in the hub's home
 *   region (IAM is global: a second instance would fail on the name).
 * - The migration's per-account resources (docs/organizations.md, "Where the migration's resources live"): in every
 *   region the key and the backup vault (migrationVault, as the hub's own: AWS Backup restores into the vault's own
 *   account, and EFS takes only a key of the file system's region and account); in the hub region's instance the
 *   role AWS Backup uses here (`<memberRoleName>-backup`) and the role the hub's migration steps assume
 *   (`<memberRoleName>-migration`, trusted by those steps' roles only). The guards' member role gets none of the
 *   migration's permissions: the guard functions judge events anyone in an account can cause.
 */
export class MemberStack extends Stack {
  readonly rules: Rule[] = [];
  readonly role: Role;
  readonly deadLetterQueue: Queue;
  readonly migrationRole: Role;
  readonly backupRole: Role;

  constructor(scope: Construct, id: string, props: MemberStackProps) {
    // No bootstrap-version rule: member accounts are not CDK-bootstrapped, and the template needs no asset.
    super(scope, id, { ...props, synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }) });
    const hubAccount = new CfnParameter(this, MEMBER_PARAMETERS.hubAccount, {
      type: "String",
      allowedPattern: "^\\d{12}$",
      description: "The account EFS Guard's hub runs in",
    }).valueAsString;
    const hubRegion = new CfnParameter(this, MEMBER_PARAMETERS.hubRegion, {
      type: "String",
      allowedPattern: "^[a-z]{2}(-[a-z]+)+-\\d$",
      description: "The hub's home region (its efs-guard bus)",
    }).valueAsString;
    const hubPrincipals = new CfnParameter(this, MEMBER_PARAMETERS.hubPrincipals, {
      type: "CommaDelimitedList",
      description: "The ARNs of the hub's function roles: the only principals that may assume the member role",
    }).valueAsList;

    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      // SQS-managed keys: a customer managed key here would be one more key per member and region to keep.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeForwardingDlq(this.deadLetterQueue);
    const forwarder = new Role(this, "ForwardRole", {
      description: "EFS Guard: forwards this account's CloudTrail events to the hub's efs-guard bus",
      assumedBy: new ServicePrincipal("events.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": this.account } },
      }),
    });
    const hubBus = EventBus.fromEventBusArn(
      this,
      "HubBus",
      `arn:${this.partition}:events:${hubRegion}:${hubAccount}:event-bus/${HUB_BUS_NAME}`,
    );
    patternsFor(props.events).forEach((pattern, index) => {
      const rule = forwardingRule(this, `Forward${index}`, pattern, {
        bus: hubBus,
        role: forwarder,
        deadLetterQueue: this.deadLetterQueue,
        to: "the hub",
      });
      this.rules.push(rule);
    });

    this.role = hubTrustedRole(this, "MemberRole", {
      roleName: props.organization.memberRoleName,
      description: "EFS Guard: what the hub's functions do in this account (the union of the guards' permissions)",
      sid: "HubFunctionsOfThisOrganization",
      principals: hubPrincipals,
      organizationId: props.organization.organizationId,
    });
    // An inline policy of its own rather than the role's default one: it is what the test compares with the guards.
    const policy = new Policy(this, "GuardPermissions", {
      statements: [...memberStatements(this, props.config), regionFence([...props.regions])],
    });
    policy.attachToRole(this.role);
    // IAM is global: the StackSet deploys this template in every region, and a second role of the same name would
    // fail the instance, so the role exists in the hub's home region's instance only.
    const inHubRegion = new CfnCondition(this, "InHubRegion", {
      expression: Fn.conditionEquals(this.region, hubRegion),
    });
    (this.role.node.defaultChild as CfnRole).cfnOptions.condition = inHubRegion;
    (policy.node.defaultChild as CfnPolicy).cfnOptions.condition = inHubRegion;

    // The migration's key and vault, in every region (each region's file systems need a key of that region).
    migrationVault(this, {
      rotationPeriodInDays: props.config.rotationPeriodInDays,
      ...(props.config.safetyBackupAdminRoleArn
        ? { safetyBackupAdminRoleArn: props.config.safetyBackupAdminRoleArn }
        : {}),
    });
    const migrationPrincipals = new CfnParameter(this, MEMBER_PARAMETERS.hubMigrationPrincipals, {
      type: "CommaDelimitedList",
      description: "The ARNs of the hub's migration step roles: the only principals that may assume the migration role",
    }).valueAsList;
    this.backupRole = new Role(this, "BackupRole", {
      roleName: memberBackupRoleName(props.organization.memberRoleName),
      description: "EFS Guard migration: AWS Backup backs up and restores this account's file systems with this role",
      assumedBy: new ServicePrincipal("backup.amazonaws.com"),
    });
    const migration = memberMigrationScope(this, props);
    const backupPolicy = new Policy(this, "BackupPermissions", { statements: backupRoleStatements(migration) });
    backupPolicy.attachToRole(this.backupRole);
    this.migrationRole = hubTrustedRole(this, "MigrationRole", {
      roleName: memberMigrationRoleName(props.organization.memberRoleName),
      description: "EFS Guard: what the hub's migration steps do in this account (after an approver approved)",
      sid: "HubMigrationStepsOfThisOrganization",
      principals: migrationPrincipals,
      organizationId: props.organization.organizationId,
    });
    const migrationPolicy = new Policy(this, "MigrationPermissions", {
      statements: [...memberMigrationStatements(migration), regionFence([...props.regions])],
    });
    migrationPolicy.attachToRole(this.migrationRole);
    for (const c of [this.backupRole, backupPolicy, this.migrationRole, migrationPolicy]) {
      (c.node.defaultChild as CfnRole | CfnPolicy).cfnOptions.condition = inHubRegion;
    }
  }
}

/**
 * A role of the member that only the hub's roles listed in a StackSet parameter, of this organization
 * (aws:PrincipalOrgID), may assume, for sessions of at most one hour.
 */
function hubTrustedRole(
  stack: Stack,
  id: string,
  props: { roleName: string; description: string; sid: string; principals: string[]; organizationId?: string },
): Role {
  const role = new Role(stack, id, {
    roleName: props.roleName,
    description: props.description,
    // Replaced below: the principals are a list parameter, which no CDK principal class takes.
    assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
    maxSessionDuration: Duration.hours(1),
  });
  (role.node.defaultChild as CfnRole).addPropertyOverride("AssumeRolePolicyDocument", {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: props.sid,
        Effect: "Allow",
        Principal: { AWS: props.principals },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:PrincipalOrgID": props.organizationId } },
      },
    ],
  });
  return role;
}

/**
 * The migration's permissions in a member account: the member's own vaults and keys (by alias: each region's member
 * stack created its key), its file systems, its backup role.
 */
export function memberMigrationScope(
  stack: Stack,
  props: Pick<MemberStackProps, "config" | "organization" | "regions">,
): MigrationScope {
  const [first, ...rest] = props.regions;
  return {
    partition: stack.partition,
    account: stack.account,
    homeRegion: first as string,
    otherRegions: rest,
    regionKeyArns: {},
    backupRoleArn: memberBackupRoleArn(stack.partition, stack.account, props.organization.memberRoleName),
    stateMachineName: MIGRATION_STATE_MACHINE_NAME,
    strategy: props.config.migrationStrategy,
  };
}

/**
 * The member migration role's grants: the union of the member-side steps' statements (capture, safety backup,
 * recreate, surroundings, verify) in the member's account, without what the steps do in the hub with their own role
 * (Step Functions: the execution's provenance). One statement per Sid: the steps share some (ReadFileSystems).
 */
export function memberMigrationStatements(scope: MigrationScope): PolicyStatement[] {
  const all = [
    ...captureStatements(scope),
    ...safetyBackupStatements(scope),
    ...recreateStatements(scope),
    ...surroundingsStatements(scope),
    ...verifyStatements(scope),
  ].filter((s) => !s.actions.some((a) => a.startsWith("states:")));
  const bySid = new Map<string, PolicyStatement>();
  for (const s of all) {
    const sid = s.sid ?? "";
    const seen = bySid.get(sid);
    if (!seen) {
      bySid.set(sid, s);
      continue;
    }
    // Same Sid, different grants (ReadFileSystems lists each step's Describe* calls): one statement with all of them.
    const merged = new PolicyStatement({
      sid,
      actions: [...new Set([...seen.actions, ...s.actions])].sort(),
      resources: [...new Set([...seen.resources, ...s.resources])],
      ...(Object.keys(seen.conditions ?? {}).length > 0 ? { conditions: seen.conditions } : {}),
    });
    if (JSON.stringify(seen.conditions) !== JSON.stringify(s.conditions)) {
      throw new Error(`the migration statements ${sid} differ in their conditions: they cannot be merged`);
    }
    bySid.set(sid, merged);
  }
  return [...bySid.values()];
}

/** The member role's grants: every guard's statements, the tag audit's included, in the member's own account. */
export function memberStatements(scope: Construct, config: GuardConfig) {
  return [...allGuardStatements(scope, config), ...tagAuditStatements(scope)];
}

/** The regions the member StackSet deploys to: organization.regions, else the hub's home and other regions. */
export function memberRegions(config: GuardConfig, homeRegion: string): string[] {
  const configured = config.organization?.regions ?? [];
  return configured.length > 0 ? [...configured] : [homeRegion, ...config.regions];
}

/**
 * The member template as the StackSet's TemplateBody: synthesized in an app of its own (it is deployed by StackSets,
 * never by `cdk deploy`), with cdk-nag like every other stack (an unacknowledged finding throws).
 */
export function memberTemplate(props: MemberStackProps, context: Record<string, unknown> = {}): object {
  // An outdir of its own: under `cdk synth`, CDK_OUTDIR names cdk.out, whose manifest this app must not overwrite.
  const outdir = mkdtempSync(join(tmpdir(), "efs-guard-member-"));
  try {
    const app = new App({ outdir, context: { ...context, "aws:cdk:bundling-stacks": [] } });
    const stack = new MemberStack(app, "EfsGuardMember", props);
    enableNag(app);
    return app.synth().getStackArtifact(stack.artifactId).template as object;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
