import { DescribeNetworkInterfacesCommand } from "@aws-sdk/client-ec2";
import { DescribeFileSystemsCommand } from "@aws-sdk/client-efs";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
} from "@aws-sdk/client-kms";
import { beforeEach, expect, it } from "vitest";
import { Seeder } from "../../emulator/seed.js";
import { resetEmulator } from "../support/emulator.js";

beforeEach(resetEmulator);

it("efs_mount_target_eni: a mount target's interface is described as AWS describes it and carries its groups", async () => {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc();
  const groupId = await seed.securityGroup(vpcId);
  const fileSystemId = await seed.fileSystem();
  const mountTargetId = await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
  const out = await seed.ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [
        { Name: "group-id", Values: [groupId] },
        { Name: "description", Values: ["EFS mount target for *"] },
      ],
    }),
  );
  expect(out.NetworkInterfaces?.map((n) => n.Description)).toEqual([
    `EFS mount target for ${fileSystemId} (${mountTargetId})`,
  ]);
});

it("kms_rotation_period: EnableKeyRotation stores RotationPeriodInDays, GetKeyRotationStatus reports it, the range is checked", async () => {
  const kms = new KMSClient({ region: "us-east-1" });
  const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  expect(await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).toMatchObject({
    KeyRotationEnabled: false,
  });
  await kms.send(new EnableKeyRotationCommand({ KeyId: keyId }));
  const standard = await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
  expect(standard).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 365 });
  expect(standard.NextRotationDate).toBeInstanceOf(Date);
  // Calling it again changes the period of a key that already rotates, as AWS does.
  await kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 90 }));
  expect(await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).toMatchObject({
    KeyRotationEnabled: true,
    RotationPeriodInDays: 90,
  });
  await expect(
    kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 89 })),
  ).rejects.toMatchObject({ name: "ValidationException" });
  await kms.send(new DisableKeyRotationCommand({ KeyId: keyId }));
  const off = await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
  expect(off.KeyRotationEnabled).toBe(false);
  expect(off.RotationPeriodInDays).toBeUndefined();
});

it("efs_kms_key_arn: a file system reports its key as an ARN whatever was sent; the default key is AWS managed", async () => {
  const seed = new Seeder();
  const kms = new KMSClient({ region: "us-east-1" });
  const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
  await kms.send(new CreateAliasCommand({ AliasName: "alias/efs-data", TargetKeyId: key.KeyId! }));
  const sent = [key.KeyId!, key.Arn!, "alias/efs-data", `arn:aws:kms:us-east-1:${key.AWSAccountId}:alias/efs-data`];
  for (const kmsKeyId of sent) {
    const id = await seed.fileSystem({ encrypted: true, kmsKeyId });
    const fs = (await seed.efs.send(new DescribeFileSystemsCommand({ FileSystemId: id }))).FileSystems![0]!;
    expect(fs.KmsKeyId, kmsKeyId).toBe(key.Arn);
  }
  const byDefault = await seed.fileSystem({ encrypted: true });
  const again = await seed.fileSystem({ encrypted: true });
  const keys = await Promise.all(
    [byDefault, again].map(
      async (id) =>
        (await seed.efs.send(new DescribeFileSystemsCommand({ FileSystemId: id }))).FileSystems![0]!.KmsKeyId,
    ),
  );
  expect(keys[0]).toBe(keys[1]);
  const managed = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/elasticfilesystem" }))).KeyMetadata!;
  expect(managed).toMatchObject({ Arn: keys[0], KeyManager: "AWS" });
  const plain = await seed.fileSystem({ encrypted: false });
  const plainFs = (await seed.efs.send(new DescribeFileSystemsCommand({ FileSystemId: plain }))).FileSystems![0]!;
  expect(plainFs.KmsKeyId).toBeUndefined();
});

it("ec2_security_group_atomic: of 8 concurrent revokes of one rule, exactly one succeeds, the others find it gone", async () => {
  const { RevokeSecurityGroupIngressCommand } = await import("@aws-sdk/client-ec2");
  const seed = new Seeder();
  const { vpcId } = await seed.vpc();
  for (let round = 0; round < 5; round++) {
    const groupId = await seed.securityGroup(vpcId);
    const rule = await seed.nfsFrom(groupId, "0.0.0.0/0");
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () =>
        seed.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [rule] })).then(
          () => "revoked",
          (e: Error) => e.name,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "revoked")).toHaveLength(1);
    expect(outcomes.filter((o) => o !== "revoked").every((o) => o.endsWith(".NotFound"))).toBe(true);
  }
});

it("events_pattern_arrays: a pattern field inside an array of objects matches when any element matches", async () => {
  const { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } = await import(
    "@aws-sdk/client-eventbridge"
  );
  const { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } = await import(
    "@aws-sdk/client-sqs"
  );
  const events = new EventBridgeClient({ region: "us-east-1" });
  const sqs = new SQSClient({ region: "us-east-1" });
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "pattern-arrays" }))).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] })))
    .Attributes!.QueueArn!;
  await events.send(
    new PutRuleCommand({
      Name: "tags",
      EventPattern: JSON.stringify({
        source: ["aws.ec2"],
        detail: { requestParameters: { tagSet: { items: { key: [{ prefix: "efs-guard:" }] } } } },
      }),
    }),
  );
  await events.send(new PutTargetsCommand({ Rule: "tags", Targets: [{ Id: "q", Arn: arn }] }));
  const put = (keys: string[]) =>
    events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: "aws.ec2",
            DetailType: "AWS API Call via CloudTrail",
            Detail: JSON.stringify({
              requestParameters: { tagSet: { items: keys.map((key) => ({ key, value: "v" })) } },
            }),
          },
        ],
      }),
    );
  await put(["Name", "team"]);
  await put(["Name", "efs-guard:exempt"]);
  const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
  const delivered = (received.Messages ?? []).map((m) =>
    JSON.parse(m.Body!).detail.requestParameters.tagSet.items.map((i: { key: string }) => i.key),
  );
  expect(delivered).toEqual([["Name", "efs-guard:exempt"]]);
});
