import type { GuardConfig } from "../config/schema.js";
import type { Clock } from "../runtime/clock.js";
import { type KmsKeyState, keyResource, listFileSystems } from "./kms-key-state.js";
import {
  conditionEntries,
  coveredClientActions,
  fixesOwner,
  isEveryone,
  isWildcardValue,
  NARROWING_OPERATORS,
  ORIGIN_KEYS,
  parsePolicy,
  type Statement,
  statementName,
  strings,
} from "./policy.js";
import type { Finding } from "./types.js";

/**
 * efs-key-policy-restricted: the key policy of a customer managed key that encrypts a file system grants no
 * data-plane action (kms:Decrypt, kms:ReEncryptFrom/To, kms:CreateGrant, through any wildcard such as kms:* or
 * kms:ReEncrypt*) to every principal (`*`, {"AWS":"*"}, NotPrincipal) without a narrowing condition
 * (kms:CallerAccount, kms:ViaService, aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, aws:SourceVpce,
 * ... with fixed values), nor to an account other than the key's own and `trustedAccounts`, whether named as a
 * principal or through an account condition. Whoever may call kms:Decrypt with the key can decrypt the file
 * systems' data keys; a grant hands that on. Alert only: the owner decides who may use the key.
 */
export const CONTROL = "efs-key-policy-restricted" as const;

export const DATA_ACTIONS = ["kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:CreateGrant"] as const;

/** Condition keys that limit who or through what a request on the key can come: the policy ones plus KMS's own. */
const NARROWING_KEYS = [...ORIGIN_KEYS, "kms:CallerAccount", "kms:ViaService"].map((k) => k.toLowerCase());

/** Keys whose values are account ids (or ARNs that contain one): checked against the trusted accounts. */
const ACCOUNT_KEYS = new Set(["kms:calleraccount", "aws:principalaccount", "aws:sourceaccount", "aws:principalarn"]);

function dataActions(statement: Statement): string[] {
  return coveredClientActions(statement, DATA_ACTIONS);
}

/** The account of "123456789012", "arn:aws:iam::123456789012:root", role, user or assumed-role ARNs. */
export function accountOf(value: string): string | undefined {
  if (/^\d{12}$/.test(value)) return value;
  return /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(value)?.[1];
}

/**
 * Whether a condition value still fixes who or what the request comes through. A wildcard value of an account or
 * organization key (`*`, `1234*`, `o-*`, `arn:aws:iam::*:role/x`) matches values of anyone's choosing, as for the
 * file system policy controls (fixesOwner, shared/controls/policy.ts). kms:ViaService names an AWS service
 * endpoint: a region wildcard (`elasticfilesystem.*.amazonaws.com`) still fixes the service, a wildcard service
 * does not.
 */
function fixes(operator: string, key: string, value: string): boolean {
  if (isWildcardValue(operator, value)) return false;
  if (key.toLowerCase() === "kms:viaservice") return /^[a-z0-9-]+\./.test(value);
  return fixesOwner(key, value);
}

/**
 * The narrowing conditions of a statement (all ANDed), or undefined when none narrows. `accounts` lists, per account
 * condition, the accounts it limits the request to.
 */
function narrowing(condition: unknown): { text: string; accounts: string[][] } | undefined {
  const texts: string[] = [];
  const accounts: string[][] = [];
  for (const { operator, key, values } of conditionEntries(condition)) {
    const lower = key.toLowerCase();
    if (!NARROWING_KEYS.includes(lower) || !NARROWING_OPERATORS.has(operator)) continue;
    if (values.length === 0 || values.some((v) => !fixes(operator, key, v))) continue;
    texts.push(`${operator} ${key} ${values.join(", ")}`);
    if (ACCOUNT_KEYS.has(lower)) accounts.push(values.map((v) => accountOf(v)).filter((a): a is string => !!a));
  }
  return texts.length > 0 ? { text: texts.join(" and "), accounts } : undefined;
}

/**
 * The untrusted accounts that a narrowed statement still reaches: none when one of its (ANDed) account conditions
 * names trusted accounts only, otherwise every untrusted account its account conditions name.
 */
function reachedAccounts(accounts: string[][], trusted: ReadonlySet<string>): string[] {
  if (accounts.some((list) => list.length > 0 && list.every((a) => trusted.has(a)))) return [];
  return accounts.flat().filter((a) => !trusted.has(a));
}

