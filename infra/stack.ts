import { Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import {
  CLIENT_TLS_EVENTS,
  EFS_ACCESS_EVENTS,
  FILE_SYSTEM_EVENTS,
  KMS_KEY_EVENTS,
  MOUNT_TARGET_PRIVATE_EVENTS,
  NFS_INGRESS_EVENTS,
  TAG_EVENTS,
  TLS_ENFORCEMENT_EVENTS,
} from "../events/patterns.js";
import type { GuardConfig } from "../shared/config/schema.js";
import { alarmOnStateMachine } from "./constructs/alarms.js";
import { AlertDedup } from "./constructs/alert-dedup.js";
import { AlertsTopic } from "./constructs/alerts-topic.js";
import { ApproverRole } from "./constructs/approver-role.js";
import { GuardDashboard } from "./constructs/dashboard.js";
import { GuardFunction, guardEventsOf } from "./constructs/guard-function.js";
import { GuardrailsPolicy } from "./constructs/guardrails.js";
import { HubBus, MemberStackSet } from "./constructs/hub.js";
import { MigrationWorkflow } from "./constructs/migration.js";
import { MigrationRecordKey } from "./constructs/migration-record.js";
import { SecurityHubReporter } from "./constructs/security-hub.js";
import { Sweep } from "./constructs/sweep.js";
import {
  allGuardStatements,
  ecsClientsStatements,
  efsAccessStatements,
  enforcesTlsWithLookup,
  fileSystemStatements,
  kmsKeyStatements,
  memberRoleStatements,
  mountTargetsStatements,
  nfsIngressStatements,
  organizationSweepStatements,
  remediates,
  tagAuditStatements,
  tlsEnforcementStatements,
} from "./permissions.js";

export interface EfsGuardStackProps extends StackProps {
  config: GuardConfig;
}

/** EFS Guard in its home region: detection rules, guard functions, the alerts topic. */
export class EfsGuardStack extends Stack {
  readonly alerts: AlertsTopic;
  readonly functions: Record<string, GuardFunction> = {};
  /** The migration workflow (design section 4); `migration.grantStart(fn)` lets a guard function start it. */
  readonly migration: MigrationWorkflow;
  readonly sweep: Sweep;
  /** The role approvers assume to answer a migration's approval (infra/constructs/approver-role.ts). */
  readonly approver: ApproverRole;
  /** Present only while `alertDedupWindowMinutes` > 0: the guards' alerts go through it. */
  readonly alertDedup?: AlertDedup;
  /** Present only when `securityHub` is on. */
  readonly securityHub?: SecurityHubReporter;
  /** An organization's hub only (organization.organizationId): the bus the members forward their events to. */
  readonly hubBus?: HubBus;
  /** An organization's hub only: the member StackSet. */
  readonly members?: MemberStackSet;
  /** Present only with organization.guardrails.attach: the guardrail SCP on the configured targets. */
  readonly guardrails?: GuardrailsPolicy;

  constructor(scope: Construct, id: string, props: EfsGuardStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.alerts = new AlertsTopic(this, "Alerts", { alertEmails: config.alertEmails, chatbot: config.chatbot });
    if (config.alertDedupWindowMinutes > 0) {
      this.alertDedup = new AlertDedup(this, "AlertDedup", {
        config,
        topic: this.alerts.topic,
        key: this.alerts.key,
      });
    }
    const common = { config, topic: this.alerts.topic, key: this.alerts.key };
    // An organization's hub (organization.organizationId): the members' events arrive on the efs-guard bus.
    const organization = config.organization?.organizationId
      ? { ...config.organization, organizationId: config.organization.organizationId }
      : undefined;
    if (organization) this.hubBus = new HubBus(this, "HubBus", { organizationId: organization.organizationId });
    // The guard functions hand their alerts to the inbox when deduplication is on; the Security Hub reporter and the
    // alerts function itself publish only alarms (CloudWatch) and, for the latter, the alerts.
    const guards = { ...common, inbox: this.alertDedup?.inbox, hubBus: this.hubBus?.bus };
    this.migration = new MigrationWorkflow(this, "Migration", {
      config,
      topic: this.alerts.topic,
      key: this.alerts.key,
    });
    alarmOnStateMachine(this, this.migration.stateMachine, this.alerts.topic, "MigrationAlarms");
    this.approver = new ApproverRole(this, "Approver", { config, stateMachine: this.migration.stateMachine });

    this.functions.nfsIngress = new GuardFunction(this, "NfsIngress", {
      ...guards,
      entry: "functions/nfs-ingress/handler.ts",
      description:
        "EFS Guard efs-nfs-ingress-restricted: revokes over-broad NFS ingress on mount-target security groups",
      events: NFS_INGRESS_EVENTS,
      // In the hub, it acts in the members' accounts through their member role (shared/pipeline/members.ts).
      statements: [
        ...nfsIngressStatements(this, config),
        ...(organization ? memberRoleStatements(this, organization) : []),
      ],
    });

    this.functions.fileSystem = new GuardFunction(this, "FileSystem", {
      ...guards,
      entry: "functions/file-system/handler.ts",
      description:
        "EFS Guard efs-encrypted-at-rest, efs-tls-enforced, efs-backup-enabled, efs-policy-not-public: file system settings",
      events: FILE_SYSTEM_EVENTS,
      // In the hub, it acts in the members' accounts through their member role (shared/pipeline/members.ts).
      statements: [
        ...fileSystemStatements(this, config, !enforcesTlsWithLookup(config)),
        ...(organization ? memberRoleStatements(this, organization) : []),
      ],
    });
    // The remediation of efs-encrypted-at-rest starts the migration (and may check on a running one): only a
    // function that may remediate it gets the workflow's ARN and the right to start it.
    const migrates = remediates(config, "efs-encrypted-at-rest");
    if (migrates) this.migration.grantStart(this.functions.fileSystem.fn);

    this.functions.kmsKey = new GuardFunction(this, "KmsKey", {
      ...guards,
      entry: "functions/kms-key/handler.ts",
      description:
        "EFS Guard efs-key-rotation-enabled, efs-key-usable: rotation and availability of the keys that encrypt EFS",
      events: KMS_KEY_EVENTS,
      // In the hub, it acts in the members' accounts through their member role (shared/pipeline/members.ts).
      statements: [
        ...kmsKeyStatements(this, config),
        ...(organization ? memberRoleStatements(this, organization) : []),
      ],
    });

    // Who may mount, write and be root, and what access points enforce: alert only, a read-only role of its own.
    this.functions.efsAccess = new GuardFunction(this, "EfsAccess", {
      ...guards,
      entry: "functions/efs-access/handler.ts",
      description:
        "EFS Guard efs-iam-authorization-required, efs-root-access-restricted, efs-access-point-enforced: client access",
      events: EFS_ACCESS_EVENTS,
      // In the hub, it reads the members' file systems, access points and keys through their member role.
      statements: [...efsAccessStatements(this), ...(organization ? memberRoleStatements(this, organization) : [])],
    });

    this.sweep = new Sweep(this, "Sweep", {
      ...guards,
      // The union of every guard's statements: the sweep runs them all. In the hub, it also sweeps the members
      // through their member role, after listing them (shared/pipeline/sweep-org.ts).
      statements: [
        ...allGuardStatements(this, config),
        ...(organization
          ? [...memberRoleStatements(this, organization), ...organizationSweepStatements(organization)]
          : []),
      ],
    });
    this.functions.sweep = this.sweep.function;
    // A failed, timed-out or aborted split sweep is an alarm, like a failed migration.
    alarmOnStateMachine(this, this.sweep.split, this.alerts.topic, "SweepSplitAlarms");
    if (migrates) this.migration.grantStart(this.sweep.function.fn);
    // The migration's record on a migrated source, and who may check it (infra/constructs/migration-record.ts).
    new MigrationRecordKey(this, "MigrationRecord", {
      writer: this.migration.functions.surroundings!,
      readers: [this.functions.fileSystem.fn, this.sweep.function.fn],
    });

    // Every change of an efs-guard:* tag (exemptions, migration records) is alerted; read only.
    this.functions.tagAudit = new GuardFunction(this, "TagAudit", {
      ...guards,
      entry: "functions/tag-audit/handler.ts",
      description:
        "EFS Guard efs-guard-tags-audited: alerts every change of an efs-guard:* tag on a group, file system or key",
      events: TAG_EVENTS,
      // In the hub, it reads the members' tags through their member role (shared/pipeline/members.ts).
      statements: [...tagAuditStatements(this), ...(organization ? memberRoleStatements(this, organization) : [])],
    });

    // ECS task definitions that mount EFS without TLS (efs-clients-use-tls); read only.
    this.functions.ecsClients = new GuardFunction(this, "EcsClients", {
      ...guards,
      entry: "functions/ecs-clients/handler.ts",
      description: enforcesTlsWithLookup(config)
        ? "EFS Guard efs-clients-use-tls, efs-tls-enforced: ECS clients without TLS, and the TLS deny only where it breaks none"
        : "EFS Guard efs-clients-use-tls: alerts ECS task definitions that mount EFS without TLS",
      // tlsEnforcement "unless-clients-break": efs-tls-enforced's events too, since the deny waits for the lookup
      // of the ECS clients it would cut off (shared/guards/tls-enforcement.ts); the file-system function leaves it.
      events: { ...CLIENT_TLS_EVENTS, ...(enforcesTlsWithLookup(config) ? TLS_ENFORCEMENT_EVENTS : {}) },
      // In the hub, it reads the members' task definitions and file systems through their member role.
      statements: [
        ...ecsClientsStatements(),
        ...tlsEnforcementStatements(this, config),
        ...(organization ? memberRoleStatements(this, organization) : []),
      ],
    });

    // Mount targets in public subnets (efs-mount-target-private); read only. Its own function: CreateMountTarget
    // also reaches the NFS ingress function, whose 3 reads on that event leave no room for this control's 3.
    this.functions.mountTargets = new GuardFunction(this, "MountTargets", {
      ...guards,
      entry: "functions/mount-targets/handler.ts",
      description: "EFS Guard efs-mount-target-private: alerts mount targets in public subnets",
      events: MOUNT_TARGET_PRIVATE_EVENTS,
      // In the hub, it reads the members' subnets and routes through their member role (shared/pipeline/members.ts).
      statements: [...mountTargetsStatements(this), ...(organization ? memberRoleStatements(this, organization) : [])],
    });

    // The functions that report decisions: alerts (through the inbox) and, when on, findings for Security Hub.
    const reporters = [
      this.functions.nfsIngress,
      this.functions.fileSystem,
      this.functions.kmsKey,
      this.functions.efsAccess,
      this.functions.tagAudit,
      this.functions.ecsClients,
      this.functions.mountTargets,
      this.sweep.function,
    ];
    if (this.alertDedup) {
      for (const fn of reporters) this.alertDedup.allowPublisher(fn);
      this.functions.alerts = this.alertDedup.function;
    }

    if (config.securityHub) {
      const reporter = new SecurityHubReporter(this, "SecurityHub", common);
      this.securityHub = reporter;
      for (const fn of reporters) reporter.allowPublisher(fn);
      this.functions.securityHub = reporter.function;
    }

    // The members: a StackSet whose member role trusts the roles of the functions that act in members' accounts.
    if (organization) {
      this.members = new MemberStackSet(this, "Members", {
        config,
        organization,
        events: guardEventsOf(this),
        principals: reporters.map((fn) => fn.role),
        migrationPrincipals: this.migration.memberSteps.map((fn) => fn.role!),
      });
    }

    // Preventive guardrails (opt-in): the SCP that `efs-guard guardrails` prints, on the configured OUs or root.
    if (config.organization?.guardrails.attach) {
      this.guardrails = new GuardrailsPolicy(this, "Guardrails", { organization: config.organization });
    }

    const deadLetterQueues = Object.fromEntries(
      Object.entries(this.functions).map(([name, fn]) => [name, fn.deadLetterQueue]),
    );
    if (this.alertDedup) deadLetterQueues.alertQueue = this.alertDedup.deadLetterQueue;
    if (this.securityHub) deadLetterQueues.securityHubQueue = this.securityHub.deadLetterQueue;
    new GuardDashboard(this, "Dashboard", {
      deadLetterQueues,
      migration: this.migration.stateMachine,
      securityHub: config.securityHub,
    });
  }
}
