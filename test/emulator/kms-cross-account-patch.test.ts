import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListResourceTagsCommand,
} from "@aws-sdk/client-kms";
import { beforeEach, expect, it } from "vitest";
import { resetEmulator } from "../support/emulator.js";
import { otherAccountKms } from "../support/seed-kms.js";

const HOME = "123456789012";
const OTHER = "222222222222";

const home = new KMSClient({ region: "us-east-1" });

function policy(extra: object[] = []) {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: "kms:*", Resource: "*" },
      ...extra,
    ],
  });
}

beforeEach(resetEmulator);

it("kms_cross_account: DescribeKey and GetKeyRotationStatus reach the owner's key only when its key policy grants them", async () => {
  const other = otherAccountKms(OTHER);
  const closed = (await other.send(new CreateKeyCommand({ Policy: policy() }))).KeyMetadata!;
  await expect(home.send(new DescribeKeyCommand({ KeyId: closed.Arn }))).rejects.toMatchObject({
    name: "AccessDeniedException",
    message: expect.stringContaining(`kms:DescribeKey on resource: ${closed.Arn}`),
  });
  await expect(home.send(new GetKeyRotationStatusCommand({ KeyId: closed.Arn }))).rejects.toMatchObject({
    name: "AccessDeniedException",
  });

  const grant = {
    Effect: "Allow",
    Principal: { AWS: HOME },
    Action: ["kms:Describe*", "kms:GetKeyRotationStatus"],
    Resource: "*",
  };
  const open = (await other.send(new CreateKeyCommand({ Policy: policy([grant]) }))).KeyMetadata!;
  const described = await home.send(new DescribeKeyCommand({ KeyId: open.Arn }));
  expect(described.KeyMetadata).toMatchObject({ KeyId: open.KeyId, Arn: open.Arn, AWSAccountId: OTHER });
  expect(await home.send(new GetKeyRotationStatusCommand({ KeyId: open.Arn }))).toMatchObject({
    KeyRotationEnabled: false,
  });
  // DescribeKey also takes the owner's alias ARN.
  await other.send(new CreateAliasCommand({ AliasName: "alias/central", TargetKeyId: open.KeyId }));
  const byAlias = await home.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:us-east-1:${OTHER}:alias/central` }));
  expect(byAlias.KeyMetadata?.KeyId).toBe(open.KeyId);
});

it("kms_cross_account: a Deny in the key policy wins; an ARN naming no key is NotFoundException; other operations never cross", async () => {
  const other = otherAccountKms(OTHER);
  const grant = { Effect: "Allow", Principal: "*", Action: "kms:DescribeKey", Resource: "*" };
  const deny = { Effect: "Deny", Principal: { AWS: `arn:aws:iam::${HOME}:root` }, Action: "kms:*", Resource: "*" };
  const denied = (await other.send(new CreateKeyCommand({ Policy: policy([grant, deny]) }))).KeyMetadata!;
  await expect(home.send(new DescribeKeyCommand({ KeyId: denied.Arn }))).rejects.toMatchObject({
    name: "AccessDeniedException",
  });
  await expect(
    home.send(
      new DescribeKeyCommand({ KeyId: `arn:aws:kms:us-east-1:${OTHER}:key/0b2f0c0e-1111-4222-8333-444455556666` }),
    ),
  ).rejects.toMatchObject({ name: "NotFoundException" });
  const open = (await other.send(new CreateKeyCommand({ Policy: policy([grant]) }))).KeyMetadata!;
  // ListResourceTags is not a cross-account operation: the key is not found in the caller's account.
  await expect(home.send(new ListResourceTagsCommand({ KeyId: open.Arn }))).rejects.toMatchObject({
    name: "NotFoundException",
  });
  // The owner's own calls are unchanged.
  expect((await other.send(new DescribeKeyCommand({ KeyId: open.Arn }))).KeyMetadata?.KeyId).toBe(open.KeyId);
});
