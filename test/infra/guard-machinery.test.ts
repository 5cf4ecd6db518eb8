import { rmSync } from "node:fs";
import { App, Stack, Validations } from "aws-cdk-lib";
import { Template as CdkTemplate } from "aws-cdk-lib/assertions";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Topic } from "aws-cdk-lib/aws-sns";
import { DefinitionBody, Pass, StateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../infra/app.js";
import { alarmOnStateMachine } from "../../infra/constructs/alarms.js";
import { GuardFunction } from "../../infra/constructs/guard-function.js";
import { NO_RESOURCE_LEVEL_ACTIONS } from "../../infra/iam.js";
import { flatten, functionPermissions, roleStatements, type Template, wildcardViolations } from "./iam.js";
import { type Synthesized, synthApp } from "./synth.js";

/**
 * Generic over every function, queue, topic and rule in the synthesized templates: a function added on another
 * branch is checked here without a new test. One multi-region app (home eu-west-1, forwarding from two regions);
 * cdk-nag runs inside the synth, so reaching the assertions already means zero unacknowledged findings.
 */
const HOME = "eu-west-1";
const OTHERS = ["us-east-1", "ap-southeast-2"];
let synthesized: Synthesized;
let home: Template;
const all = () => Object.entries(synthesized.templates);

beforeAll(() => {
  synthesized = synthApp({ regions: OTHERS, alertEmails: ["secops@example.com"] }, { region: HOME });
  home = synthesized.templates.EfsGuard as Template;
});
afterAll(() => rmSync(synthesized.outdir, { recursive: true, force: true }));

const resourcesOfType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

describe("least privilege, for every guard function", () => {
  it("finds the guard functions by their EfsGuardEntry metadata", () => {
    expect([...functionPermissions(home).keys()]).toContain("functions/nfs-ingress/handler.ts");
  });

  it("allows no wildcard action, no NotAction/NotResource, and `*` resources only for actions IAM cannot scope", () => {
    for (const [entry, p] of functionPermissions(home)) {
      expect({ entry, problems: wildcardViolations(p.allows) }).toEqual({ entry, problems: [] });
    }
  });

  it("gives each function its own role, without AWS managed policies", () => {
    const permissions = [...functionPermissions(home).values()];
    expect(new Set(permissions.map((p) => p.roleId)).size).toBe(permissions.length);
    for (const p of permissions) expect(p.managedPolicyArns).toEqual([]);
  });

  it("fences every function role to the home region and the forwarding regions", () => {
    for (const p of functionPermissions(home).values()) {
      expect(p.denies).toContainEqual(
        expect.objectContaining({
          actions: ["*"],
          resources: ["*"],
          condition: { StringNotEquals: { "aws:RequestedRegion": [HOME, ...OTHERS] } },
        }),
      );
    }
  });

  it("names each resource-scoped ARN down to this account", () => {
    for (const p of functionPermissions(home).values()) {
      for (const s of p.allows) {
        for (const r of s.resources.filter((x) => x.startsWith("arn:"))) {
          expect(r).toMatch(/^arn:<AWS::Partition>:[a-z0-9-]+:[^:]*:(<AWS::AccountId>)?:/);
        }
      }
    }
  });

  it("keeps the allow-list of `*`-only actions to exact action names", () => {
    for (const a of NO_RESOURCE_LEVEL_ACTIONS) expect(a).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
  });

  it("the checker itself flags what a reviewer would refuse", () => {
    const s = (actions: string[], resources: string[]) => ({ effect: "Allow" as const, actions, resources });
    expect(wildcardViolations([s(["ec2:*"], ["*"])])).toEqual([
      '["ec2:*"]: wildcard action ec2:*',
      '["ec2:*"]: ec2:* on Resource "*"',
    ]);
    expect(wildcardViolations([s(["kms:GenerateDataKey*"], ["arn:aws:kms:eu-west-1:1:key/x"])])).toHaveLength(1);
    expect(wildcardViolations([s(["ec2:RevokeSecurityGroupIngress"], ["*"])])).toEqual([
      '["ec2:RevokeSecurityGroupIngress"]: ec2:RevokeSecurityGroupIngress on Resource "*"',
    ]);
    expect(wildcardViolations([{ ...s([], ["*"]), notActions: ["iam:*"] }])).toContain("[]: NotAction in an Allow");
    expect(wildcardViolations([s(["ec2:DescribeVpcs"], ["*"])])).toEqual([]);
  });
});

describe("nothing lost, for every rule, function, queue and topic", () => {
  it("gives every EventBridge target a retry policy and a dead-letter queue", () => {
    let targets = 0;
    for (const [stack, t] of all()) {
      for (const [id, rule] of resourcesOfType(t, "AWS::Events::Rule")) {
        for (const target of rule.Properties.Targets) {
          targets++;
          expect({ stack, id, dlq: target.DeadLetterConfig?.Arn !== undefined }).toEqual({ stack, id, dlq: true });
          expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 8 });
        }
      }
    }
    expect(targets).toBeGreaterThanOrEqual(2 + OTHERS.length * 2);
  });

  it("gives every guard function an on-failure destination, JSON logs and a log group with retention", () => {
    const [, machine] = resourcesOfType(home, "AWS::StepFunctions::StateMachine")[0]!;
    const definition = JSON.stringify(machine.Properties.DefinitionString);
    for (const p of functionPermissions(home).values()) {
      const fn = home.Resources[p.logicalId]!;
      const invokeConfigs = resourcesOfType(home, "AWS::Lambda::EventInvokeConfig").filter(
        ([, r]) => r.Properties.FunctionName.Ref === p.logicalId,
      );
      if (p.entry.startsWith("functions/migration/")) {
        // A migration step is invoked synchronously by the state machine, whose Catch handles its failure: an
        // asynchronous on-failure destination would never be used.
        expect(definition).toContain(`"${p.logicalId}","Arn"`);
        expect(invokeConfigs).toHaveLength(0);
      } else {
        expect(invokeConfigs).toHaveLength(1);
        expect(invokeConfigs[0]![1].Properties.DestinationConfig.OnFailure.Destination).toBeDefined();
      }
      expect(fn.Properties.LoggingConfig.LogFormat).toBe("JSON");
      const logGroup = home.Resources[fn.Properties.LoggingConfig.LogGroup.Ref]!;
      expect(logGroup.Properties.RetentionInDays).toBe(90);
    }
  });

  it("encrypts every queue and topic with a rotating customer managed key and denies non-TLS access", () => {
    for (const [stack, t] of all()) {
      const insecureDenied = (policyType: string, listKey: string) => {
        const covered = new Set<string>();
        for (const [, policy] of resourcesOfType(t, policyType)) {
          const denies = policy.Properties.PolicyDocument.Statement.some(
            (s: any) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false",
          );
          if (denies) for (const ref of list(policy.Properties[listKey])) covered.add(flatten(ref));
        }
        return covered;
      };
      const queues = resourcesOfType(t, "AWS::SQS::Queue");
      const topics = resourcesOfType(t, "AWS::SNS::Topic");
      expect(queues.length + topics.length).toBeGreaterThan(0);
      const tlsQueues = insecureDenied("AWS::SQS::QueuePolicy", "Queues");
      for (const [id, q] of queues) {
        expect({ stack, id, key: q.Properties.KmsMasterKeyId?.["Fn::GetAtt"]?.[1] }).toEqual({ stack, id, key: "Arn" });
        expect({ stack, id, tls: tlsQueues.has(`<${id}>`) }).toEqual({ stack, id, tls: true });
      }
      const tlsTopics = insecureDenied("AWS::SNS::TopicPolicy", "Topics");
      for (const [id, topic] of topics) {
        expect(topic.Properties.KmsMasterKeyId).toBeDefined();
        expect({ stack, id, tls: tlsTopics.has(`<${id}>`) }).toEqual({ stack, id, tls: true });
      }
      // AWS KMS rotates symmetric encryption keys only: the migration record's HMAC key encrypts nothing.
      for (const [, key] of resourcesOfType(t, "AWS::KMS::Key")) {
        if (key.Properties.KeyUsage === "GENERATE_VERIFY_MAC") expect(key.Properties.KeySpec).toBe("HMAC_256");
        else expect(key.Properties.EnableKeyRotation).toBe(true);
      }
    }
  });

  it("alarms to the stack's alerts topic on every dead-letter queue, every rule's lost events, every function", () => {
    for (const [stack, t] of all()) {
      const topics = new Set(resourcesOfType(t, "AWS::SNS::Topic").map(([id]) => `<${id}>`));
      const alarms = resourcesOfType(t, "AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
      for (const a of alarms) {
        expect(a.AlarmActions.map(flatten).every((x: string) => topics.has(x))).toBe(true);
        expect(a).toMatchObject({ Threshold: 0, ComparisonOperator: "GreaterThanThreshold", EvaluationPeriods: 1 });
        expect(a.TreatMissingData).toBe("notBreaching");
      }
      const watched = (metric: string) =>
        new Set(
          alarms.filter((a) => a.MetricName === metric).flatMap((a) => a.Dimensions.map((d: any) => flatten(d.Value))),
        );
      // A working queue (the alerts inbox, the findings queue) has a dead-letter queue of its own: that one, like
      // every dead-letter queue, alarms on its first message. A queue without one must alarm itself.
      for (const [id, q] of resourcesOfType(t, "AWS::SQS::Queue")) {
        const target = q.Properties?.RedrivePolicy?.deadLetterTargetArn;
        const alarmedQueue = target ? flatten(target).replace(/^<(.+)\.Arn>$/, "$1") : id;
        expect({
          stack,
          id,
          alarmed: watched("ApproximateNumberOfMessagesVisible").has(`<${alarmedQueue}.QueueName>`),
        }).toEqual({ stack, id, alarmed: true });
      }
      for (const [id] of resourcesOfType(t, "AWS::Events::Rule")) {
        expect(watched("InvocationsFailedToBeSentToDlq").has(`<${id}>`)).toBe(true);
      }
    }
    const functions = [...functionPermissions(home).values()];
    const homeAlarms = resourcesOfType(home, "AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
    for (const p of functions) {
      const metrics = homeAlarms
        .filter((a) => a.Dimensions.some((d: any) => d.Name === "FunctionName" && d.Value.Ref === p.logicalId))
        .map((a) => a.MetricName)
        .sort();
      expect(metrics).toEqual(["DestinationDeliveryFailures", "Errors", "Throttles"]);
    }
  });

  it("alarms on failed, timed-out and aborted executions of every state machine (alarmOnStateMachine)", () => {
    for (const [stack, t] of all()) {
      const alarms = resourcesOfType(t, "AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
      for (const [id] of resourcesOfType(t, "AWS::StepFunctions::StateMachine")) {
        const metrics = alarms
          .filter((a) => a.Namespace === "AWS/States" && a.Dimensions.some((d: any) => d.Value.Ref === id))
          .map((a) => a.MetricName)
          .sort();
        expect({ stack, id, metrics }).toEqual({
          stack,
          id,
          metrics: ["ExecutionsAborted", "ExecutionsFailed", "ExecutionsTimedOut"],
        });
      }
    }
  });

  it("gives every EventBridge Scheduler target a retry policy and a dead-letter queue", () => {
    for (const [stack, t] of all()) {
      for (const [id, schedule] of resourcesOfType(t, "AWS::Scheduler::Schedule")) {
        const target = schedule.Properties.Target;
        expect({
          stack,
          id,
          dlq: target.DeadLetterConfig?.Arn !== undefined,
          retry: target.RetryPolicy !== undefined,
        }).toEqual({
          stack,
          id,
          dlq: true,
          retry: true,
        });
      }
    }
  });

  it("lets CloudWatch and EventBridge use every key that encrypts a topic or a dead-letter queue", () => {
    for (const [, t] of all()) {
      const encrypting = new Set(
        [...resourcesOfType(t, "AWS::SQS::Queue"), ...resourcesOfType(t, "AWS::SNS::Topic")].map(([, r]) =>
          flatten(r.Properties.KmsMasterKeyId),
        ),
      );
      const keys = resourcesOfType(t, "AWS::KMS::Key").filter(
        ([id]) => encrypting.has(`<${id}>`) || encrypting.has(`<${id}.Arn>`),
      );
      expect(keys.length).toBeGreaterThan(0);
      for (const [, key] of keys) {
        const services = key.Properties.KeyPolicy.Statement.flatMap((s: any) => list(s.Principal?.Service));
        expect(services).toEqual(expect.arrayContaining(["cloudwatch.amazonaws.com", "events.amazonaws.com"]));
      }
    }
  });
});

describe("every region: forwarders to the home bus", () => {
  const homeBus = `arn:<AWS::Partition>:events:${HOME}:<AWS::AccountId>:event-bus/default`;
  const pairs = (t: Template) =>
    resourcesOfType(t, "AWS::Events::Rule")
      .flatMap(([, r]) =>
        r.Properties.EventPattern.detail.eventName.map(
          (n: string) =>
            `${r.Properties.EventPattern.source[0]} ${r.Properties.EventPattern.detail.eventSource[0]}:${n}`,
        ),
      )
      .sort();
  // Two home functions may subscribe to the same event (CreateFileSystem); a forwarder forwards it once.
  const distinct = (pairs: string[]) => [...new Set(pairs)];

  it("synthesizes one forwarder stack per other region, deployed in that region", () => {
    const stacks = synthesized.assembly.stacks.map((s) => [s.stackName, s.environment.region]);
    expect(stacks.sort()).toEqual([["EfsGuard", HOME], ...OTHERS.map((r) => [`EfsGuardForwarder-${r}`, r])].sort());
  });

  it("forwards exactly the events the home functions subscribe to (all of them, nothing else) to the home bus", () => {
    for (const region of OTHERS) {
      const t = synthesized.templates[`EfsGuardForwarder-${region}`]!;
      expect(pairs(t)).toEqual(distinct(pairs(home)));
      for (const [, rule] of resourcesOfType(t, "AWS::Events::Rule")) {
        expect(rule.Properties.EventPattern.detail.errorCode).toEqual([{ exists: false }]);
        expect(rule.Properties.Targets).toHaveLength(1);
        expect(flatten(rule.Properties.Targets[0].Arn)).toBe(homeBus);
        expect(rule.Properties.Targets[0].RoleArn).toBeDefined();
      }
    }
  });

  it("lets the forwarding role put events on the home bus and do nothing else", () => {
    for (const region of OTHERS) {
      const t = synthesized.templates[`EfsGuardForwarder-${region}`]!;
      const roles = resourcesOfType(t, "AWS::IAM::Role");
      expect(roles).toHaveLength(1);
      const [roleId, role] = roles[0]!;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: "sts:AssumeRole",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
        },
      ]);
      const statements = roleStatements(t, roleId);
      expect(statements.map((s) => ({ effect: s.effect, actions: s.actions, resources: s.resources }))).toEqual([
        { effect: "Allow", actions: ["events:PutEvents"], resources: [homeBus] },
      ]);
      for (const [, rule] of resourcesOfType(t, "AWS::Events::Rule")) {
        expect(rule.Properties.Targets[0].RoleArn).toEqual({ "Fn::GetAtt": [roleId, "Arn"] });
      }
    }
  });

  it("needs no resource policy on the home bus: same account, the sender's role is the authorisation", () => {
    expect(resourcesOfType(home, "AWS::Events::EventBusPolicy")).toEqual([]);
  });

  it("refuses forwarding without a known home region, or with the home region listed", () => {
    const saved = process.env.CDK_DEFAULT_REGION;
    delete process.env.CDK_DEFAULT_REGION;
    try {
      expect(() => buildApp(new App({ context: { efsGuard: { regions: ["us-east-1"] } } }))).toThrow(
        /regions \(got \["us-east-1"\]\): forwarding needs a known home region/,
      );
    } finally {
      if (saved !== undefined) process.env.CDK_DEFAULT_REGION = saved;
    }
    expect(() =>
      buildApp(new App({ context: { efsGuard: { regions: ["eu-west-1"] } } }), { region: "eu-west-1" }),
    ).toThrow(/without the home region eu-west-1/);
    expect(() =>
      buildApp(new App({ context: { efsGuard: { regions: ["us-east-1", "us-east-1"] } } }), { region: "eu-west-1" }),
    ).toThrow(/list each other region once/);
  });
});

