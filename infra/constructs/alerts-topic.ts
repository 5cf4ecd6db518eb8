import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { LoggingLevel, SlackChannelConfiguration } from "aws-cdk-lib/aws-chatbot";
import { ManagedPolicy, PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";

export interface AlertsTopicProps {
  alertEmails: string[];
  /** A Slack channel (already authorized in the AWS Chatbot console) that receives every alert. */
  chatbot?: { slackWorkspaceId: string; slackChannelId: string } | undefined;
}

/**
 * The alerts topic and the key that encrypts it and the guard's queues. TLS-only: a publish or subscribe over
 * plain HTTP is denied by the topic policy. CloudWatch alarms and EventBridge may use the key so that alarms can
 * publish and dead-lettered events can be written.
 */
export class AlertsTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: AlertsTopicProps) {
    super(scope, id);
    this.key = new Key(this, "Key", {
      description: "EFS Guard: encrypts the alerts topic and the dead-letter queues",
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const service of ["cloudwatch.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com"]) {
      this.key.addToResourcePolicy(
        new PolicyStatement({
          principals: [new ServicePrincipal(service)],
          actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
          resources: ["*"],
          conditions: { StringEquals: { "aws:SourceAccount": this.key.stack.account } },
        }),
      );
    }
    this.topic = new Topic(this, "Topic", {
      displayName: "EFS Guard alerts",
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.alertEmails) this.topic.addSubscription(new EmailSubscription(email));
    if (props.chatbot) {
      // The alerts are AWS Chatbot custom notifications, rendered by the channel as they are. The channel only
      // reads notifications: its guardrail allows nothing beyond read-only, whatever a member's own role allows.
      new SlackChannelConfiguration(this, "Slack", {
        slackChannelConfigurationName: `efs-guard-${this.node.addr.slice(0, 8)}`,
        slackWorkspaceId: props.chatbot.slackWorkspaceId,
        slackChannelId: props.chatbot.slackChannelId,
        notificationTopics: [this.topic],
        guardrailPolicies: [ManagedPolicy.fromAwsManagedPolicyName("ReadOnlyAccess")],
        loggingLevel: LoggingLevel.ERROR,
        userRoleRequired: false,
      });
    }
  }
}
