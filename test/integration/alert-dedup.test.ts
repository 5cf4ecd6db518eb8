import {
  type AttributeValue,
  DeleteTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { ListTopicsCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ALERTS_ENTRY, FunctionHost } from "../../emulator/host.js";
import { Seeder } from "../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { authorizeIngressEvent } from "../../events/build.js";
import { resetEmulator } from "../support/emulator.js";

/**
 * Alert deduplication end to end: CloudTrail events through the real rules to the deployed NFS guard, its alerts
 * through the inbox topic and queue to the deployed alerts function (its own role, IAM enforced), the dedup table in
 * the emulator's DynamoDB, and out on the alerts topic.
 */
let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate();
});

const dynamodb = new DynamoDBClient({ region: "us-east-1" });
const sqs = new SQSClient({ region: "us-east-1" });
const sns = new SNSClient({ region: "us-east-1" });

async function tableName(): Promise<string> {
  const names = (await dynamodb.send(new ListTablesCommand({}))).TableNames ?? [];
  const name = names.find((n) => n.startsWith("AlertDedupTable"));
  if (!name) throw new Error(`no dedup table among ${names.join(", ")}`);
  return name;
}

async function items() {
  return (await dynamodb.send(new ScanCommand({ TableName: await tableName() }))).Items ?? [];
}

async function alertQueueUrl(): Promise<string> {
  const urls = (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "efs-guard-esm-AlertDedupFunction" })))
    .QueueUrls;
  if (!urls?.[0]) throw new Error("no alert queue");
  return urls[0];
}

async function inboxArn(): Promise<string> {
  const arns = ((await sns.send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn ?? "");
  const arn = arns.find((a) => a.includes("efs-guard-AlertDedupInbox"));
  if (!arn) throw new Error("no alert inbox topic");
  return arn;
}

async function account() {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId);
  const fileSystemId = await seed.fileSystem();
  for (const subnet of subnets) await seed.mountTarget(fileSystemId, subnet, [groupId]);
  return { seed, groupId, fileSystemId };
}

/** Opens NFS to `cidr` on the group and delivers the CloudTrail event: the guard revokes it and alerts. */
async function openNfs(
  host: FunctionHost,
  seed: Seeder,
  groupId: string,
  cidr = "0.0.0.0/0",
  actor?: { arn: string; sourceIPAddress: string },
) {
  const ruleId = await seed.nfsFrom(groupId, cidr);
  await host.putEvents([authorizeIngressEvent({ groupId, ruleId, cidr }, actor ? { actor } : {})]);
  const invocations = await host.drain();
  expect(invocations.map((i) => i.error)).toEqual([undefined]);
  return ruleId;
}

/** The window's hour passes: its end moved into the past, as the table would hold it an hour later. */
async function endWindow(item: Record<string, AttributeValue>) {
  await dynamodb.send(
    new UpdateItemCommand({
      TableName: await tableName(),
      Key: { pk: item.pk! },
      UpdateExpression: "SET windowEnd = :past",
      ExpressionAttributeValues: { ":past": { N: String(Date.now() - 1000) } },
    }),
  );
}

function alertInvocations(host: FunctionHost) {
  return host.invocations.filter((i) => i.entry === ALERTS_ENTRY);
}

