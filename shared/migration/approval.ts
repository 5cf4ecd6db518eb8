import { createHash } from "node:crypto";
import * as z from "zod/mini";
import type { Actor } from "../events/cloudtrail.js";

/**
 * Who answered an approval, as AWS says, not as the answer claims (design section 9; issue 11 item 6).
 *
 * SendTaskSuccess and SendTaskFailure have no resource type in the Service Authorization Reference: IAM cannot
 * scope them to one state machine, and whoever holds a task token (anyone allowed states:GetExecutionHistory on the
 * execution can read it) can answer. So the token is not what binds an answer to a person. Every answer carries two
 * SigV4-signed, unsent STS GetCallerIdentity requests (the technique of HashiCorp Vault's AWS IAM auth method): one
 * signed with the approver's own credentials (who), one with a session of the approver role (that IAM let them
 * assume it). Each carries the header x-efs-guard-approval, inside the signature, naming the decision, the
 * execution, the approval round and a hash of the comment or reason, so a statement cannot be moved to another
 * answer. The verify step of the state machine sends both to STS, which answers with the identity of whoever signed
 * them (and refuses a forged, altered or expired signature). Answers that do not verify are refused: the migration
 * asks again (at most MAX_APPROVAL_ROUNDS times) and the alert says why.
 *
 * This module is pure: the shape of an answer, what its statements must look like, and the judgement.
 */

export const APPROVAL_HEADER = "x-efs-guard-approval";
/** What the AWS SDK sends for sts:GetCallerIdentity (query protocol): the only request a statement may be. */
export const GET_CALLER_IDENTITY_BODY = "Action=GetCallerIdentity&Version=2011-06-15";
/** SigV4: AWS refuses a signature more than 15 minutes old; the verify step refuses it too, by its own clock. */
export const MAX_STATEMENT_AGE_SECONDS = 15 * 60;
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
/** Refused answers in one execution before the migration gives up (each refusal is alerted and asked again). */
export const MAX_APPROVAL_ROUNDS = 3;
/** The role the stack creates for approvers (infra/constructs/approver-role.ts), and how the verify step learns it. */
export const APPROVER_ROLE_NAME = "efs-guard-approver";
export const APPROVER_ROLE_ENV = "MIGRATION_APPROVER_ROLE_ARN";

export type Decision = "approve" | "reject";

const signedRequest = z.strictObject({
  headers: z.record(z.string().check(z.maxLength(64)), z.string().check(z.maxLength(4096))),
  body: z.string().check(z.maxLength(256)),
});
export type SignedRequest = z.infer<typeof signedRequest>;

const answerSchema = z.strictObject({
  v: z.literal(1),
  decision: z.enum(["approve", "reject"]),
  round: z.number().check(z.int(), z.minimum(1)),
  text: z.optional(z.string().check(z.maxLength(4000))),
  statements: z.strictObject({ identity: signedRequest, role: signedRequest }),
});
export type ApprovalAnswer = z.infer<typeof answerSchema>;

/** The answer as the state machine holds it: the SendTaskSuccess output (parsed) or the SendTaskFailure cause. */
export function parseAnswer(raw: unknown): ApprovalAnswer | { error: string } {
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      return { error: "the answer is not JSON (was it sent by efs-guard approve / reject?)" };
    }
  }
  const parsed = answerSchema.safeParse(value);
  // Nothing of the answer is quoted back: it is untrusted text on its way to an alert.
  if (!parsed.success) return { error: "the answer carries no valid approver statements" };
  return parsed.data;
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** The value of x-efs-guard-approval: which answer a statement belongs to. ASCII only (an HTTP header). */
export function bindingFor(answer: {
  decision: Decision;
  executionArn: string;
  round: number;
  text?: string | undefined;
}): string {
  return `efs-guard-approval-v1 ${answer.decision} ${answer.executionArn} round-${answer.round} text-sha256-${sha256(answer.text ?? "")}`;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Za-z0-9]{1,128})\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export interface StatementFacts {
  accessKeyId: string;
  signedAt: Date;
  /** The Host header the statement was signed for: the STS endpoint it must be sent to. */
  host: string;
}

