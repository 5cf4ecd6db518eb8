import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { NFS_INGRESS_EVENTS, patternsFor } from "../../events/patterns.js";
import { buildApp } from "../../infra/app.js";
import { configDigest } from "../../shared/config/runtime.js";
import { functionPermissions, type Template as IamTemplate, PLUMBING } from "./iam.js";
import { cdkJsonFlags } from "./synth.js";

let template: Template;
beforeAll(() => {
  // Bundled for real: the synth must work offline with the local esbuild.
  const app = buildApp(new App({ context: { ...cdkJsonFlags(), efsGuard: { alertEmails: ["secops@example.com"] } } }));
  template = Template.fromStack(app.node.findChild("EfsGuard") as any);
});

function functionLogicalId(entry: string): string {
  const fns = template.findResources("AWS::Lambda::Function", { Metadata: { EfsGuardEntry: entry } });
  const ids = Object.keys(fns);
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

function nfsPermissions() {
  const permissions = functionPermissions(template.toJSON() as IamTemplate).get("functions/nfs-ingress/handler.ts");
  if (!permissions) throw new Error("no NFS function in the template");
  return permissions;
}

describe("EfsGuard stack", () => {
  it("runs the NFS guard on nodejs24.x with its validated configuration and the alert inbox (dedup on by default)", () => {
    const id = functionLogicalId("functions/nfs-ingress/handler.ts");
    const fn = template.toJSON().Resources[id];
    expect(fn.Properties.Runtime).toBe("nodejs24.x");
    expect(JSON.parse(fn.Properties.Environment.Variables.EFS_GUARD_CONFIG).modes["efs-nfs-ingress-restricted"]).toBe(
      "remediate",
    );
    expect(fn.Properties.Environment.Variables.ALERTS_INBOX_TOPIC_ARN).toEqual({
      Ref: expect.stringMatching(/^AlertDedupInbox/),
    });
    expect(fn.Properties.Environment.Variables.ALERTS_TOPIC_ARN).toBeUndefined();
  });

  it("gives every function the digest of its configuration, and no NODE_OPTIONS (source maps parsed at load)", () => {
    const functions = Object.values(template.findResources("AWS::Lambda::Function")).filter(
      (f: any) => f.Properties.Environment?.Variables?.EFS_GUARD_CONFIG,
    );
    expect(functions.length).toBeGreaterThanOrEqual(10);
    for (const fn of functions as any[]) {
      const vars = fn.Properties.Environment.Variables;
      expect(vars.EFS_GUARD_CONFIG_SHA256).toBe(configDigest(vars.EFS_GUARD_CONFIG));
      expect(vars.NODE_OPTIONS).toBeUndefined();
    }
  });

  it("has one rule per event source with exactly the handler's patterns, a retry policy and a dead-letter queue", () => {
    const id = functionLogicalId("functions/nfs-ingress/handler.ts");
    const rules = Object.values(template.findResources("AWS::Events::Rule")).filter((r: any) =>
      r.Properties.Targets.some((t: any) => t.Arn["Fn::GetAtt"]?.[0] === id),
    );
    expect(rules.map((r: any) => r.Properties.EventPattern)).toEqual(
      patternsFor(NFS_INGRESS_EVENTS).map((p) => ({ ...p, "detail-type": p["detail-type"] })),
    );
    for (const rule of rules as any[]) {
      expect(rule.Properties.Targets[0].DeadLetterConfig.Arn).toBeDefined();
      expect(rule.Properties.Targets[0].RetryPolicy).toEqual({
        MaximumEventAgeInSeconds: 86400,
        MaximumRetryAttempts: 8,
      });
    }
  });

  it("gives the NFS guard only what its control needs: revoke, authorize (to narrow), read mount targets", () => {
    const { actions } = nfsPermissions();
    expect(actions).toEqual([
      "ec2:AuthorizeSecurityGroupIngress",
      // Dependent action of AuthorizeSecurityGroupIngress: only on the rules it creates (ec2:CreateAction).
      "ec2:CreateTags",
      "ec2:DescribeNetworkInterfaceAttribute",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSecurityGroupRules",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeVpcs",
      "ec2:RevokeSecurityGroupIngress",
      "elasticfilesystem:DescribeMountTargetSecurityGroups",
      "elasticfilesystem:DescribeMountTargets",
      // Logs, alerts and dead letters (SSE-KMS producers use the key through SNS and SQS only).
      ...PLUMBING,
    ]);
  });

  it("scopes every NFS permission to its resources: revoke on this account's security groups, keys via SNS/SQS", () => {
    const { allows, denies, managedPolicyArns } = nfsPermissions();
    const resourcesOf = (action: string) =>
      allows.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);
    expect(managedPolicyArns).toEqual([]);
    for (const action of ["ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupIngress"]) {
      expect(resourcesOf(action)).toEqual(["arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:security-group/*"]);
    }
    for (const action of [
      "elasticfilesystem:DescribeMountTargetSecurityGroups",
      "elasticfilesystem:DescribeMountTargets",
    ]) {
      expect(resourcesOf(action)).toEqual(["arn:<AWS::Partition>:elasticfilesystem:*:<AWS::AccountId>:file-system/*"]);
    }
    expect(resourcesOf("ec2:CreateTags")).toEqual([
      "arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:security-group-rule/*",
    ]);
    expect(allows.filter((s) => s.actions.includes("ec2:CreateTags")).map((s) => s.condition)).toEqual([
      { StringEquals: { "ec2:CreateAction": "AuthorizeSecurityGroupIngress" } },
    ]);
    expect(resourcesOf("ec2:DescribeSecurityGroups")).toEqual(["*"]);
    // Its alerts go to the internal inbox (the alerts function publishes to the alerts topic), never straight out.
    expect(resourcesOf("sns:Publish")).toEqual([expect.stringMatching(/^<AlertDedupInbox[0-9A-F]+>$/)]);
    expect(resourcesOf("sqs:SendMessage")).toEqual([
      expect.stringMatching(/^<NfsIngressDeadLetterQueue[0-9A-F]+\.Arn>$/),
    ]);
    expect(resourcesOf("logs:PutLogEvents")).toEqual([expect.stringMatching(/^<NfsIngressLogs[0-9A-F]+\.Arn>$/)]);
    const kms = allows.find((s) => s.actions.includes("kms:Decrypt"));
    expect(kms?.resources).toEqual([expect.stringMatching(/^<AlertsKey[0-9A-F]+\.Arn>$/)]);
    expect(kms?.condition).toEqual({
      StringEquals: {
        "kms:ViaService": [
          { "Fn::Join": ["", ["sns.", { Ref: "AWS::Region" }, ".amazonaws.com"]] },
          { "Fn::Join": ["", ["sqs.", { Ref: "AWS::Region" }, ".amazonaws.com"]] },
        ],
      },
    });
    // Single-region deployment: the fence denies everything outside the home region.
    expect(denies).toEqual([
      expect.objectContaining({
        actions: ["*"],
        resources: ["*"],
        condition: { StringNotEquals: { "aws:RequestedRegion": [{ Ref: "AWS::Region" }] } },
      }),
    ]);
  });

  it("sends failed asynchronous invocations to the function's own dead-letter queue", () => {
    const id = functionLogicalId("functions/nfs-ingress/handler.ts");
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: id },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { "Fn::GetAtt": [Match.stringLikeRegexp("^NfsIngressDeadLetterQueue"), "Arn"] } },
      },
    });
  });

  it("encrypts the alerts topic and queues with a rotating key and denies non-TLS access", () => {
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
    template.allResourcesProperties("AWS::SQS::Queue", { KmsMasterKeyId: Match.anyValue() });
    const denyInsecure = Match.objectLike({
      Effect: "Deny",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: { Statement: Match.arrayWith([denyInsecure]) },
    });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      PolicyDocument: { Statement: Match.arrayWith([denyInsecure]) },
    });
    template.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "secops@example.com" });
  });

  it.each([
    [{ dryRun: "yes" }, /dryRun \(got "yes"\): Invalid input: expected boolean/],
    [{ modes: { "efs-tls-enforced": "fix" } }, /modes\.efs-tls-enforced \(got "fix"\): .*"off"\|"alert"\|"remediate"/],
    [{ allowedNfsSources: ["10.0.0.0/33"] }, /allowedNfsSources\.0 \(got "10\.0\.0\.0\/33"\): a CIDR block/],
    [{ kmsKeyArn: "alias/efs" }, /kmsKeyArn \(got "alias\/efs"\): a KMS key ARN/],
    [{ rotationPeriodInDays: 30 }, /rotationPeriodInDays \(got 30\): .*>=90/],
    [{ approvalTimeout: "2w" }, /approvalTimeout \(got "2w"\): a duration such as 7d/],
    [{ alertEmails: ["secops"] }, /alertEmails\.0 \(got "secops"\): Invalid email/],
    [{ regions: ["Europe"] }, /regions\.0 \(got "Europe"\): an AWS region name/],
    [{ sweepSchedule: "daily" }, /sweepSchedule \(got "daily"\): rate\(\.\.\.\) or cron\(\.\.\.\)/],
    [{ chatbot: { slackWorkspaceId: "T1" } }, /chatbot\.slackChannelId: Invalid input/],
    [{ dryrun: true }, /\(root\): unknown key\(s\) "dryrun"/],
  ])("fails the synth with a message naming the bad key, the value and what is allowed: %j", (efsGuard, message) => {
    expect(() => buildApp(new App({ context: { efsGuard } }))).toThrow(message);
  });

  it("accepts the configuration as a JSON string, as `cdk synth -c efsGuard='{...}'` passes it", () => {
    expect(() =>
      buildApp(new App({ context: { efsGuard: '{"dryRun":"yes"}', "aws:cdk:bundling-stacks": [] } })),
    ).toThrow(/dryRun \(got "yes"\)/);
    expect(() => buildApp(new App({ context: { efsGuard: "{dryRun" } }))).toThrow(/not valid JSON/);
    const app = buildApp(new App({ context: { efsGuard: '{"dryRun":true}', "aws:cdk:bundling-stacks": [] } }));
    const fn = Object.values(
      Template.fromStack(app.node.findChild("EfsGuard") as any).findResources("AWS::Lambda::Function"),
    )[0] as any;
    expect(JSON.parse(fn.Properties.Environment.Variables.EFS_GUARD_CONFIG).dryRun).toBe(true);
  });
});

describe("Slack through AWS Chatbot", () => {
  it("subscribes the configured channel to the alerts topic with a read-only guardrail", () => {
    const app = buildApp(
      new App({
        context: {
          efsGuard: { chatbot: { slackWorkspaceId: "T012ABCDEF", slackChannelId: "C012ABCDEF" } },
          "aws:cdk:bundling-stacks": [],
        },
      }),
    );
    const chat = Template.fromStack(app.node.findChild("EfsGuard") as any);
    chat.hasResourceProperties("AWS::Chatbot::SlackChannelConfiguration", {
      SlackWorkspaceId: "T012ABCDEF",
      SlackChannelId: "C012ABCDEF",
      SnsTopicArns: [{ Ref: Match.stringLikeRegexp("^AlertsTopic") }],
      GuardrailPolicies: [{ "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":iam::aws:policy/ReadOnlyAccess"]] }],
    });
  });

  it("creates no channel configuration without the chatbot key", () => {
    template.resourceCountIs("AWS::Chatbot::SlackChannelConfiguration", 0);
  });
});
