/**
 * EFS file system policies, read the way IAM evaluates them (pure; no AWS imports). Used by efs-tls-enforced (is
 * every non-TLS request denied? merge a deny into the policy) and efs-policy-not-public (does an Allow reach
 * everyone without a narrowing condition?).
 *
 * IAM semantics relied on: action names and condition keys are case-insensitive, condition operators are not;
 * all condition operators of a statement must match (AND), the values of one key are alternatives (OR); an
 * explicit Deny wins over any Allow.
 */

/** EFS's limit on a file system policy (PutFileSystemPolicy rejects longer ones). */
export const MAX_POLICY_LENGTH = 20_000;

/** The NFS client actions a file system policy governs. */
export const CLIENT_ACTIONS = [
  "elasticfilesystem:ClientMount",
  "elasticfilesystem:ClientWrite",
  "elasticfilesystem:ClientRootAccess",
] as const;

export const TLS_STATEMENT_SID = "EfsGuardDenyInsecureTransport";

export type Statement = Record<string, unknown>;
export interface PolicyDocument {
  Version?: string;
  Statement?: Statement | Statement[];
  [key: string]: unknown;
}

export type ParsedPolicy =
  | { status: "none" }
  | { status: "invalid"; detail: string }
  | { status: "ok"; document: PolicyDocument; statements: Statement[] };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** undefined = no policy (the default policy applies). */
export function parsePolicy(text: string | undefined): ParsedPolicy {
  if (text === undefined) return { status: "none" };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { status: "invalid", detail: `not valid JSON (${(error as Error).message})` };
  }
  if (!isObject(document)) return { status: "invalid", detail: "the policy is not a JSON object" };
  const raw = document.Statement;
  if (raw !== undefined && !isObject(raw) && !Array.isArray(raw)) {
    return { status: "invalid", detail: "Statement is neither an object nor a list" };
  }
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (!list.every(isObject)) return { status: "invalid", detail: "a statement is not a JSON object" };
  return { status: "ok", document: document as PolicyDocument, statements: list as Statement[] };
}

export function strings(value: unknown): string[] | undefined {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
  return undefined;
}

/** IAM wildcard match (`*` any run, `?` one character), case-insensitive when asked (actions, keys). */
export function wildcardMatch(pattern: string, value: string, ignoreCase = true): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, ignoreCase ? "i" : "").test(value);
}

/** Principal "*" or {"AWS": "*"} (or a list containing "*"): every principal, including anonymous clients. */
export function isEveryone(principal: unknown): boolean {
  if (principal === "*") return true;
  if (!isObject(principal)) return false;
  return strings(principal.AWS)?.includes("*") ?? false;
}

/** Which of `actions` (default: the client actions) a statement's Action / NotAction covers, wildcards included. */
export function coveredClientActions(statement: Statement, actions: readonly string[] = CLIENT_ACTIONS): string[] {
  if ("Action" in statement) {
    const patterns = strings(statement.Action) ?? [];
    return actions.filter((a) => patterns.some((p) => wildcardMatch(p, a)));
  }
  if ("NotAction" in statement) {
    const excluded = strings(statement.NotAction) ?? [];
    return actions.filter((a) => !excluded.some((p) => wildcardMatch(p, a)));
  }
  return [];
}

/** Does the statement's Resource / NotResource include this file system? No Resource: the policy's own resource. */
export function appliesToResource(statement: Statement, fileSystemArn: string | undefined): boolean {
  if ("Resource" in statement) {
    const patterns = strings(statement.Resource) ?? [];
    if (patterns.includes("*")) return true;
    return fileSystemArn !== undefined && patterns.some((p) => wildcardMatch(p, fileSystemArn, false));
  }
  if ("NotResource" in statement) {
    const excluded = strings(statement.NotResource) ?? [];
    if (excluded.includes("*")) return false;
    return fileSystemArn !== undefined && !excluded.some((p) => wildcardMatch(p, fileSystemArn, false));
  }
  return true;
}

function isFalse(value: unknown): boolean {
  return value === false || (typeof value === "string" && value.toLowerCase() === "false");
}

/**
 * The condition is exactly "aws:SecureTransport is false" (Bool or BoolIfExists; the string "false" or JSON false),
 * with nothing else that would narrow the deny (any other operator or key is ANDed and could let a non-TLS
 * request through).
 */
export function isOnlyInsecureTransport(condition: unknown): boolean {
  if (!isObject(condition)) return false;
  const operators = Object.keys(condition);
  if (operators.length !== 1) return false;
  const operator = operators[0] as string;
  if (operator !== "Bool" && operator !== "BoolIfExists") return false;
  const keys = condition[operator];
  if (!isObject(keys)) return false;
  const entries = Object.entries(keys);
  if (entries.length !== 1) return false;
  const [key, value] = entries[0] as [string, unknown];
  if (key.toLowerCase() !== "aws:securetransport") return false;
  const values = Array.isArray(value) ? value : [value];
  return values.some(isFalse);
}

