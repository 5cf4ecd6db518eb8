import type { STSClient } from "@aws-sdk/client-sts";
import { describe, expect, it } from "vitest";
import {
  accountAccess,
  MemberRoleUnavailableError,
  partitionOfArn,
  sessionNameFor,
} from "../../shared/aws/accounts.js";
import { AwsCallError, GuardError } from "../../shared/runtime/errors.js";

/**
 * The error paths of shared/aws/accounts.ts, with an STS double (the success path, the cache and the clients run
 * against the emulator's real STS in test/integration/accounts.test.ts). STS answers AccessDenied when the role is
 * missing or does not trust the caller (AWS STS API Reference, AssumeRole, Errors).
 */
const HUB = "111111111111";
const MEMBER = "222222222222";

function stsAnswering(...answers: (Error | "ok")[]) {
  const calls: string[] = [];
  const sts = {
    async send(command: { input: { RoleArn?: string } }) {
      calls.push(command.input.RoleArn ?? "");
      const answer = answers.shift() ?? "ok";
      if (answer !== "ok") throw answer;
      return {
        Credentials: {
          AccessKeyId: "ASIA",
          SecretAccessKey: "s",
          SessionToken: "t",
          Expiration: new Date("2030-01-01T00:00:00Z"),
        },
      };
    },
  } as unknown as Pick<STSClient, "send">;
  return { sts, calls };
}

function sdkError(name: string, status: number) {
  return Object.assign(new Error(`${name} message`), { name, $metadata: { httpStatusCode: status } });
}

const options = { homeAccount: HUB, partition: "aws", roleName: "efs-guard-member", region: "eu-west-1" };

describe("accountAccess error handling", () => {
  it("AccessDenied is a not retryable MemberRoleUnavailableError naming the account and role; not cached", async () => {
    const { sts, calls } = stsAnswering(sdkError("AccessDenied", 403), "ok");
    const access = accountAccess({ ...options, sessionName: sessionNameFor("nfs-ingress"), sts });
    const error = await access.credentials(MEMBER)!().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemberRoleUnavailableError);
    expect(error).toBeInstanceOf(GuardError);
    expect(error).toMatchObject({
      code: "MEMBER_ROLE_UNAVAILABLE",
      retryable: false,
      account: MEMBER,
      roleArn: `arn:aws:iam::${MEMBER}:role/efs-guard-member`,
      awsCode: "AccessDenied",
    });
    // The role may be deployed a minute later: the next use asks STS again.
    await expect(access.credentials(MEMBER)!()).resolves.toMatchObject({ accessKeyId: "ASIA", accountId: MEMBER });
    expect(calls).toEqual([
      `arn:aws:iam::${MEMBER}:role/efs-guard-member`,
      `arn:aws:iam::${MEMBER}:role/efs-guard-member`,
    ]);
  });

  it("RegionDisabledException is not retryable either", async () => {
    const { sts } = stsAnswering(sdkError("RegionDisabledException", 403));
    const access = accountAccess({ ...options, sessionName: "efs-guard-x", sts });
    await expect(access.credentials(MEMBER)!()).rejects.toMatchObject({
      code: "MEMBER_ROLE_UNAVAILABLE",
      retryable: false,
    });
  });

  it("throttling and 5xx are retryable AwsCallErrors (the event is retried)", async () => {
    for (const [name, status] of [
      ["Throttling", 400],
      ["InternalFailure", 500],
    ] as const) {
      const { sts } = stsAnswering(sdkError(name, status));
      const error = await accountAccess({ ...options, sessionName: "efs-guard-x", sts }).credentials(MEMBER)!().catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AwsCallError);
      expect(error).toMatchObject({ operation: "sts:AssumeRole", awsCode: name, retryable: true });
    }
  });

  it("an answer without credentials is a retryable failure, not credentials with holes", async () => {
    const sts = { send: async () => ({}) } as unknown as Pick<STSClient, "send">;
    await expect(
      accountAccess({ ...options, sessionName: "efs-guard-x", sts }).credentials(MEMBER)!(),
    ).rejects.toMatchObject({
      code: "AWS_CALL_FAILED",
      retryable: true,
    });
  });

  it("the home account has no AssumeRole: its own credentials", () => {
    const { sts, calls } = stsAnswering();
    const access = accountAccess({ ...options, sessionName: "efs-guard-x", sts });
    expect(access.credentials(HUB)).toBeUndefined();
    expect(calls).toEqual([]);
  });
});

describe("names", () => {
  it("the partition comes from the function's own ARN", () => {
    expect(partitionOfArn("arn:aws-cn:lambda:cn-north-1:111111111111:function:f")).toBe("aws-cn");
    expect(partitionOfArn("arn:aws-us-gov:lambda:us-gov-west-1:111111111111:function:f")).toBe("aws-us-gov");
    expect(partitionOfArn("arn:aws:lambda:eu-west-1:111111111111:function:f")).toBe("aws");
    expect(partitionOfArn("not an arn")).toBeUndefined();
  });

  it("the session name keeps STS's characters and 64 at most", () => {
    expect(sessionNameFor("kms-key")).toBe("efs-guard-kms-key");
    expect(sessionNameFor("a b/c".padEnd(80, "x"))).toMatch(/^efs-guard-a-b-cx+$/);
    expect(sessionNameFor("x".repeat(80))).toHaveLength(64);
  });
});
