/**
 * Typed errors. Callers branch on `code`, never on message text, so that the pipeline can tell an event that
 * must be ignored (no retry can help) from an AWS failure that a retry may fix.
 */
export type ErrorCode =
  | "CONFIG_INVALID"
  | "EVENT_MALFORMED"
  | "AWS_CALL_FAILED"
  | "REMEDIATION_FAILED"
  | "NOT_DEPLOYED"
  | "POLICY_INVALID"
  /** A member account's role cannot be assumed (shared/aws/accounts.ts): not retryable, alerted once per event. */
  | "MEMBER_ROLE_UNAVAILABLE";

export class GuardError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = "GuardError";
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

export class ConfigError extends GuardError {
  readonly issues: string[];
  constructor(issues: string[]) {
    super("CONFIG_INVALID", `invalid EFS Guard configuration:\n  - ${issues.join("\n  - ")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** An AWS call that failed; `awsCode` is the service's error code (ThrottlingException, AccessDenied, ...). */
export class AwsCallError extends GuardError {
  readonly operation: string;
  readonly awsCode: string;
  constructor(operation: string, awsCode: string, message: string, options: { cause?: unknown; retryable: boolean }) {
    super("AWS_CALL_FAILED", `${operation} failed: ${awsCode}: ${message}`, options);
    this.name = "AwsCallError";
    this.operation = operation;
    this.awsCode = awsCode;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
