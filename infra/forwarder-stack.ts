import { Aws, Duration, Stack, type StackProps, Validations } from "aws-cdk-lib";
import { type CfnRule, EventBus, type IEventBus, Rule } from "aws-cdk-lib/aws-events";
import { EventBus as EventBusTarget } from "aws-cdk-lib/aws-events-targets";
import { type IRole, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { type IQueue, Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { type EventPattern, patternsFor } from "../events/patterns.js";
import { alarmOnDeadLetterQueue, alarmOnRuleDlqFailure } from "./constructs/alarms.js";
import { AlertsTopic } from "./constructs/alerts-topic.js";
import { toCdkPattern } from "./constructs/guard-function.js";
import { type MigrationVaultProps, migrationVault } from "./constructs/migration-vault.js";

export interface ForwarderStackProps extends StackProps {
  /** The region where the guard runs; its default bus receives the forwarded events. */
  homeRegion: string;
  /** "eventSource:eventName" keys: the union of what the home region's guard functions subscribe to. */
  events: readonly string[];
  alertEmails: string[];
  /**
   * The migration's key and vault for this region (keys and vaults are regional; the home region's workflow migrates
   * this region's file systems with them). Absent when efs-encrypted-at-rest does not remediate.
   */
  migration?: MigrationVaultProps;
}

/**
 * One per other region: EventBridge rules with the same CloudTrail patterns as the home region's functions, whose
 * target is the home region's default event bus. The handlers act in the region the event names (event.region), so
 * the guard covers this region without running here. What the migration needs here is data, not code: its key and
 * backup vault (the home region's workflow uses them for this region's file systems).
 *
 * Same account, so the home bus needs no resource policy (that is only for other accounts): the rule's role with
 * events:PutEvents on that one bus is the whole authorisation. Delivery retries for 24 hours, then dead-letters into
 * a queue in this region (EventBridge wants the dead-letter queue in the rule's region), watched by alarms that
 * notify a small alerts topic in this region (CloudWatch alarm actions must be in the alarm's region).
 */
export class ForwarderStack extends Stack {
  readonly homeBusArn: string;
  readonly rules: Rule[] = [];
  readonly role: Role;
  readonly deadLetterQueue: Queue;
  readonly alerts: AlertsTopic;
  readonly migration?: ReturnType<typeof migrationVault>;

  constructor(scope: Construct, id: string, props: ForwarderStackProps) {
    super(scope, id, props);
    this.homeBusArn = `arn:${Aws.PARTITION}:events:${props.homeRegion}:${Aws.ACCOUNT_ID}:event-bus/default`;
    this.alerts = new AlertsTopic(this, "Alerts", { alertEmails: props.alertEmails });
    if (props.migration) this.migration = migrationVault(new Construct(this, "Migration"), props.migration);
    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.alerts.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeForwardingDlq(this.deadLetterQueue);
    this.role = new Role(this, "ForwardRole", {
      description: `EFS Guard: forwards CloudTrail events from ${this.region} to the default bus in ${props.homeRegion}`,
      // Only EventBridge acting for this account may assume it (confused-deputy protection).
      assumedBy: new ServicePrincipal("events.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID } },
      }),
    });
    // The EventBus target grants the role events:PutEvents on the home bus, and nothing else.
    const homeBus = EventBus.fromEventBusArn(this, "HomeBus", this.homeBusArn);

    patternsFor(props.events).forEach((pattern, index) => {
      const rule = forwardingRule(this, `Forward${index}`, pattern, {
        bus: homeBus,
        role: this.role,
        deadLetterQueue: this.deadLetterQueue,
        to: props.homeRegion,
      });
      this.rules.push(rule);
      alarmOnRuleDlqFailure(this, `Forward${index}DlqFailureAlarm`, rule, this.alerts.topic);
    });
    alarmOnDeadLetterQueue(
      this,
      "DeadLetterAlarm",
      this.deadLetterQueue,
      this.alerts.topic,
      `the forwarding dead-letter queue in ${this.region}`,
    );
  }
}

/** cdk-nag's SQS3 on a queue that is itself a dead-letter queue (of forwarding rules' targets). */
export function acknowledgeForwardingDlq(queue: Queue): void {
  Validations.of(queue).acknowledge({
    id: "AwsSolutions::AwsSolutions-SQS3",
    reason:
      "This queue is the dead-letter queue of the forwarding rules' targets; cdk-nag only recognises queues named in another queue's RedrivePolicy.",
  });
}

/**
 * A rule that forwards the events of `pattern` to another bus (the home region's, or the organization hub's),
 * with the same delivery policy as the home rules: 8 attempts within 24 hours, then the dead-letter queue.
 */
export function forwardingRule(
  scope: Construct,
  id: string,
  pattern: EventPattern,
  target: { bus: IEventBus; role: IRole; deadLetterQueue: IQueue; to: string },
): Rule {
  const rule = new Rule(scope, id, {
    description: `EFS Guard: forward ${pattern.detail.eventName.join(", ")} (${pattern.detail.eventSource[0]}) to ${target.to}`,
    eventPattern: toCdkPattern(pattern),
    targets: [new EventBusTarget(target.bus, { role: target.role, deadLetterQueue: target.deadLetterQueue })],
  });
  // CDK's EventBus target has no retry props (aws/aws-cdk#28735); the target accepts a RetryPolicy like any other.
  (rule.node.defaultChild as CfnRule).addPropertyOverride("Targets.0.RetryPolicy", {
    MaximumRetryAttempts: 8,
    MaximumEventAgeInSeconds: Duration.hours(24).toSeconds(),
  });
  return rule;
}