/** A statement that denies non-TLS requests by everyone, and which client actions it covers. */
export function tlsDenyCoverage(statement: Statement, fileSystemArn: string | undefined): string[] {
  if (statement.Effect !== "Deny") return [];
  if ("NotPrincipal" in statement || !isEveryone(statement.Principal)) return [];
  if (!appliesToResource(statement, fileSystemArn)) return [];
  if (!isOnlyInsecureTransport(statement.Condition)) return [];
  return coveredClientActions(statement);
}

export interface TlsAssessment {
  enforced: boolean;
  /** Client actions that a non-TLS request may still perform. */
  uncovered: string[];
  /** Sids (or indexes) of the statements that deny non-TLS access. */
  denyingStatements: string[];
}

export function assessTls(statements: Statement[], fileSystemArn: string | undefined): TlsAssessment {
  const covered = new Set<string>();
  const denying: string[] = [];
  statements.forEach((statement, index) => {
    const actions = tlsDenyCoverage(statement, fileSystemArn);
    if (actions.length === 0) return;
    for (const a of actions) covered.add(a);
    denying.push(typeof statement.Sid === "string" && statement.Sid !== "" ? statement.Sid : `#${index}`);
  });
  const uncovered = CLIENT_ACTIONS.filter((a) => !covered.has(a));
  return { enforced: uncovered.length === 0, uncovered, denyingStatements: denying };
}

function resourceOf(fileSystemArn: string | undefined): string {
  return fileSystemArn ?? "*";
}

