import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const stsClient = perRegion((region) => new STSClient(clientConfig(region)));

export interface Identity {
  account: string;
  arn: string;
}

export async function callerIdentity(region: string): Promise<Identity> {
  const out = await call("sts:GetCallerIdentity", () => stsClient(region).send(new GetCallerIdentityCommand({})));
  return { account: out.Account ?? "", arn: out.Arn ?? "" };
}
