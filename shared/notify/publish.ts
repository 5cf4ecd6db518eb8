import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { call } from "../aws/errors.js";
import { clientConfig, perRegion } from "../aws/sdk-config.js";
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
  attributes: { control: string; severity: string; outcome: string },
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
