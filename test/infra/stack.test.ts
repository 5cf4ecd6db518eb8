import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { NFS_INGRESS_EVENTS, patternsFor } from "../../events/patterns.js";
import { buildApp } from "../../infra/app.js";

let template: Template;
beforeAll(() => {
  // Bundled for real: the synth must work offline with the local esbuild.
  const app = buildApp(new App({ context: { efsGuard: { alertEmails: ["secops@example.com"] } } }));
  template = Template.fromStack(app.node.findChild("EfsGuard") as any);
});

function functionLogicalId(entry: string): string {
  const fns = template.findResources("AWS::Lambda::Function", { Metadata: { EfsGuardEntry: entry } });
  const ids = Object.keys(fns);
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

/** Every action granted to a function's role, across all its policies. */
function actionsOf(logicalId: string): string[] {
  const fn = template.toJSON().Resources[logicalId];
  const roleId = fn.Properties.Role["Fn::GetAtt"][0];
  const policies = template.findResources("AWS::IAM::Policy");
  const actions = new Set<string>();
  for (const policy of Object.values(policies)) {
    if (!policy.Properties.Roles.some((r: any) => r.Ref === roleId)) continue;
    for (const s of policy.Properties.PolicyDocument.Statement) {
      for (const a of [s.Action].flat()) actions.add(a);
    }
  }
  return [...actions].sort();
}

describe("EfsGuard stack", () => {
  it("runs the NFS guard on nodejs24.x with its validated configuration and the alerts topic", () => {
    const id = functionLogicalId("functions/nfs-ingress/handler.ts");
    const fn = template.toJSON().Resources[id];
    expect(fn.Properties.Runtime).toBe("nodejs24.x");
    expect(JSON.parse(fn.Properties.Environment.Variables.EFS_GUARD_CONFIG).modes["efs-nfs-ingress-restricted"]).toBe(
      "remediate",
    );
    expect(fn.Properties.Environment.Variables.ALERTS_TOPIC_ARN).toEqual({
      Ref: expect.stringMatching(/^AlertsTopic/),
    });
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

  it("gives the NFS guard only what its control needs: it may revoke but never authorize", () => {
    const actions = actionsOf(functionLogicalId("functions/nfs-ingress/handler.ts"));
    expect(actions).toEqual([
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSecurityGroupRules",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeVpcs",
      "ec2:RevokeSecurityGroupIngress",
      "elasticfilesystem:DescribeMountTargetSecurityGroups",
      "kms:Decrypt",
      "kms:Encrypt",
      "kms:GenerateDataKey*",
      "kms:ReEncrypt*",
      "sns:Publish",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:SendMessage",
    ]);
  });

  it("sends failed asynchronous invocations to the dead-letter queue", () => {
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
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

  it("fails the synth with a message naming the bad key", () => {
    expect(() => buildApp(new App({ context: { efsGuard: { dryRun: "yes" } } }))).toThrow(/dryRun \(got "yes"\)/);
  });
});
