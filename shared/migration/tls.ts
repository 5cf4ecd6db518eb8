/**
 * The TLS part of a file system policy, as pure logic: does a policy deny every request made without TLS, and the
 * policy with that denial merged in (every existing statement kept). The efs-tls-enforced control asks the same
 * question; the lead unifies the two at merge.
 */

interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement?: Statement | Statement[];
}

export const TLS_DENY_SID = "EfsGuardDenyInsecureTransport";

const CLIENT_ACTIONS = [
  "elasticfilesystem:ClientMount",
  "elasticfilesystem:ClientWrite",
  "elasticfilesystem:ClientRootAccess",
];

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

function everyone(principal: unknown): boolean {
  if (principal === "*") return true;
  if (principal && typeof principal === "object") return list((principal as { AWS?: unknown }).AWS).includes("*");
  return false;
}

function coversClientAccess(action: unknown): boolean {
  const actions = list(action).map((a) => String(a).toLowerCase());
  if (actions.includes("*") || actions.includes("elasticfilesystem:*")) return true;
  return CLIENT_ACTIONS.every((a) => actions.includes(a.toLowerCase()));
}

function insecureTransportCondition(condition: Statement["Condition"]): boolean {
  if (!condition) return false;
  for (const [operator, entries] of Object.entries(condition)) {
    if (operator !== "Bool" && operator !== "BoolIfExists") continue;
    for (const [key, value] of Object.entries(entries ?? {})) {
      if (key.toLowerCase() !== "aws:securetransport") continue;
      if (list(value).some((v) => String(v).toLowerCase() === "false")) return true;
    }
  }
  return false;
}

export function parsePolicy(policy: string | undefined): PolicyDocument | undefined {
  if (policy === undefined || policy.trim() === "") return undefined;
  const parsed = JSON.parse(policy) as PolicyDocument;
  if (!parsed || typeof parsed !== "object") throw new Error("the policy is not a JSON object");
  return parsed;
}

/** True when some statement denies every principal all client access whenever aws:SecureTransport is false. */
export function policyEnforcesTls(policy: string | undefined): boolean {
  const doc = parsePolicy(policy);
  if (!doc) return false;
  return list(doc.Statement).some((raw) => {
    const s = raw as Statement;
    return (
      s.Effect === "Deny" &&
      everyone(s.Principal) &&
      coversClientAccess(s.Action) &&
      insecureTransportCondition(s.Condition)
    );
  });
}

export function tlsDenyStatement(fileSystemArn: string): Statement {
  return {
    Sid: TLS_DENY_SID,
    Effect: "Deny",
    Principal: { AWS: "*" },
    Action: "*",
    Resource: fileSystemArn,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * The source's policy for the new file system: references to the source's ARN point at the new one, and the TLS
 * denial is merged in when missing. With no policy, the console's default (clients may mount, write and use root
 * through a mount target) plus the denial, so that adding the denial does not lock every client out.
 */
export function policyForReplacement(
  sourcePolicy: string | undefined,
  sourceArn: string,
  destinationArn: string,
): { policy: string; tlsStatementAdded: boolean } {
  const doc = parsePolicy(sourcePolicy?.split(sourceArn).join(destinationArn));
  if (!doc) {
    return {
      tlsStatementAdded: true,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Id: "efs-guard-default",
        Statement: [
          {
            Sid: "EfsGuardAllowClientsViaMountTarget",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: CLIENT_ACTIONS,
            Resource: destinationArn,
            Condition: { Bool: { "elasticfilesystem:AccessedViaMountTarget": "true" } },
          },
          tlsDenyStatement(destinationArn),
        ],
      }),
    };
  }
  const text = JSON.stringify(doc);
  if (policyEnforcesTls(text)) return { policy: text, tlsStatementAdded: false };
  return {
    tlsStatementAdded: true,
    policy: JSON.stringify({ ...doc, Statement: [...list(doc.Statement), tlsDenyStatement(destinationArn)] }),
  };
}
