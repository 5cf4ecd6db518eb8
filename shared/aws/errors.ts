import { AwsCallError } from "../runtime/errors.js";

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
