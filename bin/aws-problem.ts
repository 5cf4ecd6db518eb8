import { causeDetail, errorCodes, isUnreachable } from "../shared/aws/errors.js";
import { AwsCallError, errorMessage } from "../shared/runtime/errors.js";

/** Where the SDK sends requests: the endpoint override when set, else AWS itself. */
export function awsEndpoint(region?: string): string {
  return process.env.AWS_ENDPOINT_URL ?? `the AWS endpoints of ${region ?? process.env.AWS_REGION ?? "the region"}`;
}

/**
 * Turns the failures an operator fixes in their environment (no route to the endpoint, no credentials) into one
 * sentence saying what to check; undefined for anything else (an AWS answer such as AccessDenied speaks for itself).
 */
export function environmentProblem(error: unknown, region?: string): string | undefined {
  if (isUnreachable(error)) {
    return `cannot reach AWS at ${awsEndpoint(region)}: ${causeDetail(error)}; check AWS_ENDPOINT_URL / network / credentials`;
  }
  if (errorCodes(error).includes("CredentialsProviderError")) {
    return `no AWS credentials: ${causeDetail(error)}; set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`;
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
