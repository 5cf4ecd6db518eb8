import { ENTRY_METADATA } from "../../infra/constructs/guard-function.js";
import { NO_RESOURCE_LEVEL_ACTIONS } from "../../infra/iam.js";

/**
 * Reads the permissions of each guard function out of a synthesized template, so that tests assert what AWS will
 * evaluate (the template), not what the construct code meant to grant.
 */

export type Template = { Resources: Record<string, { Type: string; Properties?: any; Metadata?: any }> };

export interface Statement {
  sid?: string;
  effect: "Allow" | "Deny";
  actions: string[];
  /** Resources flattened to strings: `{"Ref": "X"}` -> `<X>`, `Fn::Join` joined, `Fn::GetAtt` -> `<X.Attr>`. */
  resources: string[];
  condition?: Record<string, Record<string, unknown>>;
  /** NotAction / NotResource appear here so that a test can refuse them in an Allow. */
  notActions?: string[];
  notResources?: string[];
}

export interface FunctionPermissions {
  logicalId: string;
  /** The handler's path, from the function's EfsGuardEntry metadata. */
  entry: string;
  roleId: string;
  managedPolicyArns: unknown[];
  allows: Statement[];
  denies: Statement[];
  /** Every action allowed, sorted and unique. */
  actions: string[];
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The same flattening cdk-nag applies, so strings here match the ids in its findings. */
export function flatten(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    const v = value as Record<string, any>;
    if ("Ref" in v) return `<${v.Ref}>`;
    if ("Fn::GetAtt" in v) return `<${v["Fn::GetAtt"][0]}.${v["Fn::GetAtt"][1]}>`;
    if ("Fn::Join" in v) return (v["Fn::Join"][1] as unknown[]).map(flatten).join(v["Fn::Join"][0]);
  }
  return JSON.stringify(value);
}

function toStatement(raw: any): Statement {
  return {
    sid: raw.Sid,
    effect: raw.Effect,
    actions: list<string>(raw.Action),
    resources: list(raw.Resource).map(flatten),
    ...(raw.Condition ? { condition: raw.Condition } : {}),
    ...(raw.NotAction ? { notActions: list<string>(raw.NotAction) } : {}),
    ...(raw.NotResource ? { notResources: list(raw.NotResource).map(flatten) } : {}),
  };
}

/** Every statement attached to a role: its inline policies and every AWS::IAM::Policy that names it. */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const out: Statement[] = [];
  const role = template.Resources[roleId];
  for (const policy of role?.Properties?.Policies ?? [])
    out.push(...list(policy.PolicyDocument.Statement).map(toStatement));
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== "AWS::IAM::Policy") continue;
    if (!list(resource.Properties.Roles).some((r: any) => r.Ref === roleId)) continue;
    out.push(...list(resource.Properties.PolicyDocument.Statement).map(toStatement));
  }
  return out;
}

/** The permissions of every function that carries EfsGuardEntry metadata, keyed by that entry. */
export function functionPermissions(template: Template): Map<string, FunctionPermissions> {
  const result = new Map<string, FunctionPermissions>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== "AWS::Lambda::Function" || !resource.Metadata?.[ENTRY_METADATA]) continue;
    const roleId = resource.Properties.Role["Fn::GetAtt"][0] as string;
    const statements = roleStatements(template, roleId);
    const allows = statements.filter((s) => s.effect === "Allow");
    result.set(resource.Metadata[ENTRY_METADATA], {
      logicalId,
      entry: resource.Metadata[ENTRY_METADATA],
      roleId,
      managedPolicyArns: template.Resources[roleId]?.Properties?.ManagedPolicyArns ?? [],
      allows,
      denies: statements.filter((s) => s.effect === "Deny"),
      actions: [...new Set(allows.flatMap((s) => s.actions))].sort(),
    });
  }
  return result;
}

/**
 * What a reviewer refuses in an Allow statement, as readable lines (empty when clean):
 * - any wildcard in an action (`*`, `ec2:*`, `ec2:Describe*`): every action is named;
 * - NotAction / NotResource in an Allow: they grant everything else;
 * - `Resource: "*"` for an action outside NO_RESOURCE_LEVEL_ACTIONS.
 */
export function wildcardViolations(statements: Statement[]): string[] {
  const problems: string[] = [];
  for (const s of statements.filter((x) => x.effect === "Allow")) {
    const name = s.sid ?? JSON.stringify(s.actions);
    for (const action of s.actions) if (action.includes("*")) problems.push(`${name}: wildcard action ${action}`);
    if (s.notActions) problems.push(`${name}: NotAction in an Allow`);
    if (s.notResources) problems.push(`${name}: NotResource in an Allow`);
    if (s.resources.includes("*")) {
      for (const action of s.actions) {
        if (!NO_RESOURCE_LEVEL_ACTIONS.has(action)) problems.push(`${name}: ${action} on Resource "*"`);
      }
    }
  }
  return problems;
}

/** The functions that report decisions (alerts, and findings for Security Hub): the guards and the sweep. */
export const REPORTING_ENTRIES = [
  "functions/nfs-ingress/handler.ts",
  "functions/file-system/handler.ts",
  "functions/kms-key/handler.ts",
  "functions/tag-audit/handler.ts",
  "functions/efs-access/handler.ts",
  "functions/ecs-clients/handler.ts",
  "functions/mount-targets/handler.ts",
  "functions/sweep/handler.ts",
];

/**
 * Actions common to every guard function: write its own logs, publish alerts (KMS-encrypted topic) and dead-letter
 * (encrypted queue), using the key through SNS and SQS only.
 */
export const PLUMBING = [
  "kms:Decrypt",
  "kms:GenerateDataKey",
  "logs:CreateLogStream",
  "logs:PutLogEvents",
  "sns:Publish",
  "sqs:SendMessage",
];
