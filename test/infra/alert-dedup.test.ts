import { beforeAll, describe, expect, it } from "vitest";
import { functionPermissions, REPORTING_ENTRIES, type Template, wildcardViolations } from "./iam.js";
import { synthApp } from "./synth.js";

const GUARDS = REPORTING_ENTRIES;
const ALERTS = "functions/alerts/handler.ts";
const OPTIONS = { account: "123456789012", region: "eu-west-1" };

const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const alertsTopicId = (t: Template) =>
  ofType(t, "AWS::SNS::Topic").find(([, r]) => r.Properties.DisplayName === "EFS Guard alerts")![0];

describe("alert deduplication in the stack (alertDedupWindowMinutes)", () => {
  let on: Template;
  let off: Template;
  beforeAll(() => {
    // cdk-nag runs in every synth: an unacknowledged finding (table, inbox, queues) throws here.
    on = synthApp({}, OPTIONS).templates.EfsGuard!;
    off = synthApp({ alertDedupWindowMinutes: 0 }, OPTIONS).templates.EfsGuard!;
  });

  it("the table: on demand, encrypted, expiring by TTL, keyed by the dedup key", () => {
    const [[, table]] = ofType(on, "AWS::DynamoDB::Table") as [[string, any]];
    expect(table.Properties.SSESpecification.KMSMasterKeyId).toBeUndefined();
    expect(table.Properties).toMatchObject({
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      // The AWS managed key for DynamoDB (aws/dynamodb): SSEEnabled without a key of ours.
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
  });

  it("the inbox and its queue: encrypted with the guard's key, TLS-only, redriven to an alarmed dead-letter queue", () => {
    const [[inboxId, inbox]] = ofType(on, "AWS::SNS::Topic").filter(([, r]) =>
      String(r.Properties.DisplayName).startsWith("EFS Guard alert inbox"),
    ) as [[string, any]];
    expect(inbox.Properties.KmsMasterKeyId).toBeDefined();
    const alerts = functionPermissions(on).get(ALERTS)!;
    const [[, esm]] = ofType(on, "AWS::Lambda::EventSourceMapping").filter(
      ([, r]) => r.Properties.FunctionName.Ref === alerts.logicalId,
    ) as [[string, any]];
    expect(esm.Properties).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ["ReportBatchItemFailures"] });
    const queueId = esm.Properties.EventSourceArn["Fn::GetAtt"][0];
    const queue = on.Resources[queueId]!;
    expect(queue.Properties.KmsMasterKeyId).toBeDefined();
    expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
    const sub = ofType(on, "AWS::SNS::Subscription").find(([, r]) => r.Properties.TopicArn.Ref === inboxId)![1];
    expect(sub.Properties).toMatchObject({ Protocol: "sqs", RawMessageDelivery: true });
    expect(sub.Properties.Endpoint["Fn::GetAtt"][0]).toBe(queueId);
    // TLS-only: both the topic and the queue deny every request without aws:SecureTransport.
    const tlsDeny = (policyType: string, ref: string, key: string) => {
      const [, policy] = ofType(on, policyType).find(([, r]) => r.Properties[key].some((x: any) => x.Ref === ref))!;
      return policy.Properties.PolicyDocument.Statement.find(
        (s: any) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false",
      );
    };
    expect(tlsDeny("AWS::SNS::TopicPolicy", inboxId, "Topics")).toBeDefined();
    expect(tlsDeny("AWS::SQS::QueuePolicy", queueId, "Queues")).toBeDefined();
    const dlq = queue.Properties.RedrivePolicy.deadLetterTargetArn["Fn::GetAtt"][0];
    const alarms = ofType(on, "AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
    expect(alarms.some((a) => JSON.stringify(a.Dimensions ?? []).includes(dlq))).toBe(true);
    expect(
      alarms.some(
        (a) => a.MetricName === "Alerts" && a.Dimensions.some((d: any) => d.Value === "delivered-table-failed"),
      ),
    ).toBe(true);
    // Only the guard roles may publish to the inbox.
    const policy = ofType(on, "AWS::SNS::TopicPolicy").find(([, r]) =>
      r.Properties.Topics.some((x: any) => x.Ref === inboxId),
    )![1];
    const deny = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Sid === "OnlyTheGuardPublishes");
    expect(deny.Condition.ArnNotEquals["aws:PrincipalArn"].map((a: any) => a["Fn::GetAtt"][0]).sort()).toEqual(
      GUARDS.map((g) => functionPermissions(on).get(g)!.roleId).sort(),
    );
  });

  it("least privilege: the alerts function updates its table, consumes its queue and alone publishes alerts; the guards only reach the inbox", () => {
    const perms = functionPermissions(on);
    const alerts = perms.get(ALERTS)!;
    const tableId = ofType(on, "AWS::DynamoDB::Table")[0]![0];
    const statement = (action: string) => alerts.allows.filter((s) => s.actions.includes(action));
    expect(alerts.actions.filter((a) => a.startsWith("dynamodb:"))).toEqual(["dynamodb:UpdateItem"]);
    expect(statement("dynamodb:UpdateItem").flatMap((s) => s.resources)).toEqual([`<${tableId}.Arn>`]);
    expect(statement("sns:Publish").flatMap((s) => s.resources)).toEqual([`<${alertsTopicId(on)}>`]);
    expect(wildcardViolations(alerts.allows)).toEqual([]);
    const inboxId = ofType(on, "AWS::SNS::Topic").find(([, r]) =>
      String(r.Properties.DisplayName).startsWith("EFS Guard alert inbox"),
    )![0];
    for (const entry of GUARDS) {
      const p = perms.get(entry)!;
      const publish = p.allows.filter((s) => s.actions.includes("sns:Publish")).flatMap((s) => s.resources);
      expect(publish, entry).toEqual([`<${inboxId}>`]);
      expect(
        p.actions.filter((a) => a.startsWith("dynamodb:")),
        entry,
      ).toEqual([]);
      const env = on.Resources[p.logicalId]!.Properties.Environment.Variables;
      expect(env.ALERTS_INBOX_TOPIC_ARN).toEqual({ Ref: inboxId });
      expect(env.ALERTS_TOPIC_ARN).toBeUndefined();
    }
  });

  it("0 turns it off: no table, no inbox, no alerts function; the guards publish to the alerts topic as before", () => {
    expect(ofType(off, "AWS::DynamoDB::Table")).toEqual([]);
    expect(functionPermissions(off).has(ALERTS)).toBe(false);
    for (const entry of GUARDS) {
      const p = functionPermissions(off).get(entry)!;
      const publish = p.allows.filter((s) => s.actions.includes("sns:Publish")).flatMap((s) => s.resources);
      expect(publish, entry).toEqual([`<${alertsTopicId(off)}>`]);
    }
  });
});
