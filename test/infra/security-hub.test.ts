import { beforeAll, describe, expect, it } from "vitest";
import { functionPermissions, REPORTING_ENTRIES, type Template, wildcardViolations } from "./iam.js";
import { synthApp } from "./synth.js";

const ENTRIES = REPORTING_ENTRIES;
const REPORTER = "functions/security-hub/handler.ts";
const OPTIONS = { account: "123456789012", region: "eu-west-1" };

const securityHubActions = (t: Template) =>
  [...functionPermissions(t).values()].flatMap((p) => p.actions.filter((a) => a.startsWith("securityhub:")));

describe("Security Hub in the stack", () => {
  let off: Template;
  let on: Template;
  beforeAll(() => {
    // cdk-nag runs in every synth: an unacknowledged finding (dashboard, topic, queues, reporter) throws here.
    off = synthApp({}, OPTIONS).templates.EfsGuard!;
    on = synthApp({ securityHub: true, regions: ["us-east-1"] }, OPTIONS).templates.EfsGuard!;
  });

  it("is off by default: no reporter, no findings topic, no Security Hub permission anywhere", () => {
    expect(securityHubActions(off)).toEqual([]);
    expect(functionPermissions(off).has(REPORTER)).toBe(false);
    const fns = Object.values(off.Resources).filter((r) => r.Type === "AWS::Lambda::Function");
    expect(fns.some((f) => f.Properties.Environment?.Variables?.FINDINGS_TOPIC_ARN)).toBe(false);
    // The one event source there is feeds the alerts function (alert deduplication), not a reporter.
    expect(
      Object.values(off.Resources)
        .filter((r) => r.Type === "AWS::Lambda::EventSourceMapping")
        .map((r) => r.Properties.FunctionName.Ref),
    ).toEqual([functionPermissions(off).get("functions/alerts/handler.ts")!.logicalId]);
  });

  it("when on, only the reporter may call Security Hub, exactly: import into its own default product, read and triage on its hubs", () => {
    const reporter = functionPermissions(on).get(REPORTER)!;
    expect(reporter.actions.filter((a) => a.startsWith("securityhub:"))).toEqual([
      "securityhub:BatchImportFindings",
      "securityhub:BatchUpdateFindings",
      "securityhub:GetFindings",
    ]);
    const statement = (action: string) => reporter.allows.find((s) => s.actions.includes(action))!;
    expect(statement("securityhub:BatchImportFindings").resources).toEqual([
      "arn:<AWS::Partition>:securityhub:eu-west-1:123456789012:product/123456789012/default",
      "arn:<AWS::Partition>:securityhub:us-east-1:123456789012:product/123456789012/default",
    ]);
    expect(statement("securityhub:BatchImportFindings").condition).toEqual({
      StringEquals: { "securityhub:TargetAccount": "123456789012" },
    });
    expect(statement("securityhub:GetFindings").resources).toEqual([
      "arn:<AWS::Partition>:securityhub:eu-west-1:123456789012:hub/default",
      "arn:<AWS::Partition>:securityhub:us-east-1:123456789012:hub/default",
    ]);
    expect(wildcardViolations(reporter.allows)).toEqual([]);
    for (const entry of ENTRIES) {
      expect(
        functionPermissions(on)
          .get(entry)!
          .actions.filter((a) => a.startsWith("securityhub:")),
      ).toEqual([]);
    }
    // The reporter consumes its queue and nothing else: no CDK grant with kms:Decrypt from anywhere.
    expect(reporter.actions).toEqual(
      expect.arrayContaining(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]),
    );
  });

  it("the guard functions and the sweep publish to the findings topic, which denies every other publisher", () => {
    const topicId = Object.entries(on.Resources).find(
      ([, r]) => r.Type === "AWS::SNS::Topic" && r.Properties.DisplayName === "EFS Guard findings for Security Hub",
    )![0];
    const roles: string[] = [];
    for (const entry of ENTRIES) {
      const p = functionPermissions(on).get(entry)!;
      const publish = p.allows.find((s) => s.sid === "PublishFindings")!;
      expect(publish.resources).toEqual([`<${topicId}>`]);
      const fn = on.Resources[p.logicalId]!;
      expect(fn.Properties.Environment.Variables.FINDINGS_TOPIC_ARN).toEqual({ Ref: topicId });
      roles.push(p.roleId);
    }
    const policy = Object.values(on.Resources).find(
      (r) => r.Type === "AWS::SNS::TopicPolicy" && r.Properties.Topics.some((t: any) => t.Ref === topicId),
    )!;
    const deny = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Sid === "OnlyTheGuardPublishes");
    expect(deny).toMatchObject({ Effect: "Deny", Action: "sns:Publish", Principal: { AWS: "*" } });
    expect(deny.Condition.ArnNotEquals["aws:PrincipalArn"].map((a: any) => a["Fn::GetAtt"][0]).sort()).toEqual(
      roles.sort(),
    );
    const topic = on.Resources[topicId]!;
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
  });

  it("the queue is encrypted, redrives to a dead-letter queue with an alarm, and feeds the reporter with batch failures", () => {
    const esm = Object.values(on.Resources).find(
      (r) =>
        r.Type === "AWS::Lambda::EventSourceMapping" &&
        r.Properties.FunctionName.Ref === functionPermissions(on).get(REPORTER)!.logicalId,
    )!;
    expect(esm.Properties).toMatchObject({
      BatchSize: 10,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    const queueId = esm.Properties.EventSourceArn["Fn::GetAtt"][0];
    const queue = on.Resources[queueId]!;
    expect(queue.Properties.KmsMasterKeyId).toBeDefined();
    expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
    const dlq = queue.Properties.RedrivePolicy.deadLetterTargetArn["Fn::GetAtt"][0];
    const alarms = Object.values(on.Resources).filter((r) => r.Type === "AWS::CloudWatch::Alarm");
    expect(alarms.some((a) => JSON.stringify(a.Properties.Dimensions ?? []).includes(dlq))).toBe(true);
    expect(alarms.some((a) => a.Properties.MetricName === "SecurityHubFailures")).toBe(true);
  });

  it("the dashboard shows time to remediate p50/p99 per control, remediations, failures, dead letters and migrations", () => {
    for (const t of [off, on]) {
      const dashboards = Object.values(t.Resources).filter((r) => r.Type === "AWS::CloudWatch::Dashboard");
      expect(dashboards).toHaveLength(1);
      const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
      for (const text of [
        "Time to remediate p50",
        "Time to remediate p99",
        "TimeToRemediate",
        '\\"stat\\":\\"p99\\"',
        "RemediationFailures",
        "Remediations",
        "ApproximateNumberOfMessagesVisible",
        "ExecutionsTimedOut",
        "efs-nfs-ingress-restricted",
      ]) {
        expect(body, text).toContain(text);
      }
      expect(body.includes("SecurityHubImported")).toBe(t === on);
    }
  });
});
