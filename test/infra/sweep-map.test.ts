import { describe, expect, it } from "vitest";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { parseConfig } from "../../shared/config/schema.js";

/**
 * The sweep's Distributed Map (issue 17) in the synthesized template. The emulator does not enforce IAM for a state
 * machine's role (only for the hosted functions' calls), so its policy is asserted here, statement by statement.
 */

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Sid?: string };

function policiesOf(template: CfnTemplate, roleId: string): Statement[] {
  return Object.values(template.Resources)
    .filter(
      (r) => r.Type === "AWS::IAM::Policy" && (r.Properties.Roles as { Ref: string }[]).some((x) => x.Ref === roleId),
    )
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
}

function split(template: CfnTemplate) {
  const found = Object.entries(template.Resources).find(
    ([id, r]) => r.Type === "AWS::StepFunctions::StateMachine" && id.startsWith("SweepSplit"),
  );
  if (!found) throw new Error("no split state machine");
  return found;
}

function definition(template: CfnTemplate): any {
  const [, sm] = split(template);
  const parts = sm.Properties.DefinitionString["Fn::Join"][1] as unknown[];
  return JSON.parse(parts.map((p) => (typeof p === "string" ? p : "TOKEN")).join(""));
}

const sweepFunction = (template: CfnTemplate) =>
  Object.entries(template.Resources).find(([, r]) => r.Metadata?.EfsGuardEntry === "functions/sweep/handler.ts")!;

describe("the sweep's Distributed Map (infra)", () => {
  const template = synthTemplate({ sweepMap: { fileSystemsPerItem: 500, maxConcurrency: 7 } });
  const [fnId, fn] = sweepFunction(template);

  it("is efs-guard-sweep: a DISTRIBUTED Map over $.items with the configured concurrency, then one summary step", () => {
    const [, sm] = split(template);
    expect(sm.Properties.StateMachineName).toBe("efs-guard-sweep");
    expect(sm.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(sm.Properties.LoggingConfiguration.Level).toBe("ALL");
    const def = definition(template);
    expect(def.StartAt).toBe("Items");
    const map = def.States.Items;
    expect(map).toMatchObject({
      Type: "Map",
      ItemsPath: "$.items",
      ItemSelector: { "sweepItem.$": "$$.Map.Item.Value", "run.$": "$.run" },
      MaxConcurrency: 7,
      ToleratedFailurePercentage: 100,
      ResultPath: "$.results",
      Next: "Summarize",
    });
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: "DISTRIBUTED", ExecutionType: "STANDARD" });
    // A failed child becomes a failure record (its input and error), so the others go on.
    const child = map.ItemProcessor.States.SweepItem;
    expect(child.Resource).toBe("TOKEN");
    expect(child.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "ItemFailed" }]);
    expect(map.ItemProcessor.States.ItemFailed).toMatchObject({ Type: "Pass", End: true });
    // No ItemReader: the items are in the input (a few hundred bytes each).
    expect(map.ItemReader).toBeUndefined();
    expect(def.States.Summarize.Parameters).toEqual({
      sweepSummary: { "items.$": "$.items", "done.$": "$.done", "results.$": "$.results" },
    });
    // Both tasks invoke the sweep function itself.
    const refs = JSON.stringify(sm.Properties.DefinitionString);
    expect(refs.match(/"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]/g)?.every((m) => m.includes(fnId))).toBe(true);
  });

  it("gives the state machine's role exactly: invoke the sweep function, its own child executions, logs and X-Ray", () => {
    const [, sm] = split(template);
    const roleId = sm.Properties.RoleArn["Fn::GetAtt"][0] as string;
    const statements = policiesOf(template, roleId).map((s) => ({
      actions: [s.Action].flat().sort(),
      resource: JSON.stringify(s.Resource),
    }));
    expect(statements.map((s) => s.actions)).toEqual([
      ["lambda:InvokeFunction"],
      [
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
      ],
      ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
      ["states:StartExecution"],
      ["states:DescribeExecution", "states:StopExecution"],
      ["states:RedriveExecution"],
    ]);
    const [invoke, logs, xray, start, describeStop, redrive] = statements;
    expect(invoke?.resource).toBe(
      JSON.stringify([{ "Fn::GetAtt": [fnId, "Arn"] }, { "Fn::Join": ["", [{ "Fn::GetAtt": [fnId, "Arn"] }, ":*"]] }]),
    );
    // Log delivery and X-Ray have no resource-level permissions.
    expect([logs?.resource, xray?.resource]).toEqual(['"*"', '"*"']);
    const [smId] = split(template);
    expect(start?.resource).toBe(JSON.stringify({ Ref: smId }));
    for (const s of [describeStop, redrive]) {
      expect(s?.resource).toContain(`:execution:`);
      expect(s?.resource).toContain(`{"Ref":"${smId}"}`);
    }
  });

  it("lets the sweep function start only efs-guard-sweep, whose ARN it gets by name (no reference cycle)", () => {
    const roleId = fn.Properties.Role["Fn::GetAtt"][0] as string;
    // Its other states: grants are the migration's (start a migration, see whether one already ran).
    const statements = policiesOf(template, roleId).filter((s) =>
      JSON.stringify(s.Resource).includes("efs-guard-sweep"),
    );
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Sid: "StartSplitSweep", Action: "states:StartExecution" });
    const arn = JSON.stringify(statements[0]?.Resource);
    expect(arn).toContain(":stateMachine:efs-guard-sweep");
    expect(JSON.stringify(fn.Properties.Environment.Variables.EFS_GUARD_SWEEP_MAP)).toBe(arn);
  });

  it("validates the split's settings at synth time", () => {
    expect(parseConfig({}).sweepMap).toEqual({ fileSystemsPerItem: 2000, maxConcurrency: 4 });
    expect(() => parseConfig({ sweepMap: { fileSystemsPerItem: 50 } })).toThrow(/fileSystemsPerItem/);
    expect(() => parseConfig({ sweepMap: { maxConcurrency: 0 } })).toThrow(/maxConcurrency/);
  });
});