export function lowerCaseHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * What can be checked before sending a statement to STS: a SigV4-signed GetCallerIdentity for STS, whose signature
 * covers the host, the time and the binding header, bound to this answer, and recent. The signature itself only STS
 * can check.
 */
export function inspectStatement(
  statement: SignedRequest,
  binding: string,
  now: Date,
): StatementFacts | { refused: string } {
  const headers = lowerCaseHeaders(statement.headers);
  const auth = AUTHORIZATION.exec(headers.authorization ?? "");
  if (!auth) return { refused: "it is not signed with AWS Signature Version 4" };
  const [, accessKeyId, , , service, signed] = auth as unknown as string[];
  if (service !== "sts") return { refused: `it is signed for ${service}, not for sts` };
  const signedHeaders = (signed ?? "").split(";");
  for (const required of ["host", "x-amz-date", APPROVAL_HEADER]) {
    if (!signedHeaders.includes(required)) return { refused: `its signature does not cover ${required}` };
  }
  if (statement.body !== GET_CALLER_IDENTITY_BODY) return { refused: "it is not a GetCallerIdentity request" };
  if (headers[APPROVAL_HEADER] !== binding) {
    return { refused: "it was signed for another answer (decision, execution, round or text differ)" };
  }
  const date = AMZ_DATE.exec(headers["x-amz-date"] ?? "");
  if (!date) return { refused: "it has no valid X-Amz-Date" };
  const [, y, mo, d, h, mi, s] = date.map(Number) as number[];
  const signedAt = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  const age = (now.getTime() - signedAt.getTime()) / 1000;
  if (age > MAX_STATEMENT_AGE_SECONDS) return { refused: `it was signed ${Math.round(age / 60)} minutes ago` };
  if (-age > MAX_CLOCK_SKEW_SECONDS) return { refused: "it is dated in the future" };
  if (!headers.host) return { refused: "it names no host" };
  return { accessKeyId: accessKeyId!, signedAt, host: headers.host };
}

/** A principal as an STS or IAM ARN names it. Assumed-role ARNs carry the role's name, never its path. */
export type Principal =
  | { kind: "user"; account: string; name: string; arn: string }
  | { kind: "role-session"; account: string; role: string; session: string; arn: string }
  | { kind: "root"; account: string; arn: string }
  | { kind: "other"; account?: string; arn: string };

export function principalOf(arn: string): Principal {
  const m = /^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(.+)$/.exec(arn);
  if (!m) return { kind: "other", arn };
  const [, , account, rest] = m as unknown as [string, string, string, string];
  if (rest === "root") return { kind: "root", account, arn };
  const session = /^assumed-role\/([^/]+)\/(.+)$/.exec(rest);
  if (session) return { kind: "role-session", account, role: session[1]!, session: session[2]!, arn };
  if (rest.startsWith("user/")) return { kind: "user", account, name: rest.split("/").at(-1)!, arn };
  return { kind: "other", account, arn };
}

/** IAM Identity Center names each session of its permission-set roles after the user: AWS sets it, not the user. */
export function isIdentityCenterSession(p: Principal): p is Extract<Principal, { kind: "role-session" }> {
  return p.kind === "role-session" && p.role.startsWith("AWSReservedSSO_");
}

const glob = (pattern: string) => new RegExp(`^${pattern.split("*").map(escapeRegex).join(".*")}$`);
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** How a principal is an approver: named by an ARN entry, or only as a principal of a listed account. */
export function approverMatch(
  p: Principal,
  approvers: readonly string[],
  homeAccount: string,
): "named" | "account" | undefined {
  if (p.kind === "root" || p.kind === "other") return undefined;
  const entries = approvers.length > 0 ? approvers : [homeAccount];
  for (const entry of entries) {
    const m = /^arn:aws[a-z-]*:iam::(\d{12}):(role|user)\/(.+)$/.exec(entry);
    if (!m || m[1] !== p.account) continue;
    const name = glob(m[3]!.split("/").at(-1)!);
    if (m[2] === "role" && p.kind === "role-session" && name.test(p.role)) return "named";
    if (m[2] === "user" && p.kind === "user" && name.test(p.name)) return "named";
  }
  return entries.includes(p.account) ? "account" : undefined;
}