describe("alert deduplication (alertDedupWindowMinutes, default 60)", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });

  it("a flood: the same NFS rule opened 20 times gives one alert, then one alert with the count", async () => {
    const { seed, groupId } = await account();
    for (let i = 0; i < 20; i++) await openNfs(host, seed, groupId);
    expect(await seed.ingressRules(groupId)).toEqual([]);

    const alerts = await host.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.attributes).toEqual({
      control: "efs-nfs-ingress-restricted",
      severity: "critical",
      outcome: "remediated",
    });
    expect(alertInvocations(host).every((i) => i.error === undefined)).toBe(true);
    const [item] = await items();
    expect(item?.merged?.N).toBe("19");
    // The window's reminder waits in the queue, delayed (SQS: at most 15 minutes, then again until the end).
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: await alertQueueUrl(),
        AttributeNames: ["ApproximateNumberOfMessagesDelayed"],
      }),
    );
    expect(attrs.Attributes?.ApproximateNumberOfMessagesDelayed).toBe("1");

    // The hour passes (the window's end moved into the past), and the reminder arrives: the count goes out, once.
    const windowStart = Number(item?.windowStart?.N);
    await endWindow(item!);
    const note = { efsGuardWindowClose: 1, key: item!.pk!.S, windowStart, windowEnd: Date.now() - 1000 };
    const reminder = (id: string) => ({
      Records: [
        { messageId: id, receiptHandle: id, body: JSON.stringify(note), attributes: {}, messageAttributes: {} },
      ],
    });
    expect(await host.invoke(ALERTS_ENTRY, reminder("r1"))).toEqual({ batchItemFailures: [] });
    // SQS delivers at least once: the same reminder again reports nothing more.
    expect(await host.invoke(ALERTS_ENTRY, reminder("r2"))).toEqual({ batchItemFailures: [] });
    const counts = await host.alerts();
    expect(counts).toHaveLength(1);
    expect(counts[0]?.attributes).toEqual(alerts[0]?.attributes);
    expect(counts[0]?.message.content.title).toContain("19 identical alert(s) merged since");
    expect(counts[0]?.message.metadata.additionalContext.merged).toBe("19");
    expect(counts[0]?.message.metadata.threadId).toBe(alerts[0]?.message.metadata.threadId);

    // The next identical change after the window is delivered at once, without repeating the reported count.
    await openNfs(host, seed, groupId);
    const next = await host.alerts();
    expect(next).toHaveLength(1);
    expect(next[0]?.message.content.description).not.toContain("merged");
  });

  it("the next identical alert after a window carries its count when no reminder has reported it", async () => {
    const { seed, groupId } = await account();
    for (let i = 0; i < 3; i++) await openNfs(host, seed, groupId);
    expect(await host.alerts()).toHaveLength(1);
    const [item] = await items();
    await endWindow(item!);
    await openNfs(host, seed, groupId);
    const [alert, ...more] = await host.alerts();
    expect(more).toEqual([]);
    expect(alert?.message.content.description).toMatch(/^_2 identical alert\(s\) merged between \d\d:\d\d and/);
  });

  it("an attacker cannot hide a different finding behind a benign duplicate: other facts, other alert", async () => {
    const { seed, groupId } = await account();
    // The noise: the same rule again and again.
    await openNfs(host, seed, groupId);
    await openNfs(host, seed, groupId);
    // Within the window, on the same group: another source, and the same rule from another principal and address.
    await openNfs(host, seed, groupId, "::/0");
    await openNfs(host, seed, groupId, "0.0.0.0/0", {
      arn: "arn:aws:sts::123456789012:assumed-role/Contractor/mallory",
      sourceIPAddress: "198.51.100.66",
    });
    const alerts = await host.alerts();
    expect(alerts).toHaveLength(3);
    const descriptions = alerts.map((a) => a.message.content.description);
    expect(descriptions.filter((d) => d.includes("::/0"))).toHaveLength(1);
    expect(descriptions.filter((d) => d.includes("198.51.100.66"))).toHaveLength(1);
    expect(descriptions.filter((d) => d.includes("Contractor/mallory"))).toHaveLength(1);
    expect((await items()).map((i) => i.merged?.N).sort()).toEqual(["0", "0", "1"]);
  });

  it("the dedup table failing never loses an alert: each one is delivered, and the failure is logged", async () => {
    const { seed, groupId } = await account();
    await dynamodb.send(new DeleteTableCommand({ TableName: await tableName() }));
    await openNfs(host, seed, groupId);
    await openNfs(host, seed, groupId);
    const alerts = await host.alerts();
    expect(alerts.map((a) => a.attributes.outcome)).toEqual(["remediated", "remediated"]);
    expect(alertInvocations(host).map((i) => i.result)).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
  });

  it("the same inbox message delivered twice gives one alert and counts nothing", async () => {
    const message = {
      version: "1.0",
      source: "custom",
      id: "event-1:efs-backup-enabled:fs-0123456789abcdef0",
      content: {
        textType: "client-markdown",
        title: "EFS Guard: efs-backup-enabled needs attention on fs-0123456789abcdef0",
        description: "*fs-0123456789abcdef0 has automatic backups turned off*",
        nextSteps: [],
        keywords: ["efs-backup-enabled"],
      },
      metadata: {
        threadId: "efs-guard-fs-0123456789abcdef0",
        summary: "efs-backup-enabled alerted on fs-0123456789abcdef0",
        eventType: "PutBackupPolicy",
        relatedResources: ["arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0"],
        additionalContext: {},
      },
    };
    const envelope = JSON.stringify({
      efsGuardAlert: 1,
      id: "2b3c0f6e-7d0a-4c38-9a44-1f0e5d6c7b8a",
      key: "k".repeat(64),
      message,
      attributes: { control: "efs-backup-enabled", severity: "medium", outcome: "alerted" },
    });
    const topic = await inboxArn();
    await sns.send(new PublishCommand({ TopicArn: topic, Message: envelope }));
    await host.drain();
    await sns.send(new PublishCommand({ TopicArn: topic, Message: envelope }));
    await host.drain();
    const alerts = await host.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.message).toEqual(message);
    const [item] = await items();
    expect(item?.merged?.N).toBe("0");
  });
});
