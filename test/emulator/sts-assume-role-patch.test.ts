import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { beforeEach, describe, expect, it } from "vitest";
import { resetEmulator } from "../support/emulator.js";
import { asAccount } from "../support/seed-kms.js";

/** sts_assume_role_missing_role: AssumeRole of a role that does not exist is AccessDenied, as on AWS. */

beforeEach(resetEmulator);
const sts = new STSClient({ region: "us-east-1" });
const MEMBER = "210987654321";

/** The emulator's administrator acting in another account (moto's x-moto-account-id header). */
const iamIn = (account: string) => asAccount(new IAMClient({ region: "us-east-1" }), account);

const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole" }],
});

describe("sts_assume_role_missing_role", () => {
  it("a role that exists in another account is assumed, and its credentials act in that account", async () => {
    await iamIn(MEMBER).send(new CreateRoleCommand({ RoleName: "efs-guard-member", AssumeRolePolicyDocument: trust }));
    const out = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER}:role/efs-guard-member`, RoleSessionName: "scan" }),
    );
    const c = out.Credentials!;
    const as = new STSClient({
      region: "us-east-1",
      credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! },
    });
    expect(await as.send(new GetCallerIdentityCommand({}))).toMatchObject({
      Account: MEMBER,
      Arn: `arn:aws:sts::${MEMBER}:assumed-role/efs-guard-member/scan`,
    });
  });

  it("a role missing from its account (here or in another) is AccessDenied, naming the role", async () => {
    // The same name exists in the caller's account: it is the ARN's account that counts.
    await new IAMClient({ region: "us-east-1" }).send(
      new CreateRoleCommand({ RoleName: "efs-guard-member", AssumeRolePolicyDocument: trust }),
    );
    for (const arn of [`arn:aws:iam::${MEMBER}:role/efs-guard-member`, "arn:aws:iam::123456789012:role/nosuch"]) {
      const error = await sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: "scan" })).catch((e) => e);
      expect(error.name).toBe("AccessDenied");
      expect(error.$metadata.httpStatusCode).toBe(403);
      expect(error.message).toContain(`is not authorized to perform: sts:AssumeRole on resource: ${arn}`);
    }
  });
});