/** The creator of the file system, from the CloudTrail record of its CreateFileSystem (written by AWS). */
export interface Creator {
  arn: string;
  type?: string;
  sessionIssuerArn?: string;
  eventId?: string;
}

export function creatorFrom(actor: Actor, eventId?: string): Creator | undefined {
  if (!actor.arn) return undefined;
  return {
    arn: actor.arn,
    ...(actor.type ? { type: actor.type } : {}),
    ...(actor.sessionIssuerArn ? { sessionIssuerArn: actor.sessionIssuerArn } : {}),
    ...(eventId ? { eventId } : {}),
  };
}

/**
 * Why an approver counts as the file system's creator, if they do. IAM's unit is the principal: every session of a
 * role is that role, except Identity Center's roles, whose session name is the person (so the same person through
 * two permission sets is caught). A person with two unrelated principals (an IAM user and a role) is not: say so.
 */
export function sameAsCreator(approver: Principal, creator: Creator): string | undefined {
  const c = principalOf(creator.arn);
  if (isIdentityCenterSession(approver) && isIdentityCenterSession(c)) {
    return approver.session.toLowerCase() === c.session.toLowerCase()
      ? `the same IAM Identity Center user (${c.session})`
      : undefined;
  }
  if (approver.kind === "role-session" && c.kind === "role-session") {
    return approver.account === c.account && approver.role === c.role ? `the same role (${c.role})` : undefined;
  }
  if (approver.kind === "user" && c.kind === "user") {
    return approver.account === c.account && approver.name === c.name ? `the same IAM user (${c.name})` : undefined;
  }
  return approver.arn === c.arn ? "the same principal" : undefined;
}

export interface CallerIdentity {
  arn: string;
  account?: string;
  userId?: string;
}

export type StatementResult = CallerIdentity | { refused: string };

export interface Judgement {
  decision: Decision;
  verified: boolean;
  /** Set when verified: the approver, as STS identified the signer of the identity statement. */
  by?: string;
  /** The approver role session that vouched for them. */
  via?: string;
  /** "named": listed in approvers; "account": a principal of a listed account that could assume the approver role. */
  as?: "named" | "account";
  /** Why the answer was refused, in words for the alert. */
  reason?: string;
}

export interface JudgeInput {
  decision: Decision;
  identity: StatementResult;
  role: StatementResult;
  approvers: readonly string[];
  homeAccount: string;
  approverRoleName: string;
  requireSeparateApprover: boolean;
  creator?: Creator | undefined;
}

export function judge(input: JudgeInput): Judgement {
  const refuse = (reason: string, by?: string): Judgement => ({
    decision: input.decision,
    verified: false,
    reason,
    ...(by ? { by } : {}),
  });
  if ("refused" in input.identity) return refuse(`the identity statement was refused: ${input.identity.refused}`);
  if ("refused" in input.role) return refuse(`the approver role statement was refused: ${input.role.refused}`);
  const who = principalOf(input.identity.arn);
  const role = principalOf(input.role.arn);
  const isApproverSession = (p: Principal) =>
    p.kind === "role-session" && p.role === input.approverRoleName && p.account === input.homeAccount;
  if (!isApproverSession(role)) {
    return refuse(
      `the second statement must be signed by the role ${input.approverRoleName}, not ${role.arn}`,
      who.arn,
    );
  }
  if (isApproverSession(who)) {
    return refuse(
      `the identity statement is signed by the approver role itself (${who.arn}): it must be signed with the approver's own credentials`,
    );
  }
  if (who.kind === "root") return refuse(`the account root user (${who.arn}) may not approve`, who.arn);
  const match = approverMatch(who, input.approvers, input.homeAccount);
  if (!match) {
    const listed = input.approvers.length > 0 ? input.approvers.join(", ") : `account ${input.homeAccount}`;
    return refuse(`${who.arn} is not one of the approvers (${listed})`, who.arn);
  }
  if (input.requireSeparateApprover && input.creator) {
    const same = sameAsCreator(who, input.creator);
    if (same) {
      return refuse(
        `${who.arn} is ${same} that created the file system (${input.creator.arn}); requireSeparateApprover asks for someone else`,
        who.arn,
      );
    }
  }
  return { decision: input.decision, verified: true, by: who.arn, via: role.arn, as: match };
}
