import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import {
  APPROVAL_HEADER,
  type CallerIdentity,
  GET_CALLER_IDENTITY_BODY,
  lowerCaseHeaders,
  type SignedRequest,
  type StatementResult,
} from "../migration/approval.js";
import { GuardError } from "../runtime/errors.js";
import { awsErrorCode, toAwsCallError } from "./errors.js";

/**
 * The AWS side of approver statements (shared/migration/approval.ts): signing one with the caller's credentials
 * (efs-guard approve / reject), and presenting one to STS (the verify step). Both go through the SDK's own
 * GetCallerIdentity, so the request is exactly what the SDK signs and sends, at the endpoint it resolves.
 */

interface HttpRequestLike {
  hostname: string;
  port?: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** The shape of an SDK middleware, kept local: @smithy/types is not a direct dependency. */
type Handler = (args: { request: unknown }) => Promise<unknown>;
type Middleware = (next: Handler) => Handler;

class Captured extends Error {
  constructor(readonly request: HttpRequestLike) {
    super("captured");
  }
}

/** A GetCallerIdentity signed with the client's credentials, carrying `binding` inside the signature; not sent. */
export async function signStatement(sts: STSClient, binding: string): Promise<SignedRequest> {
  const command = new GetCallerIdentityCommand({});
  const bind: Middleware = (next) => async (args) => {
    (args.request as HttpRequestLike).headers[APPROVAL_HEADER] = binding;
    return next(args);
  };
  const capture: Middleware = () => async (args) => {
    throw new Captured(args.request as HttpRequestLike);
  };
  command.middlewareStack.add(bind as never, { step: "build", name: "efsGuardApprovalBinding" });
  command.middlewareStack.addRelativeTo(capture as never, {
    relation: "after",
    toMiddleware: "httpSigningMiddleware",
    name: "efsGuardCaptureSignedRequest",
  });
  try {
    await sts.send(command);
  } catch (error) {
    if (error instanceof Captured) {
      const headers = lowerCaseHeaders(error.request.headers);
      const signed = new Set(/SignedHeaders=([^,]+)/.exec(headers.authorization ?? "")?.[1]?.split(";") ?? []);
      // Only what the signature covers travels, and the signature itself.
      const kept = Object.fromEntries(Object.entries(headers).filter(([k]) => signed.has(k) || k === "authorization"));
      return { headers: kept, body: String(error.request.body ?? "") };
    }
    throw toAwsCallError("sts:GetCallerIdentity (signing)", error);
  }
  throw new GuardError("AWS_CALL_FAILED", "the signed GetCallerIdentity request was not captured");
}

/** STS answers that say the statement is not a valid signature of a live principal: a refusal, not a fault. */
const REFUSALS = new Set([
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "InvalidClientTokenId",
  "ExpiredToken",
  "ExpiredTokenException",
  "RequestExpired",
  "AccessDenied",
  "AccessDeniedException",
  "InvalidAction",
  "MissingAuthenticationToken",
]);

/**
 * Sends a statement to the STS endpoint this client resolves (the region's, or AWS_ENDPOINT_URL), exactly as it was
 * signed, and returns the identity STS names. A statement signed for another host is refused without being sent
 * anywhere: the verifier never contacts a host an answer chooses. Throttling and faults throw (retryable).
 */
export async function presentStatement(sts: STSClient, statement: SignedRequest): Promise<StatementResult> {
  const given = lowerCaseHeaders(statement.headers);
  const command = new GetCallerIdentityCommand({});
  let refusedBeforeSending: string | undefined;
  const replace: Middleware = (next) => async (args) => {
    const request = args.request as HttpRequestLike;
    const own = lowerCaseHeaders(request.headers);
    const host = own.host ?? (request.port ? `${request.hostname}:${request.port}` : request.hostname);
    if (given.host !== host) {
      refusedBeforeSending = `it is addressed to ${given.host}, not to this region's STS endpoint ${host}`;
      throw new Captured(request);
    }
    if (String(request.body ?? "") !== statement.body || statement.body !== GET_CALLER_IDENTITY_BODY) {
      refusedBeforeSending = "it is not the GetCallerIdentity request";
      throw new Captured(request);
    }
    // The statement's own signed headers replace the client's (whose signature is discarded).
    request.headers = { ...given };
    if (own["content-length"] && !given["content-length"]) request.headers["content-length"] = own["content-length"];
    return next(args);
  };
  command.middlewareStack.addRelativeTo(replace as never, {
    relation: "after",
    toMiddleware: "httpSigningMiddleware",
    name: "efsGuardPresentStatement",
  });
  try {
    const out = await sts.send(command);
    if (!out.Arn) return { refused: "STS named no identity" };
    const identity: CallerIdentity = { arn: out.Arn };
    if (out.Account) identity.account = out.Account;
    if (out.UserId) identity.userId = out.UserId;
    return identity;
  } catch (error) {
    if (error instanceof Captured) return { refused: refusedBeforeSending ?? "not sent" };
    const code = awsErrorCode(error);
    if (REFUSALS.has(code)) return { refused: `STS answered ${code}: ${(error as Error).message}` };
    throw toAwsCallError("sts:GetCallerIdentity (verifying an approver statement)", error);
  }
}
