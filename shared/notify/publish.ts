import { randomUUID } from "node:crypto";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { call } from "../aws/errors.js";
import { clientConfig, perRegion } from "../aws/sdk-config.js";
import { type AlertEnvelope, ENVELOPE_VERSION } from "./envelope.js";
import { type ChatbotMessage, emailText } from "./message.js";

/**
 * SNS's Subject (the e-mail subject line) must be ASCII, without line breaks or control characters, and shorter
 * than 100 characters, or Publish fails and the alert is lost: our icons go, anything else outside printable
 * ASCII becomes "?" (SNS API reference, Publish: Subject).
 */
export function subjectLine(title: string): string {
  const ascii = title
    .replace(/:[a-z_]+:\s*/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/[`*]/g, "")
    .replace(/[^\x20-\x7e]/g, "?")
    .replace(/^[^A-Za-z0-9]+/, "")
    .trim();
  return (ascii || "EFS Guard alert").slice(0, 99);
}

/**
 * What is published: the Chatbot JSON for every protocol (AWS Chatbot's HTTPS endpoint, SQS, Lambda) and the same
 * alert as text for e-mail, in one SNS message structure (MessageStructure "json": one member per protocol).
 */
export function messageStructure(message: ChatbotMessage): string {
  return JSON.stringify({ default: JSON.stringify(message), email: emailText(message) });
}

export const snsClient = perRegion((region) => new SNSClient(clientConfig(region)));

/** Publishes one Chatbot custom notification (and its e-mail text) with the control / severity / outcome attributes for filter policies. */
export async function publishChatbot(
  sns: SNSClient,
  topicArn: string,
  message: ChatbotMessage,
  attributes: AlertAttributes,
): Promise<void> {
  const attr = (value: string) => ({ DataType: "String", StringValue: value });
  await call("sns:Publish", () =>
    sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: subjectLine(message.content.title),
        MessageStructure: "json",
        Message: messageStructure(message),
        MessageAttributes: {
          control: attr(attributes.control),
          severity: attr(attributes.severity),
          outcome: attr(attributes.outcome),
        },
      }),
    ),
  );
}

/** The message attributes of an alert, for subscription filter policies. */
export interface AlertAttributes {
  control: string;
  severity: string;
  outcome: string;
}

/**
 * How a function hands over one alert: one SNS Publish either way. `key` (the dedup key) marks an alert that
 * identical ones may be merged into; without one (the sweep's summary) the alert is always delivered.
 */
export type AlertSender = (message: ChatbotMessage, attributes: AlertAttributes, key?: string) => Promise<void>;

/** Straight to the alerts topic (deduplication off, and the `replay` command). */
export function topicSender(topicArn: string, region: string = topicArn.split(":")[3] ?? "us-east-1"): AlertSender {
  const sns = snsClient(region);
  return (message, attributes) => publishChatbot(sns, topicArn, message, attributes);
}

/**
 * To the alert inbox (an internal topic, encrypted, TLS-only, that only the guard roles may publish to), whose
 * queue feeds the alerts function: it merges identical alerts and publishes to the alerts topic. The envelope's
 * id is new for every hand-over, so a redelivery of the same message is told apart from a second identical alert.
 */
export function inboxSender(inboxArn: string): AlertSender {
  const sns = snsClient(inboxArn.split(":")[3] ?? "us-east-1");
  return async (message, attributes, key) => {
    const envelope: AlertEnvelope = {
      efsGuardAlert: ENVELOPE_VERSION,
      id: randomUUID(),
      ...(key ? { key } : {}),
      message,
      attributes,
    };
    await call("sns:Publish", () =>
      sns.send(new PublishCommand({ TopicArn: inboxArn, Message: JSON.stringify(envelope) })),
    );
  };
}
