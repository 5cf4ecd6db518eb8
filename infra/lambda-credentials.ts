/**
 * The credential chain bundled into the guard's Lambda functions in place of @aws-sdk/credential-provider-node
 * (see infra/bundling.ts). Lambda always gives a function its execution role's credentials in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), so the SSO, shared-file (ini), process and
 * web-identity providers of the Node.js default chain, and the nested STS/SSO clients they bring, can never be
 * used there; they cost about 90 kB of every bundle and of every cold start. The container-credentials endpoint
 * stays as a fallback for runtimes that hand out credentials that way. The CLI and the tests, which run from
 * source, keep the SDK's full default chain.
 */
import { fromEnv } from "@aws-sdk/credential-provider-env";
import { ENV_CMDS_FULL_URI, ENV_CMDS_RELATIVE_URI, fromContainerMetadata } from "@smithy/credential-provider-imds";
import type { AwsCredentialIdentity } from "@smithy/types";

type Init = Parameters<typeof fromEnv>[0];

export const defaultProvider =
  (init: Init = {}) =>
  async (): Promise<AwsCredentialIdentity> => {
    try {
      return await fromEnv(init)();
    } catch (error) {
      if (process.env[ENV_CMDS_FULL_URI] || process.env[ENV_CMDS_RELATIVE_URI]) return fromContainerMetadata()();
      throw error;
    }
  };

// The rest of @aws-sdk/credential-provider-node's public surface, with its semantics.
export const credentialsWillNeedRefresh = (credentials?: AwsCredentialIdentity) =>
  credentials?.expiration !== undefined;
export const credentialsTreatedAsExpired = (credentials?: AwsCredentialIdentity) =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
