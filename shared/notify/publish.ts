import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { call } from "../aws/errors.js";
import { clientConfig, perRegion } from "../aws/sdk-config.js";
import type { ChatbotMessage } from "./message.js";

export const snsClient = perRegion((region) => new SNSClient(clientConfig(region)));

/** Publishes one Chatbot custom notification with the control / severity / outcome attributes for filter policies. */
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
        Subject: message.content.title.replace(/:[a-z_]+:\s*/g, "").slice(0, 99),
        Message: JSON.stringify(message),
        MessageAttributes: {
          control: attr(attributes.control),
          severity: attr(attributes.severity),
          outcome: attr(attributes.outcome),
        },
      }),
    ),
  );
}
