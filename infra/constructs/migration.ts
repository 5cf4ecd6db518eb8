import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import type { BackupVault } from "aws-cdk-lib/aws-backup";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import {
  Architecture,
  type CfnFunction,
  type IFunction,
  Function as LambdaFn,
  type Function as LambdaFunction,
  LoggingFormat,
  Runtime,
} from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  type IChainable,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  Result,
  StateMachine,
  Succeed,
  TaskInput,
  Wait,
  WaitTime,
} from "aws-cdk-lib/aws-stepfunctions";
import { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import { MIGRATION_ENV } from "../../shared/aws/migration.js";
import { configEnvironment } from "../../shared/config/runtime.js";
import { durationToSeconds, type GuardConfig } from "../../shared/config/schema.js";
import { APPROVER_ROLE_ENV } from "../../shared/migration/approval.js";
import { MIGRATION_ENV_KEYS } from "../../shared/migration/deps.js";
import { memberMigrationRoleName } from "../../shared/migration/member.js";
import { ERRORS, MIGRATION_VAULT_NAME } from "../../shared/migration/types.js";
import { regionFence } from "../iam.js";
import {
  backupRoleStatements,
  captureStatements,
  type MigrationScope,
  recreateStatements,
  safetyBackupStatements,
  surroundingsStatements,
  verifyStatements,
} from "../migration-permissions.js";
import { alarmOnFunction } from "./alarms.js";
import { ApprovalGate } from "./approval-gate.js";
import { approverRoleArn } from "./approver-role.js";
import { BUNDLE_HANDLER, bundledCode, ENTRY_METADATA, functionRole, publishAlertStatements } from "./guard-function.js";
import { migrationVault } from "./migration-vault.js";

export interface MigrationWorkflowProps {
  config: GuardConfig;
  topic: ITopic;
  /** The key of the alerts topic: the approval and notify steps publish to it. */
  key: IKey;
}

/** Fixed names: operators and the efs-guard CLI find the workflow and its vault by them. */
export const MIGRATION_STATE_MACHINE_NAME = "efs-guard-migration";
export { MIGRATION_VAULT_NAME };

/** Polling: a backup of a large file system takes hours; restores too. Each loop has a hard limit. */
export const POLL = {
  backup: { seconds: 120, max: 720 }, // 24 h
  restore: { seconds: 120, max: 720 }, // 24 h
  ready: { seconds: 15, attempts: 40 }, // 10 min for a new file system or its mount targets to become available
} as const;

/**
 * Retries of every task for what a later attempt may not meet: the Lambda service's own errors, and the steps'
 * EfsGuard.Retryable (an AWS error the SDK's retries did not outlast: throttling, ServiceUnavailable, 5xx).
 * Backoff with full jitter, capped, so a regional hiccup hours into a backup does not end the migration.
 */
export const TRANSIENT_RETRY = {
  errors: [
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    ERRORS.retryable,
  ],
  interval: Duration.seconds(5),
  maxAttempts: 8,
  backoffRate: 2,
  maxDelay: Duration.minutes(5),
  jitterStrategy: JitterType.FULL,
};

/**
 * The migration of an unencrypted file system (design section 4, reordered so that nothing billable happens before
 * approval): capture (and refuse what cannot be migrated safely), approval (task token), safety backup (waited on),
 * recreate encrypted (replication or restore), surroundings, verify, notify. Every failure path ends in a
 * notification and a Fail state; the source is never deleted, changed (but for one tag) or unmounted.
 *
 * One workflow in the home region serves every guarded region: its steps act in the file system's region with that
 * region's key and vault (the forwarder stacks create those), so the Backup calls are Lambda steps too (Step
 * Functions' SDK integrations call only the state machine's own region).
 */
export class MigrationWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly key: IKey;
  readonly vault: BackupVault;
  readonly backupRole: Role;
  readonly functions: Record<string, LambdaFunction> = {};
  /**
   * The steps that act on the file system, in a member's account through its migration role (the member template
   * trusts their roles): capture, safety backup, recreate, surroundings, verify. Approval and notify act in the hub.
   */
  readonly memberSteps: LambdaFunction[];

  constructor(scope: Construct, id: string, props: MigrationWorkflowProps) {
    super(scope, id);
    const { config, topic } = props;
    const stack = Stack.of(this);

    ({ key: this.key, vault: this.vault } = migrationVault(this, {
      ...(config.kmsKeyArn ? { kmsKeyArn: config.kmsKeyArn } : {}),
      rotationPeriodInDays: config.rotationPeriodInDays,
      ...(config.safetyBackupAdminRoleArn ? { safetyBackupAdminRoleArn: config.safetyBackupAdminRoleArn } : {}),
    }));
    this.backupRole = new Role(this, "BackupRole", {
      description: "EFS Guard migration: AWS Backup backs up and restores file systems with this role",
      assumedBy: new ServicePrincipal("backup.amazonaws.com"),
    });
    const permissions: MigrationScope = {
      partition: stack.partition,
      account: stack.account,
      homeRegion: stack.region,
      otherRegions: config.regions,
      homeKeyArn: this.key.keyArn,
      regionKeyArns: config.regionKmsKeyArns,
      backupRoleArn: this.backupRole.roleArn,
      stateMachineName: MIGRATION_STATE_MACHINE_NAME,
      strategy: config.migrationStrategy,
    };
    for (const statement of backupRoleStatements(permissions)) this.backupRole.addToPolicy(statement);

    const environment = {
      ...configEnvironment(config),
      ALERTS_TOPIC_ARN: topic.topicArn,
      [MIGRATION_ENV_KEYS.kmsKeyArn]: this.key.keyArn,
      [MIGRATION_ENV_KEYS.backupRoleArn]: this.backupRole.roleArn,
    };
    const fn = (name: string, description: string, statements: PolicyStatement[]) => {
      const f = this.migrationFunction(name, description, environment, statements, props);
      this.functions[name] = f;
      return f;
    };

    const captureFn = fn(
      "capture",
      "EFS Guard migration: captures the source file system and refuses what cannot be migrated safely",
      captureStatements(permissions),
    );
    const approvalFn = fn("request-approval", "EFS Guard migration: asks the approvers (task token)", []);
    const backupFn = fn(
      "safety-backup",
      "EFS Guard migration: the safety backup, after approval",
      safetyBackupStatements(permissions),
    );
    const recreateFn = fn(
      "recreate",
      `EFS Guard migration: creates the encrypted file system (${config.migrationStrategy})`,
      recreateStatements(permissions),
    );
    const surroundingsFn = fn(
      "surroundings",
      "EFS Guard migration: throughput, mount targets, TLS policy, access points, lifecycle",
      surroundingsStatements(permissions),
    );
    const verifyFn = fn(
      "verify",
      "EFS Guard migration: verifies the encrypted replacement",
      verifyStatements(permissions),
    );
    // In the hub, the steps that act on a member's file system assume its migration role (shared/migration/member.ts,
    // created by the member template), only in the organization's accounts (aws:ResourceOrgID).
    this.memberSteps = [captureFn, backupFn, recreateFn, surroundingsFn, verifyFn];
    const organizationId = config.organization?.organizationId;
    if (organizationId) {
      const role = memberMigrationRoleName(config.organization!.memberRoleName);
      for (const f of this.memberSteps) {
        f.addToRolePolicy(
          new PolicyStatement({
            sid: "AssumeTheMemberMigrationRole",
            actions: ["sts:AssumeRole"],
            resources: [`arn:${stack.partition}:iam::*:role/${role}`],
            conditions: { StringEquals: { "aws:ResourceOrgID": organizationId } },
          }),
        );
      }
    }
    const notifyFn = fn("notify", "EFS Guard migration: reports how the migration ended", []);
    // Calls nothing but STS GetCallerIdentity with the approvers' signatures (which needs no permission), and
    // publishes a refused answer's alert.
    const verifyAnswerFn = fn(
      "verify-approval",
      "EFS Guard migration: has AWS STS verify who answered the approval",
      [],
    );
    verifyAnswerFn.addEnvironment(APPROVER_ROLE_ENV, approverRoleArn(stack));
    // Not topic.grantPublish(): it would add kms:GenerateDataKey* on the alerts key from any service.
    for (const f of [approvalFn, notifyFn, verifyAnswerFn]) {
      for (const statement of publishAlertStatements(this, topic, props.key)) f.addToRolePolicy(statement);
    }

    // ---- the definition ----
    const stepPayload = (extra: Record<string, unknown> = {}) =>
      TaskInput.fromObject({ state: JsonPath.entirePayload, executionArn: JsonPath.executionId, ...extra });
    const step = (id: string, f: IFunction, extra?: Record<string, unknown>) => {
      const task = new LambdaInvoke(this, id, {
        lambdaFunction: f,
        payload: stepPayload(extra),
        outputPath: "$.Payload",
        retryOnServiceExceptions: false,
      });
      task.addRetry(TRANSIENT_RETRY);
      return task;
    };

    const migrationFailed = new Fail(this, "Migration failed", {
      error: "EfsGuard.MigrationFailed",
      cause: "a step failed; the notification says which, where things were left and how to resume or clean up",
    });
    const notifyFailed = step("Notify failure", notifyFn, { kind: "failed" });
    notifyFailed.addCatch(
      new Fail(this, "Migration failed, notification failed too", {
        error: "EfsGuard.MigrationFailed",
        cause: "a step failed and the failure notification could not be published; see the execution history",
      }),
      { resultPath: "$.notifyError" },
    );
    notifyFailed.next(migrationFailed);
    const routes = new Map<string, Pass>();
    const failureRoute = (stateName: string): Pass => {
      let route = routes.get(stateName);
      if (!route) {
        route = new Pass(this, `Failed at ${stateName}`, {
          result: Result.fromString(stateName),
          resultPath: "$.failedAt",
        });
        route.next(notifyFailed);
        routes.set(stateName, route);
      }
      return route;
    };
    const catchAll = <
      T extends { addCatch: (h: IChainable, p?: { errors?: string[]; resultPath?: string }) => unknown },
    >(
      state: T,
      name: string,
    ): T => {
      state.addCatch(failureRoute(name), { errors: ["States.ALL"], resultPath: "$.error" });
      return state;
    };
    const failWith = (id: string, error: string, cause: string, failedAt: string) =>
      new Pass(this, id, { result: Result.fromObject({ Error: error, Cause: cause }), resultPath: "$.error" }).next(
        failureRoute(failedAt),
      );
    // A new file system or mount target still being created makes the step retry.
    const retryNotReady = {
      errors: [ERRORS.notReady],
      interval: Duration.seconds(POLL.ready.seconds),
      maxAttempts: POLL.ready.attempts,
      backoffRate: 1,
    };

    // 1. capture
    const capture = catchAll(step("Capture source", captureFn), "Capture source");

    // 2. approval: before anything billable; the request says what the backup and the migration will be.
    const approvalSeconds = durationToSeconds(config.approvalTimeout);
    const rejected = new Fail(this, "Rejected", {
      error: ERRORS.rejected,
      cause: "an approver rejected the migration",
    });
    const timedOut = new Fail(this, "Approval timed out", {
      error: "EfsGuard.ApprovalTimedOut",
      cause: `nobody answered within ${config.approvalTimeout}`,
    });
    const notifyRejected = step("Notify rejection", notifyFn, { kind: "rejected" });
    notifyRejected.addCatch(rejected, { resultPath: "$.notifyError" });
    notifyRejected.next(rejected);
    const notifyTimedOut = step("Notify approval timeout", notifyFn, { kind: "timed-out" });
    notifyTimedOut.addCatch(timedOut, { resultPath: "$.notifyError" });
    notifyTimedOut.next(timedOut);

    // 3. safety backup, after approval, waited on
    const startBackup = catchAll(step("Start safety backup", backupFn, { kind: "start" }), "Start safety backup");
    const initBackupPolls = new Pass(this, "Backup polls: 0", {
      parameters: { count: 0 },
      resultPath: "$.backupPolls",
    });
    const describeBackup = catchAll(
      step("Describe safety backup", backupFn, { kind: "describe" }),
      "Describe safety backup",
    );
    const countBackupPoll = new Pass(this, "Backup polls + 1", {
      parameters: { count: JsonPath.mathAdd(JsonPath.numberAt("$.backupPolls.count"), 1) },
      resultPath: "$.backupPolls",
    });
    const waitBackup = new Wait(this, "Wait for the backup", {
      time: WaitTime.duration(Duration.seconds(POLL.backup.seconds)),
    });

    // 4. recreate encrypted
    const recreate = step("Recreate encrypted", recreateFn);
    recreate.addRetry(retryNotReady);
    catchAll(recreate, "Recreate encrypted");
    const initRestorePolls = new Pass(this, "Restore polls: 0", {
      parameters: { count: 0 },
      resultPath: "$.restorePolls",
    });
    const describeRestore = catchAll(
      step("Describe restore", recreateFn, { kind: "describe-restore" }),
      "Describe restore",
    );
    const countRestorePoll = new Pass(this, "Restore polls + 1", {
      parameters: { count: JsonPath.mathAdd(JsonPath.numberAt("$.restorePolls.count"), 1) },
      resultPath: "$.restorePolls",
    });
    const waitRestore = new Wait(this, "Wait for the restore", {
      time: WaitTime.duration(Duration.seconds(POLL.restore.seconds)),
    });

    // 5-6. surroundings, verify
    const surroundings = step("Recreate surroundings", surroundingsFn);
    surroundings.addRetry(retryNotReady);
    catchAll(surroundings, "Recreate surroundings");
    const verify = step("Verify", verifyFn);
    verify.addRetry(retryNotReady);
    catchAll(verify, "Verify");
    const notifyDone = catchAll(step("Notify cut-over", notifyFn, { kind: "migrated" }), "Notify cut-over");

    const fromSurroundings = surroundings
      .next(verify)
      .next(notifyDone)
      .next(new Succeed(this, "Migrated, cut-over pending"));

    const restoreLoop = new Choice(this, "Restore finished?")
      .when(Condition.stringEquals("$.restoreJob.Status", "COMPLETED"), fromSurroundings)
      .when(
        Condition.or(
          Condition.stringEquals("$.restoreJob.Status", "FAILED"),
          Condition.stringEquals("$.restoreJob.Status", "ABORTED"),
        ),
        failWith(
          "Restore did not complete",
          "EfsGuard.RestoreFailed",
          "the restore job ended FAILED or ABORTED (see restoreJob.StatusMessage)",
          "Describe restore",
        ),
      )
      .when(
        Condition.numberGreaterThanEquals("$.restorePolls.count", POLL.restore.max),
        failWith(
          "Restore timed out",
          "EfsGuard.RestoreTimedOut",
          `the restore job did not finish within ${(POLL.restore.max * POLL.restore.seconds) / 3600} h`,
          "Describe restore",
        ),
      )
      .otherwise(countRestorePoll.next(waitRestore).next(describeRestore));
    describeRestore.next(restoreLoop);

    const afterRecreate = new Choice(this, "Restore started?")
      .when(Condition.isPresent("$.destination.restoreJobId"), initRestorePolls.next(describeRestore))
      .otherwise(fromSurroundings);

    const backupLoop = new Choice(this, "Backup finished?")
      .when(Condition.stringEquals("$.backupJob.State", "COMPLETED"), recreate.next(afterRecreate))
      .when(
        Condition.or(
          ...["FAILED", "ABORTED", "EXPIRED", "PARTIAL"].map((s) => Condition.stringEquals("$.backupJob.State", s)),
        ),
        failWith(
          "Backup did not complete",
          ERRORS.backupFailed,
          "the safety backup job did not complete (see backupJob.State and StatusMessage); nothing was migrated",
          "Describe safety backup",
        ),
      )
      .when(
        Condition.numberGreaterThanEquals("$.backupPolls.count", POLL.backup.max),
        failWith(
          "Backup timed out",
          "EfsGuard.BackupTimedOut",
          `the safety backup did not finish within ${(POLL.backup.max * POLL.backup.seconds) / 3600} h`,
          "Describe safety backup",
        ),
      )
      .otherwise(countBackupPoll.next(waitBackup).next(describeBackup));
    describeBackup.next(backupLoop);

    startBackup.next(initBackupPolls).next(describeBackup);
    // Asked, answered, and the answer verified before anything billable (infra/constructs/approval-gate.ts).
    const approval = new ApprovalGate(this, "Approval", {
      requestFn: approvalFn,
      verifyFn: verifyAnswerFn,
      timeoutSeconds: approvalSeconds,
      retry: TRANSIENT_RETRY,
      onApproved: startBackup,
      onRejected: notifyRejected,
      onTimedOut: notifyTimedOut,
      catchAll: (state, name) => catchAll(state, name),
      failWith,
    });
    const definition = capture.next(approval.start);

    this.stateMachine = new StateMachine(this, "StateMachine", {
      stateMachineName: MIGRATION_STATE_MACHINE_NAME,
      comment: "EFS Guard: migrates an unencrypted file system to an encrypted replacement, after approval",
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout: Duration.seconds(approvalSeconds + 3 * 86400),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, "Logs", {
          retention: RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
        level: LogLevel.ALL,
        includeExecutionData: false,
      },
    });
  }

  /** Lets a function start migrations and see whether one already ran: the env variable and the IAM grants. */
  grantStart(fn: LambdaFunction): void {
    fn.addEnvironment(MIGRATION_ENV, this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(fn);
    const stack = Stack.of(this);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ["states:DescribeExecution"],
        resources: [
          `arn:${stack.partition}:states:${stack.region}:${stack.account}:execution:${MIGRATION_STATE_MACHINE_NAME}:*`,
        ],
      }),
    );
  }

  private migrationFunction(
    name: string,
    description: string,
    environment: Record<string, string>,
    statements: PolicyStatement[],
    props: MigrationWorkflowProps,
  ): LambdaFunction {
    const entry = `functions/migration/${name}/handler.ts`;
    const id = name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
    const logGroup = new LogGroup(this, `${id}Logs`, {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = functionRole(this, `${id}Role`, logGroup, `EFS Guard migration ${name}: the step's execution role`);
    const f = new LambdaFn(this, `${id}Function`, {
      // The same bundle as the guard functions (infra/bundling.ts), so `npm run bench` measures what is deployed.
      code: bundledCode(entry),
      handler: BUNDLE_HANDLER,
      description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(120),
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      role,
      environment: {
        ...environment,
        POWERTOOLS_SERVICE_NAME: "efs-guard-migration",
        LOG_LEVEL: "INFO",
      },
    });
    (f.node.defaultChild as CfnFunction).addMetadata(ENTRY_METADATA, entry);
    for (const s of statements) role.addToPolicy(s);
    role.addToPolicy(regionFence([Stack.of(this).region, ...props.config.regions]));
    alarmOnFunction(new Construct(this, `${id}Alarms`), f, props.topic, `the migration step ${name}`);
    return f;
  }
}
