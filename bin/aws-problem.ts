import { AwsCallError, errorMessage } from "../shared/runtime/errors.js";

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

function codesOf(error: unknown, depth = 0): string[] {
  if (!error || typeof error !== "object" || depth > 5) return [];
  const e = error as { code?: unknown; name?: unknown; awsCode?: unknown; cause?: unknown; errors?: unknown };
  const own = [e.awsCode, e.code, e.name].filter((c): c is string => typeof c === "string");
  const nested = Array.isArray(e.errors) ? e.errors.flatMap((x) => codesOf(x, depth + 1)) : [];
  return [...own, ...nested, ...codesOf(e.cause, depth + 1)];
}

/** Where the SDK sends requests: the endpoint override when set, else AWS itself. */
export function awsEndpoint(region?: string): string {
  return process.env.AWS_ENDPOINT_URL ?? `the AWS endpoints of ${region ?? process.env.AWS_REGION ?? "the region"}`;
}

function root(error: unknown): string {
  let e: unknown = error;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return errorMessage(e);
}

/**
 * Turns the failures an operator fixes in their environment (no route to the endpoint, no credentials) into one
 * sentence saying what to check; undefined for anything else (an AWS answer such as AccessDenied speaks for itself).
 */
export function environmentProblem(error: unknown, region?: string): string | undefined {
  const codes = codesOf(error);
  if (codes.some((c) => UNREACHABLE.has(c))) {
    return `cannot reach AWS at ${awsEndpoint(region)}: ${root(error)}; check AWS_ENDPOINT_URL / network / credentials`;
  }
  if (codes.includes("CredentialsProviderError")) {
    return `no AWS credentials: ${root(error)}; set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`;
  }
  return undefined;
}

export function isEnvironmentProblem(error: unknown): boolean {
  return environmentProblem(error) !== undefined;
}

/** The message to print for an AWS failure: the environment problem when that is what it is, else the call. */
export function describeAwsFailure(error: unknown, region?: string): string {
  return environmentProblem(error, region) ?? (error instanceof AwsCallError ? error.message : errorMessage(error));
}