export interface KeyGrant {
  statement: string;
  actions: string[];
  /** "everyone" (no narrowing condition) or the untrusted accounts the statement reaches. */
  to: "everyone" | string[];
}

/** The data-plane grants of a key policy that reach everyone or an untrusted account. */
export function openGrants(statements: Statement[], trusted: ReadonlySet<string>): KeyGrant[] {
  const grants: KeyGrant[] = [];
  statements.forEach((statement, index) => {
    if (statement.Effect !== "Allow") return;
    const actions = dataActions(statement);
    if (actions.length === 0) return;
    const name = statementName(statement, index);
    const limit = narrowing(statement.Condition);
    const external = (accounts: string[]) => [...new Set(accounts.filter((a) => !trusted.has(a)))].sort();
    if ("NotPrincipal" in statement || isEveryone(statement.Principal)) {
      if (!limit) grants.push({ statement: name, actions, to: "everyone" });
      else if (reachedAccounts(limit.accounts, trusted).length > 0)
        grants.push({ statement: name, actions, to: external(reachedAccounts(limit.accounts, trusted)) });
      return;
    }
    const principal = statement.Principal;
    const aws =
      principal !== null && typeof principal === "object" && !Array.isArray(principal)
        ? (strings((principal as Record<string, unknown>).AWS) ?? [])
        : [];
    // An account condition further limits named principals; the named principals' accounts still must be trusted.
    const outside = external(aws.map((p) => accountOf(p)).filter((a): a is string => a !== undefined));
    if (outside.length > 0) grants.push({ statement: name, actions, to: outside });
  });
  return grants;
}

export function evaluate(state: KmsKeyState & { policy?: string }, config: GuardConfig, _clock: Clock): Finding {
  const resource = keyResource(state);
  const base = { control: CONTROL, resource };
  // "AWS" only: a key whose manager was not read (the access function on CreateFileSystem) is judged on its policy,
  // which for an AWS managed key is AWS's and always narrowed to the account and the service.
  if (state.keyManager === "AWS" || state.fileSystems.length === 0) {
    return {
      ...base,
      verdict: "not-applicable",
      severity: "info",
      summary:
        state.keyManager === "AWS"
          ? `${state.keyId} is an AWS managed key: its policy is AWS's`
          : `${state.keyId} encrypts no EFS file system in ${state.region}`,
      evidence: {},
    };
  }
  const fileSystems = listFileSystems(state.fileSystems);
  const tags = state.tags ? { tags: state.tags } : {};
  const parsed = parsePolicy(state.policy);
  if (parsed.status !== "ok") {
    const detail = parsed.status === "none" ? "no key policy was returned" : parsed.detail;
    return {
      ...base,
      verdict: "non-compliant",
      severity: "medium",
      summary: `the key policy of ${state.keyId} (encrypts ${fileSystems}) cannot be read (${detail}): EFS Guard cannot tell who may decrypt`,
      evidence: { problem: "invalid", detail, fileSystems: state.fileSystems },
      ...tags,
    };
  }
  const own = state.account ?? state.arn.split(":")[4] ?? "";
  const trusted = new Set([own, ...config.trustedAccounts]);
  const grants = openGrants(parsed.statements, trusted);
  if (grants.length === 0) {
    return {
      ...base,
      verdict: "compliant",
      severity: "info",
      summary: `the key policy of ${state.keyId} grants data-plane use only within ${[...trusted].join(", ")}`,
      evidence: { fileSystems: state.fileSystems, trustedAccounts: [...trusted] },
    };
  }
  const everyone = grants.filter((g) => g.to === "everyone");
  const accounts = [...new Set(grants.flatMap((g) => (g.to === "everyone" ? [] : g.to)))].sort();
  const parts: string[] = [];
  if (everyone.length > 0) {
    parts.push(
      `grants ${[...new Set(everyone.flatMap((g) => g.actions))].join(", ")} to every principal without a narrowing condition (statement ${everyone.map((g) => g.statement).join(", ")})`,
    );
  }
  if (accounts.length > 0) parts.push(`grants data-plane use to untrusted account(s) ${accounts.join(", ")}`);
  return {
    ...base,
    verdict: "non-compliant",
    severity: everyone.length > 0 ? "critical" : "high",
    summary: `the key policy of ${state.keyId}, which encrypts ${fileSystems}, ${parts.join(" and ")}`,
    evidence: { grants, fileSystems: state.fileSystems, trustedAccounts: [...trusted] },
    ...tags,
  };
}