describe("cdk-nag AwsSolutions on every synth", () => {
  const context = { efsGuard: {}, "aws:cdk:bundling-stacks": [] };
  const nfsRole = (app: App) => (app.node.findAll().find((c) => c instanceof GuardFunction) as GuardFunction).role;

  it("acknowledges only justified findings, each with its reason", () => {
    const app = buildApp(new App({ context }));
    app.synth();
    const acks: { path: string; id: string; reason: string }[] = [];
    for (const c of app.node.findAll()) {
      for (const m of c.node.metadata) {
        if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(m.data as Record<string, string>)) {
          acks.push({ path: c.node.path, id, reason });
        }
      }
    }
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.reason.length).toBeGreaterThan(60);
      if (a.id === "AwsSolutions::AwsSolutions-SQS3") expect(a.path).toMatch(/\/DeadLetterQueue$/);
      // No automatic rotation for HMAC keys in AWS KMS: the one HMAC key is the migration record's.
      else if (a.id === "AwsSolutions::AwsSolutions-KMS5") expect(a.path).toMatch(/\/MigrationRecord\/Key$/);
      else {
        // No AWS managed policy anywhere (no AwsSolutions-IAM4 acknowledgement): only
        // `*`, an account-wide ARN, or one function's qualifiers (`<Fn.Arn>:*`, a state machine's lambda:InvokeFunction).
        // Or the executions of one state machine (and its Map Runs) as CDK's DistributedMap writes them, the
        // machine's name cut from its Ref (infra/nag.ts, EXECUTIONS_OF_THIS_STATE_MACHINE).
        expect(a.id).toMatch(
          /^AwsSolutions::AwsSolutions-IAM5\[Resource::(\*|arn:[^\]]+[/:]\*|<[A-Za-z0-9]+\.Arn>:\*|arn:[^{]+:execution:\{"Fn::Select":\[6,\{"Fn::Split":\[":",\{"Ref":"[A-Za-z0-9]+"\}\]\}\]\}(\/\*)?:\*)\]$/,
        );
      }
    }
  });

  it("accepts grantInvoke on one function (its `:*` qualifiers), as a scheduler role writes it", () => {
    const app = buildApp(new App({ context }));
    const guard = app.node.findAll().find((c) => c instanceof GuardFunction) as GuardFunction;
    const role = new Role(guard, "SchedulerRole", { assumedBy: new ServicePrincipal("scheduler.amazonaws.com") });
    guard.fn.grantInvoke(role);
    expect(() => app.synth()).not.toThrow();
  });

  it("fails the synth on a service-wide wildcard action", () => {
    const app = buildApp(new App({ context }));
    nfsRole(app).addToPolicy(new PolicyStatement({ actions: ["ec2:*"], resources: ["*"] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Action::ec2:\*\]/);
  });

  it("does not excuse `*` resources for an action that supports resource-level permissions", () => {
    const app = buildApp(new App({ context }));
    nfsRole(app).addToPolicy(new PolicyStatement({ actions: ["ec2:AuthorizeSecurityGroupIngress"], resources: ["*"] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
  });
});

describe("alarmOnStateMachine", () => {
  it("alarms on failed, timed-out and aborted executions, to the given topic", () => {
    const stack = new Stack(new App(), "S");
    const topic = new Topic(stack, "Alerts");
    const sm = new StateMachine(stack, "Migration", {
      definitionBody: DefinitionBody.fromChainable(new Pass(stack, "Start")),
    });
    alarmOnStateMachine(stack, sm, topic);
    const t = CdkTemplate.fromStack(stack).toJSON() as Template;
    const alarms = resourcesOfType(t, "AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
    expect(alarms.map((a) => a.MetricName).sort()).toEqual([
      "ExecutionsAborted",
      "ExecutionsFailed",
      "ExecutionsTimedOut",
    ]);
    for (const a of alarms) {
      expect(a.Namespace).toBe("AWS/States");
      expect(a.Dimensions).toEqual([{ Name: "StateMachineArn", Value: { Ref: expect.stringMatching(/^Migration/) } }]);
      expect(a.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Alerts/) }]);
      expect(a.Threshold).toBe(0);
    }
  });
});
