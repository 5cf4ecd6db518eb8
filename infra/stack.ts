import { Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { FILE_SYSTEM_EVENTS, KMS_KEY_EVENTS, NFS_INGRESS_EVENTS, TAG_EVENTS } from "../events/patterns.js";
import type { GuardConfig } from "../shared/config/schema.js";
import { alarmOnStateMachine } from "./constructs/alarms.js";
import { AlertsTopic } from "./constructs/alerts-topic.js";
import { ApproverRole } from "./constructs/approver-role.js";
import { GuardDashboard } from "./constructs/dashboard.js";
import { GuardFunction } from "./constructs/guard-function.js";
import { MigrationWorkflow } from "./constructs/migration.js";
import { MigrationRecordKey } from "./constructs/migration-record.js";
import { SecurityHubReporter } from "./constructs/security-hub.js";
import { Sweep } from "./constructs/sweep.js";
import {
  fileSystemStatements,
  kmsKeyStatements,
  nfsIngressStatements,
  remediates,
  tagAuditStatements,
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
  /** Present only when `securityHub` is on. */
  readonly securityHub?: SecurityHubReporter;

  constructor(scope: Construct, id: string, props: EfsGuardStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.alerts = new AlertsTopic(this, "Alerts", { alertEmails: config.alertEmails, chatbot: config.chatbot });
    const common = { config, topic: this.alerts.topic, key: this.alerts.key };
    this.migration = new MigrationWorkflow(this, "Migration", {
      config,
      topic: this.alerts.topic,
      key: this.alerts.key,
    });
    alarmOnStateMachine(this, this.migration.stateMachine, this.alerts.topic, "MigrationAlarms");
    this.approver = new ApproverRole(this, "Approver", { config, stateMachine: this.migration.stateMachine });

    this.functions.nfsIngress = new GuardFunction(this, "NfsIngress", {
      ...common,
      entry: "functions/nfs-ingress/handler.ts",
      description:
        "EFS Guard efs-nfs-ingress-restricted: revokes over-broad NFS ingress on mount-target security groups",
      events: NFS_INGRESS_EVENTS,
      statements: nfsIngressStatements(this, config),
    });

    this.functions.fileSystem = new GuardFunction(this, "FileSystem", {
      ...common,
      entry: "functions/file-system/handler.ts",
      description:
        "EFS Guard efs-encrypted-at-rest, efs-tls-enforced, efs-backup-enabled, efs-policy-not-public: file system settings",
      events: FILE_SYSTEM_EVENTS,
      statements: fileSystemStatements(this, config),
    });
    // The remediation of efs-encrypted-at-rest starts the migration (and may check on a running one): only a
    // function that may remediate it gets the workflow's ARN and the right to start it.
    const migrates = remediates(config, "efs-encrypted-at-rest");
    if (migrates) this.migration.grantStart(this.functions.fileSystem.fn);

    this.functions.kmsKey = new GuardFunction(this, "KmsKey", {
      ...common,
      entry: "functions/kms-key/handler.ts",
      description:
        "EFS Guard efs-key-rotation-enabled, efs-key-usable: rotation and availability of the keys that encrypt EFS",
      events: KMS_KEY_EVENTS,
      statements: kmsKeyStatements(this, config),
    });

    this.sweep = new Sweep(this, "Sweep", {
      ...common,
      // The union of every guard's statements: the sweep runs them all.
      statements: [
        ...nfsIngressStatements(this, config),
        ...fileSystemStatements(this, config),
        ...kmsKeyStatements(this, config),
      ],
    });
    this.functions.sweep = this.sweep.function;
    if (migrates) this.migration.grantStart(this.sweep.function.fn);
    // The migration's record on a migrated source, and who may check it (infra/constructs/migration-record.ts).
    new MigrationRecordKey(this, "MigrationRecord", {
      writer: this.migration.functions.surroundings!,
      readers: [this.functions.fileSystem.fn, this.sweep.function.fn],
    });

    // Every change of an efs-guard:* tag (exemptions, migration records) is alerted; read only.
    this.functions.tagAudit = new GuardFunction(this, "TagAudit", {
      ...common,
      entry: "functions/tag-audit/handler.ts",
      description:
        "EFS Guard efs-guard-tags-audited: alerts every change of an efs-guard:* tag on a group, file system or key",
      events: TAG_EVENTS,
      statements: tagAuditStatements(this),
    });

    if (config.securityHub) {
      const reporter = new SecurityHubReporter(this, "SecurityHub", common);
      this.securityHub = reporter;
      for (const fn of [
        this.functions.nfsIngress,
        this.functions.fileSystem,
        this.functions.kmsKey,
        this.functions.tagAudit,
        this.sweep.function,
      ]) {
        reporter.allowPublisher(fn);
      }
      this.functions.securityHub = reporter.function;
    }

    const deadLetterQueues = Object.fromEntries(
      Object.entries(this.functions).map(([name, fn]) => [name, fn.deadLetterQueue]),
    );
    if (this.securityHub) deadLetterQueues.securityHubQueue = this.securityHub.deadLetterQueue;
    new GuardDashboard(this, "Dashboard", {
      deadLetterQueues,
      migration: this.migration.stateMachine,
      securityHub: config.securityHub,
    });
  }
}
