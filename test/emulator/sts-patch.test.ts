import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { beforeEach, describe, expect, it } from "vitest";
import { presentStatement, signStatement } from "../../shared/aws/approval-statements.js";
import { APPROVAL_HEADER } from "../../shared/migration/approval.js";
import { resetEmulator } from "../support/emulator.js";
import { iamUser, role, session, stsAs } from "../support/identities.js";

/**
 * sts_caller_identity_signature: GetCallerIdentity checks the signature and its age for credentials the emulator
 * issued, as STS does; and the approval statements that rest on it are signed and presented through the real SDK.
 */

beforeEach(resetEmulator);
const verifier = new STSClient({ region: "us-east-1" });

describe("sts_caller_identity_signature", () => {
  it("a statement signed by an IAM user or a role session names that principal when presented", async () => {
    const jane = await iamUser("jane");
    const signed = await signStatement(stsAs(jane.credentials), "binding-1");
    expect(signed.headers[APPROVAL_HEADER]).toBe("binding-1");
    expect(signed.headers.authorization).toMatch(/SignedHeaders=[^,]*x-efs-guard-approval/);
    expect(await presentStatement(verifier, signed)).toMatchObject({ arn: jane.arn, account: "123456789012" });

    const approver = await session(await role("efs-guard-approver"), "jane", jane.credentials);
    const viaRole = await signStatement(stsAs(approver), "binding-1");
    expect(viaRole.headers["x-amz-security-token"]).toBe(approver.sessionToken);
    expect(await presentStatement(verifier, viaRole)).toMatchObject({
      arn: "arn:aws:sts::123456789012:assumed-role/efs-guard-approver/jane",
    });
  });

  it("an altered binding, a wrong secret or session token, or an old date is refused by STS", async () => {
    const jane = await iamUser("jane");
    const signed = await signStatement(stsAs(jane.credentials), "approve fs-1");
    const altered = { ...signed, headers: { ...signed.headers, [APPROVAL_HEADER]: "approve fs-2" } };
    expect(await presentStatement(verifier, altered)).toEqual({
      refused: expect.stringContaining("SignatureDoesNotMatch"),
    });

    const forged = await signStatement(
      stsAs({ accessKeyId: jane.credentials.accessKeyId, secretAccessKey: "not-janes-secret" }),
      "approve fs-1",
    );
    expect(await presentStatement(verifier, forged)).toEqual({
      refused: expect.stringContaining("SignatureDoesNotMatch"),
    });

    const approver = await session(await role("efs-guard-approver"), "jane");
    const wrongToken = await signStatement(stsAs({ ...approver, sessionToken: "forged" }), "approve fs-1");
    expect(await presentStatement(verifier, wrongToken)).toEqual({
      refused: expect.stringContaining("InvalidClientTokenId"),
    });

    const old = await signStatement(
      new STSClient({ region: "us-east-1", credentials: jane.credentials, systemClockOffset: -20 * 60_000 }),
      "approve fs-1",
    );
    expect(await presentStatement(verifier, old)).toEqual({ refused: expect.stringContaining("Signature expired") });
  });

  it("a statement addressed to another host is refused without being sent", async () => {
    const jane = await iamUser("jane");
    const signed = await signStatement(stsAs(jane.credentials), "b");
    const elsewhere = { ...signed, headers: { ...signed.headers, host: "sts.attacker.example" } };
    expect(await presentStatement(verifier, elsewhere)).toEqual({
      refused: expect.stringMatching(/addressed to sts.attacker.example, not to this region's STS endpoint/),
    });
  });

  it("credentials the emulator never issued keep moto's default identity (the emulator's dummy callers)", async () => {
    const out = await verifier.send(new GetCallerIdentityCommand({}));
    expect(out.Arn).toBe("arn:aws:sts::123456789012:user/moto");
  });
});