export function tlsDenyStatement(fileSystemArn: string | undefined, sid = TLS_STATEMENT_SID): Statement {
  return {
    Sid: sid,
    Effect: "Deny",
    Principal: { AWS: "*" },
    Action: "*",
    Resource: resourceOf(fileSystemArn),
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * What the EFS console writes for "Prevent anonymous access" + "Enforce in-transit encryption for all clients":
 * clients that mount through a mount target keep read, write and root access whether or not they use IAM, and
 * every non-TLS request is denied. A policy with the Deny alone would take away the default access of every
 * client that does not use IAM authorization.
 */
export function consoleDefaultPolicy(fileSystemArn: string | undefined): PolicyDocument {
  return {
    Version: "2012-10-17",
    Id: "efs-guard-default",
    Statement: [
      {
        Sid: "EfsGuardAllowClientsViaMountTarget",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: [...CLIENT_ACTIONS],
        Resource: resourceOf(fileSystemArn),
        Condition: { Bool: { "elasticfilesystem:AccessedViaMountTarget": "true" } },
      },
      tlsDenyStatement(fileSystemArn),
    ],
  };
}

function uniqueSid(statements: Statement[]): string {
  const taken = new Set(statements.map((s) => s.Sid).filter((s): s is string => typeof s === "string"));
  let sid = TLS_STATEMENT_SID;
  for (let n = 2; taken.has(sid); n += 1) sid = `${TLS_STATEMENT_SID}${n}`;
  return sid;
}

/** Serialized readable when it fits, compact when only that fits. */
function serialize(document: PolicyDocument): string {
  const pretty = JSON.stringify(document, null, 2);
  return pretty.length <= MAX_POLICY_LENGTH ? pretty : JSON.stringify(document);
}

export type TlsMerge =
  | { status: "compliant"; assessment: TlsAssessment }
  | { status: "invalid"; detail: string }
  | { status: "too-large"; detail: string; length: number }
  | { status: "merged"; policy: string; assessment: TlsAssessment; wroteDefault: boolean };

/**
 * The policy that enforces TLS, derived from the current one: unchanged statements plus one Deny appended (the
 * existing statements keep their meaning: a Deny only takes away non-TLS access); with no policy, the console's
 * pair. Never a blind overwrite: an unreadable policy or a result over EFS's size limit is refused.
 */
export function mergeTlsDeny(current: string | undefined, fileSystemArn: string | undefined): TlsMerge {
  const parsed = parsePolicy(current);
  if (parsed.status === "invalid") return { status: "invalid", detail: parsed.detail };
  if (parsed.status === "none") {
    const policy = serialize(consoleDefaultPolicy(fileSystemArn));
    return { status: "merged", policy, assessment: assessTls([], fileSystemArn), wroteDefault: true };
  }
  const assessment = assessTls(parsed.statements, fileSystemArn);
  if (assessment.enforced) return { status: "compliant", assessment };
  const statements = [...parsed.statements, tlsDenyStatement(fileSystemArn, uniqueSid(parsed.statements))];
  const document: PolicyDocument = { ...parsed.document, Statement: statements };
  const policy = serialize(document);
  if (policy.length > MAX_POLICY_LENGTH) {
    return {
      status: "too-large",
      length: policy.length,
      detail: `the policy with the TLS statement would be ${policy.length} characters, over EFS's limit of ${MAX_POLICY_LENGTH}`,
    };
  }
  return { status: "merged", policy, assessment, wroteDefault: false };
}

/** Condition keys that limit who or where a request comes from; any one of them makes an Allow non-public. */
export const ORIGIN_KEYS: readonly string[] = [
  "aws:SourceVpc",
  "aws:SourceVpce",
  "aws:SourceIp",
  "aws:VpcSourceIp",
  "aws:PrincipalOrgID",
  "aws:PrincipalOrgPaths",
  "aws:PrincipalAccount",
  "aws:PrincipalArn",
  "aws:SourceAccount",
  "aws:SourceArn",
  "aws:SourceOrgID",
  "aws:SourceOrgPaths",
];
const NARROWING_KEYS = new Set(ORIGIN_KEYS.map((k) => k.toLowerCase()));

/**
 * Operators that constrain the key to the listed values. The ...IfExists forms do not narrow: a request without
 * the key (for example an NFS client that does not use IAM has no principal keys) passes them.
 */
export const NARROWING_OPERATORS: ReadonlySet<string> = new Set([
  "StringEquals",
  "StringEqualsIgnoreCase",
  "StringLike",
  "ArnEquals",
  "ArnLike",
  "IpAddress",
  "ForAnyValue:StringEquals",
  "ForAnyValue:StringLike",
]);

export function isWildcardValue(operator: string, value: string): boolean {
  if (/^\*+$/.test(value)) return true;
  if (operator === "IpAddress") return value === "0.0.0.0/0" || value === "::/0";
  return false;
}

/** The narrowing condition of a statement, in words, or undefined when nothing limits it. */
export function narrowingCondition(condition: unknown): string | undefined {
  if (!isObject(condition)) return undefined;
  for (const [operator, keys] of Object.entries(condition)) {
    if (!isObject(keys)) continue;
    for (const [key, value] of Object.entries(keys)) {
      const lower = key.toLowerCase();
      const values = (Array.isArray(value) ? value : [value]).map((v) => String(v));
      if (lower === "elasticfilesystem:accessedviamounttarget") {
        if ((operator === "Bool" || operator === "BoolIfExists") && values.every((v) => v.toLowerCase() === "true")) {
          return `${key} is true`;
        }
        continue;
      }
      if (!NARROWING_KEYS.has(lower) || !NARROWING_OPERATORS.has(operator)) continue;
      if (values.length > 0 && !values.some((v) => isWildcardValue(operator, v))) {
        return `${operator} ${key} ${values.join(", ")}`;
      }
    }
  }
  return undefined;
}

/**
 * Condition keys that tie a request to an IAM identity (an NFS client that does not use IAM has none of them, so a
 * statement conditioned on one of them can only match a client that signs its mount with IAM credentials).
 */
export const PRINCIPAL_KEYS: readonly string[] = [
  "aws:PrincipalArn",
  "aws:PrincipalOrgID",
  "aws:PrincipalOrgPaths",
  "aws:PrincipalAccount",
];

/** Operators that exclude the listed values: a Deny with one of them applies to everyone not named. */
const EXCLUDING_OPERATORS = new Set([
  "StringNotEquals",
  "StringNotEqualsIgnoreCase",
  "StringNotLike",
  "ArnNotEquals",
  "ArnNotLike",
  "ForAllValues:StringNotEquals",
  "ForAllValues:StringNotLike",
]);

export function conditionEntries(condition: unknown): { operator: string; key: string; values: string[] }[] {
  if (!isObject(condition)) return [];
  const out: { operator: string; key: string; values: string[] }[] = [];
  for (const [operator, keys] of Object.entries(condition)) {
    if (!isObject(keys)) continue;
    for (const [key, value] of Object.entries(keys)) {
      out.push({ operator, key, values: (Array.isArray(value) ? value : [value]).map((v) => String(v)) });
    }
  }
  return out;
}

/**
 * Whether a principal-key value, wildcards included, still names one account or organization: `arn:aws:iam::*:role/x`
 * (any account's role x), `o-*` or `1234*` match principals of anyone's choosing, so they do not narrow; an ARN
 * pattern whose account field is 12 fixed digits (`arn:aws:iam::111122223333:role/app-*`) and an org path whose
 * organization is fixed (`o-a1b2c3/r-ab12/*`) do.
 */
export function fixesOwner(key: string, value: string): boolean {
  if (!/[*?]/.test(value)) return true;
  switch (key.toLowerCase()) {
    case "aws:principalarn":
      return /^\d{12}$/.test(value.split(":")[4] ?? "");
    case "aws:principalorgpaths": {
      const org = value.split("/")[0] ?? "";
      return org !== "" && !/[*?]/.test(org);
    }
    default:
      return false;
  }
}

/**
 * The principal condition of an Allow, in words, or undefined: one of `keys` with an operator that constrains it to
 * listed values, none of them a wildcard. Other ANDed conditions only narrow further, so one such key suffices.
 */
export function keyCondition(condition: unknown, keys: readonly string[] = PRINCIPAL_KEYS): string | undefined {
  const wanted = new Set(keys.map((k) => k.toLowerCase()));
  for (const { operator, key, values } of conditionEntries(condition)) {
    if (!wanted.has(key.toLowerCase()) || !NARROWING_OPERATORS.has(operator)) continue;
    if (values.length > 0 && !values.some((v) => isWildcardValue(operator, v) || !fixesOwner(key, v))) {
      return `${operator} ${key} ${values.join(", ")}`;
    }
  }
  return undefined;
}

/**
 * A Deny for everyone that takes `action` away from every principal not named: no condition at all, or only
 * excluding operators on principal keys (Deny unless aws:PrincipalArn is one of ...). Any other condition would
 * let some unnamed request through, so it does not count.
 */
export function deniesUnnamed(statement: Statement, action: string, fileSystemArn: string | undefined): boolean {
  if (statement.Effect !== "Deny") return false;
  if ("NotPrincipal" in statement || !isEveryone(statement.Principal)) return false;
  if (!appliesToResource(statement, fileSystemArn)) return false;
  if (!coveredClientActions(statement).includes(action)) return false;
  if (statement.Condition === undefined) return true;
  const entries = conditionEntries(statement.Condition);
  if (entries.length === 0) return isObject(statement.Condition);
  const principalKeys = new Set(PRINCIPAL_KEYS.map((k) => k.toLowerCase()));
  return entries.every((e) => EXCLUDING_OPERATORS.has(e.operator) && principalKeys.has(e.key.toLowerCase()));
}

export interface PublicGrant {
  statement: string;
  actions: string[];
}

/**
 * Allow statements that grant any of `actions` (client actions) to everyone (Principal * or NotPrincipal) on this
 * file system, and that `narrowed` does not limit. The basis of efs-policy-not-public (any narrowing condition),
 * efs-iam-authorization-required and efs-root-access-restricted (only a principal condition narrows).
 */
export function grantsToEveryone(
  statements: Statement[],
  fileSystemArn: string | undefined,
  actions: readonly string[],
  narrowed: (condition: unknown) => string | undefined,
): PublicGrant[] {
  const grants: PublicGrant[] = [];
  statements.forEach((statement, index) => {
    if (statement.Effect !== "Allow") return;
    const everyone = "NotPrincipal" in statement || isEveryone(statement.Principal);
    if (!everyone) return;
    if (!appliesToResource(statement, fileSystemArn)) return;
    if (narrowed(statement.Condition) !== undefined) return;
    const covered = coveredClientActions(statement).filter((a) => actions.includes(a));
    if (covered.length === 0) return;
    grants.push({ statement: statementName(statement, index), actions: covered });
  });
  return grants;
}

/**
 * What efs-iam-authorization-required and efs-root-access-restricted look for: Allow statements that grant any of
 * `actions` to everyone without a principal condition (keyCondition), each with only the actions that no Deny for
 * the unnamed (deniesUnnamed) takes back; statements left with no action are dropped.
 */
export function unnamedGrants(
  statements: Statement[],
  fileSystemArn: string | undefined,
  actions: readonly string[],
): PublicGrant[] {
  return grantsToEveryone(statements, fileSystemArn, actions, (c) => keyCondition(c))
    .map((g) => ({
      ...g,
      actions: g.actions.filter((a) => !statements.some((s) => deniesUnnamed(s, a, fileSystemArn))),
    }))
    .filter((g) => g.actions.length > 0);
}

export function statementName(statement: Statement, index: number): string {
  return typeof statement.Sid === "string" && statement.Sid !== "" ? statement.Sid : `#${index}`;
}

/** Allow statements that grant client access to everyone (Principal * or NotPrincipal) with no narrowing condition. */
export function publicGrants(statements: Statement[], fileSystemArn: string | undefined): PublicGrant[] {
  return grantsToEveryone(statements, fileSystemArn, CLIENT_ACTIONS, narrowingCondition);
}
