import { AwsCallError } from "../runtime/errors.js";
import { CONNECTION_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from "./sdk-config.js";

interface SdkErrorShape {
  name?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const RETRYABLE_CODES = new Set([
  "ThrottlingException",
  "Throttling",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "RequestThrottled",
  "ServiceUnavailable",
  "InternalError",
  "InternalFailure",
  "InternalServerError",
  "EC2ThrottledException",
]);

export function awsErrorCode(error: unknown): string {
  const e = error as SdkErrorShape;
  if (e && typeof e.name === "string" && e.name !== "Error") return e.name;
  if (e && typeof e === "object" && "code" in e && typeof (e as { code: unknown }).code === "string") {
    return (e as { code: string }).code;
  }
  return "UnknownError";
}

/** Wraps an SDK failure into a typed error that says which call failed and whether a retry may help. */
export function toAwsCallError(operation: string, error: unknown): AwsCallError {
  const e = error as SdkErrorShape;
  const code = awsErrorCode(error);
  const status = e?.$metadata?.httpStatusCode;
  const retryable =
    RETRYABLE_CODES.has(code) ||
    Boolean(e?.$retryable) ||
    (status !== undefined && status >= 500) ||
    ["ECONNRESET", "ETIMEDOUT", "ECONNREFUSED", "EPIPE", "TimeoutError"].includes(code);
  return new AwsCallError(operation, code, e?.message ?? String(error), { cause: error, retryable });
}

/** Runs one AWS call and converts its failure. */
export async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toAwsCallError(operation, error);
  }
}

/** Node and SDK error codes that mean the request never got an answer from AWS (or the emulator). */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "TimeoutError",
  "RequestTimeout",
]);

/** Every code an error carries: its own (AWS code, errno, name), its cause's, an AggregateError's members'. */
export function errorCodes(error: unknown, depth = 0): string[] {
  if (!error || typeof error !== "object" || depth > 5) return [];
  const e = error as { code?: unknown; name?: unknown; awsCode?: unknown; cause?: unknown; errors?: unknown };
  const own = [e.awsCode, e.code, e.name].filter((c): c is string => typeof c === "string");
  const nested = Array.isArray(e.errors) ? e.errors.flatMap((x) => errorCodes(x, depth + 1)) : [];
  return [...own, ...nested, ...errorCodes(e.cause, depth + 1)];
}

/**
 * True when no answer came back at all (refused, reset, no route, timed out): nothing about the account can be
 * learnt from such a failure, and every other call to the same endpoint would wait for the same timeouts.
 */
export function isUnreachable(error: unknown): boolean {
  return errorCodes(error).some((c) => UNREACHABLE.has(c));
}

/** The innermost error of a cause chain. */
function innermost(error: unknown): unknown {
  let e: unknown = error;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e;
}

/**
 * Why a call got no answer, in words: for the SDK's timeouts how long it waited and how often (the SDK's own text
 * names its internals), else the innermost error's message (e.g. "connect ECONNREFUSED 127.0.0.1:9").
 */
export function causeDetail(error: unknown): string {
  const root = innermost(error) as { name?: string; message?: string; $metadata?: { attempts?: number } } | undefined;
  const message = root?.message ?? String(root);
  if (root?.name !== "TimeoutError") return message;
  const attempts = root.$metadata?.attempts;
  const tries = attempts && attempts > 1 ? `, ${attempts} attempts` : "";
  return /establish a connection/.test(message)
    ? `no connection within ${CONNECTION_TIMEOUT_MS / 1000} s (TimeoutError${tries})`
    : `no answer within ${REQUEST_TIMEOUT_MS / 1000} s (TimeoutError${tries})`;
}
