import { Duration, Stack } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Schedule, ScheduleExpression } from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import type { GuardConfig } from "../../shared/config/schema.js";
import { needsDeployTime, STACK_ID_ENV } from "../../shared/pipeline/observe.js";
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
}
