import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from "aws-cdk-lib/aws-s3";
import { Schedule, ScheduleExpression } from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import {
  DefinitionBody,
  DistributedMap,
  type DistributedMapProps,
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
import {
  RUNS_PREFIX,
  SWEEP_BUCKET_ENV,
  SWEEP_MAP_ENV,
  SWEEP_STATE_MACHINE_NAME,
} from "../../shared/pipeline/sweep-map.js";
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
  /** The organization sweep's runs (items and results), in the hub only (organization.organizationId). */
  readonly runs?: Bucket;

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
    if (props.config.organization?.organizationId) this.runs = this.runsBucket();
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
   * that adds the tallies up and publishes the summary. In a single account the items travel in the execution's input
   * (a few hundred bytes each, far inside the 256 KiB limit; docs/performance.md); in the hub, whose organization
   * sweep has up to 17,000 of them, they and the results are objects of the runs bucket (S3RunMap below).
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
    const runs = this.runs;
    const mapProps: DistributedMapProps = {
      comment: "One child per item, sweepMap.maxConcurrency at once",
      itemSelector: { sweepItem: JsonPath.stringAt("$$.Map.Item.Value"), run: JsonPath.objectAt("$.run") },
      // In the hub the items are also the members' (account, region) pairs: organization.sweepConcurrency bounds them.
      maxConcurrency: config.organization?.organizationId
        ? config.organization.sweepConcurrency
        : config.sweepMap.maxConcurrency,
      toleratedFailurePercentage: 100,
      resultPath: "$.results",
    };
    const items = runs
      ? new S3RunMap(this, "Items", mapProps, runs.bucketName)
      : new DistributedMap(this, "Items", { ...mapProps, itemsPath: JsonPath.stringAt("$.items") });
    items.itemProcessor(child);
    const summarize = new InvokeStep(this, "Summarize", {
      lambdaFunction: fn,
      comment: "The one summary message: every item's tally, failed items named",
      payload: TaskInput.fromObject({
        // With the runs bucket, the items and the results are objects: the summary step reads them itself.
        sweepSummary: runs
          ? {
              itemsKey: JsonPath.stringAt("$.itemsKey"),
              done: JsonPath.objectAt("$.done"),
              resultWriter: JsonPath.objectAt("$.results.ResultWriterDetails"),
            }
          : {
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
    if (runs) this.grantRuns(runs, stateMachine);
    return stateMachine;
  }

  /**
   * The organization sweep's runs: the items of each execution (runs/NAME/items.json, written by the sweep
   * function, read by the Map's ItemReader) and their results (runs/NAME/results/, written by the Map's ResultWriter,
   * read by the summary step). Encrypted (SSE-S3: no key policy to widen for the state machine), TLS only, never
   * public, owner-enforced; a run is expired after RUNS_RETENTION_DAYS (the summary message is the record).
   */
  private runsBucket(): Bucket {
    const bucket = new Bucket(this, "Runs", {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          prefix: `${RUNS_PREFIX}/`,
          expiration: Duration.days(RUNS_RETENTION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: "AwsSolutions::AwsSolutions-S1",
      reason:
        "The runs bucket holds transient sweep items and results that only the sweep function's and the sweep state machine's roles may read or write (their policies, on runs/ objects only), expired after 30 days; CloudTrail's S3 data events record those object calls where the organization logs them, without a second bucket for access logs.",
    });
    this.function.fn.addEnvironment(SWEEP_BUCKET_ENV, bucket.bucketName);
    return bucket;
  }

  /**
   * Least privilege on the runs, as the Step Functions developer guide lists it for ItemReader ("IAM policies for
   * ItemReader": s3:GetObject on the object) and ResultWriter ("IAM policies for ResultWriter": s3:PutObject,
   * s3:ListMultipartUploadParts, s3:AbortMultipartUpload on the prefix): the function writes and reads its items and
   * reads the results; the state machine reads the items and writes the results; neither may list or delete.
   */
  private grantRuns(runs: Bucket, stateMachine: StateMachine): void {
    const items = runs.arnForObjects(`${RUNS_PREFIX}/*/items.json`);
    const results = runs.arnForObjects(`${RUNS_PREFIX}/*/results/*`);
    this.function.fn.addToRolePolicy(
      new PolicyStatement({ sid: "WriteSweepItems", actions: ["s3:PutObject"], resources: [items] }),
    );
    this.function.fn.addToRolePolicy(
      new PolicyStatement({ sid: "ReadSweepRun", actions: ["s3:GetObject"], resources: [items, results] }),
    );
    stateMachine.addToRolePolicy(
      new PolicyStatement({ sid: "ReadSweepItems", actions: ["s3:GetObject"], resources: [items] }),
    );
    stateMachine.addToRolePolicy(
      new PolicyStatement({
        sid: "WriteSweepResults",
        actions: ["s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
        resources: [results],
      }),
    );
  }
}

/** How long a run's items and results are kept (days). */
export const RUNS_RETENTION_DAYS = 30;

/**
 * The Distributed Map over the run's items object (ItemReader, arn:aws:states:::s3:getObject, InputType JSON) that
 * writes its children's results to the run's prefix (ResultWriter, arn:aws:states:::s3:putObject): the items and the
 * results stay out of the execution's state, whose 256 KiB limit they would exceed at about 260 children
 * (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html,
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html,
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). Written as ASL here, not with the CDK's
 * S3JsonItemReader and ResultWriterV2, which grant s3:GetObject on the whole bucket (and the results' s3:GetObject)
 * to the state machine's role: its statements are grantRuns' above, no more.
 */
class S3RunMap extends DistributedMap {
  constructor(
    scope: Construct,
    id: string,
    props: DistributedMapProps,
    private readonly bucketName: string,
  ) {
    super(scope, id, props);
  }

  override toStateJson(): object {
    const json = super.toStateJson() as Record<string, unknown>;
    return {
      ...json,
      ItemReader: {
        Resource: "arn:aws:states:::s3:getObject",
        ReaderConfig: { InputType: "JSON" },
        Parameters: { Bucket: this.bucketName, "Key.$": "$.itemsKey" },
      },
      ResultWriter: {
        Resource: "arn:aws:states:::s3:putObject",
        Parameters: { Bucket: this.bucketName, "Prefix.$": "$.resultsPrefix" },
      },
    };
  }
}
