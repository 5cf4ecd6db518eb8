import { ArnFormat, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Schedule, ScheduleExpression } from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import {
  DefinitionBody,
  DistributedMap,
  JsonPath,
  LogLevel,
  Pass,
  StateMachine,
  TaskInput,
} from "aws-cdk-lib/aws-stepfunctions";
import { LambdaInvoke as InvokeStep } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import type { GuardConfig } from "../../shared/config/schema.js";
import { needsDeployTime, STACK_ID_ENV } from "../../shared/pipeline/observe.js";
import { SWEEP_MAP_ENV, SWEEP_STATE_MACHINE_NAME } from "../../shared/pipeline/sweep-map.js";
import { GuardFunction } from "./guard-function.js";

export interface SweepProps {
  config: GuardConfig;
  topic: ITopic;
  inbox?: ITopic | undefined;
  key: IKey;
  /** The union of the guards' statements. */
  statements: PolicyStatement[];
}

/**
 * The scheduled sweep: an EventBridge Scheduler schedule (`sweepSchedule`, default rate(1 day)) that invokes a guard
 * function running every guard over every resource of every configured region. The schedule retries a failed
 * invocation and then sends it to the function's dead-letter queue; the function has 15 minutes.
 */
export class Sweep extends Construct {
  readonly function: GuardFunction;
  readonly schedule: Schedule;
  /** The split of a large region: a Distributed Map of the sweep function over pages of file systems. */
  readonly split: StateMachine;

  constructor(scope: Construct, id: string, props: SweepProps) {
    super(scope, id);
    this.function = new GuardFunction(this, "Function", {
      config: props.config,
      topic: props.topic,
      inbox: props.inbox,
      key: props.key,
      entry: "functions/sweep/handler.ts",
      description:
        "EFS Guard scheduled sweep: every control over every file system, mount-target security group and key",
      statements: props.statements,
      // The organization sweep lists the accounts on Organizations' one endpoint (us-east-1 in the aws partition).
      globalActions: props.statements.flatMap((s) => s.actions).filter((a) => a.startsWith("organizations:")),
      timeout: Duration.minutes(15),
      memorySize: 512,
    });
    // The observe period after the first deploy ends observeDays after the stack's creation, which the sweep reads
    // from CloudFormation (shared/pipeline/observe.ts): only its own stack, only when the configuration needs it.
    if (needsDeployTime(props.config)) {
      const stack = Stack.of(this);
      this.function.fn.addEnvironment(STACK_ID_ENV, stack.stackId);
      this.function.fn.addToRolePolicy(
        new PolicyStatement({
          sid: "ReadOwnStackCreationTime",
          actions: ["cloudformation:DescribeStacks"],
          resources: [stack.stackId],
        }),
      );
    }
    this.split = this.splitStateMachine(props.config);
    const role = new Role(this, "SchedulerRole", {
      assumedBy: new ServicePrincipal("scheduler.amazonaws.com"),
      description: "EFS Guard sweep schedule: invokes the sweep function, dead-letters what it cannot deliver",
    });
    // The dead-letter queue is encrypted with the alerts key: the scheduler must be able to write to it. A producer of
    // an SSE-KMS queue needs GenerateDataKey and Decrypt only, through SQS; the target adds sqs:SendMessage on the queue.
    // (key.grantEncryptDecrypt would add kms:Encrypt, kms:ReEncrypt* and kms:GenerateDataKey* from any service.)
    role.addToPolicy(
      new PolicyStatement({
        sid: "UseGuardKeyViaSqs",
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: [props.key.keyArn],
        conditions: { StringEquals: { "kms:ViaService": `sqs.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    this.schedule = new Schedule(this, "Schedule", {
      schedule: ScheduleExpression.expression(props.config.sweepSchedule),
      description: "EFS Guard: sweep every EFS control",
      target: new LambdaInvoke(this.function.fn, {
        role,
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: this.function.deadLetterQueue,
      }),
    });
  }

  /**
   * efs-guard-sweep: one child invocation of the sweep function per item ({account?, region, page}, planned by the
   * scheduled invocation), at most sweepMap.maxConcurrency at once; a failed child is caught and becomes a failure
   * record, so the others go on (ToleratedFailurePercentage 100 covers what the Catch cannot), then one summary step
   * that adds the tallies up and publishes the summary. The items travel in the execution's input: a few hundred
   * bytes each, far inside the 256 KiB limit (no ItemReader, no bucket; docs/performance.md).
   */
  private splitStateMachine(config: GuardConfig): StateMachine {
    const fn = this.function.fn;
    const child = new InvokeStep(this, "SweepItem", {
      lambdaFunction: fn,
      comment: "The sweep of one item: its slice of the region's file systems (and, for the first, the rest)",
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    child.addCatch(new Pass(this, "ItemFailed", { comment: "The item, with its error, for the summary" }), {
      resultPath: "$.error",
    });
    const items = new DistributedMap(this, "Items", {
      comment: "One child per item, sweepMap.maxConcurrency at once",
      itemsPath: JsonPath.stringAt("$.items"),
      itemSelector: { sweepItem: JsonPath.stringAt("$$.Map.Item.Value"), run: JsonPath.objectAt("$.run") },
      // In the hub the items are also the members' (account, region) pairs: organization.sweepConcurrency bounds them.
      maxConcurrency: config.organization?.organizationId
        ? config.organization.sweepConcurrency
        : config.sweepMap.maxConcurrency,
      toleratedFailurePercentage: 100,
      resultPath: "$.results",
    });
    items.itemProcessor(child);
    const summarize = new InvokeStep(this, "Summarize", {
      lambdaFunction: fn,
      comment: "The one summary message: every item's tally, failed items named",
      payload: TaskInput.fromObject({
        sweepSummary: {
          items: JsonPath.listAt("$.items"),
          done: JsonPath.objectAt("$.done"),
          results: JsonPath.listAt("$.results"),
        },
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    const stateMachine = new StateMachine(this, "SplitStateMachine", {
      stateMachineName: SWEEP_STATE_MACHINE_NAME,
      comment: "EFS Guard: the sweep of a region too large for one invocation, split over pages of file systems",
      definitionBody: DefinitionBody.fromChainable(items.next(summarize)),
      timeout: Duration.hours(12),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, "SplitLogs", {
          retention: RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
        level: LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    // By name, not by reference: the state machine's definition names the function, the function's environment
    // and policy name the state machine (a reference both ways would be a cycle in the template).
    const arn = Stack.of(this).formatArn({
      service: "states",
      resource: "stateMachine",
      resourceName: SWEEP_STATE_MACHINE_NAME,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    fn.addEnvironment(SWEEP_MAP_ENV, arn);
    fn.addToRolePolicy(
      new PolicyStatement({ sid: "StartSplitSweep", actions: ["states:StartExecution"], resources: [arn] }),
    );
    return stateMachine;
  }
}
