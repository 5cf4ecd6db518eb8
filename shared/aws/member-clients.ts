import { EC2Client } from "@aws-sdk/client-ec2";
import { ECSClient } from "@aws-sdk/client-ecs";
import { EFSClient } from "@aws-sdk/client-efs";
import { KMSClient } from "@aws-sdk/client-kms";
import type { AccountAccess, ClientSettings } from "./accounts.js";

/**
 * Every guarded service's clients in one account, per region, with that account's credentials (its member role,
 * shared/aws/accounts.ts): what the organization sweep passes to the guards and the inventory of a member's region.
 * The constructors are module constants because AccountAccess.clients keeps one client per (constructor, account,
 * region): the same function each time means one client per account and region for the container's life.
 */
export interface AccountClients {
  /** The account these clients act in. */
  account: string;
  efs: (region: string) => EFSClient;
  ec2: (region: string) => EC2Client;
  kms: (region: string) => KMSClient;
  /** The same KMS client: the guards name a DescribeKey-only client apart, for the event functions' bundles. */
  kmsDescribe: (region: string) => KMSClient;
  ecs: (region: string) => ECSClient;
}

const efs = (settings: ClientSettings) => new EFSClient(settings);
const ec2 = (settings: ClientSettings) => new EC2Client(settings);
const kms = (settings: ClientSettings) => new KMSClient(settings);
const ecs = (settings: ClientSettings) => new ECSClient(settings);

export function accountClients(access: AccountAccess, account: string): AccountClients {
  const kmsOf = access.clients(account, kms);
  return {
    account,
    efs: access.clients(account, efs),
    ec2: access.clients(account, ec2),
    kms: kmsOf,
    kmsDescribe: kmsOf,
    ecs: access.clients(account, ecs),
  };
}
