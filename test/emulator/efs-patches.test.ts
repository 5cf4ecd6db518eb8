import {
  DeleteFileSystemPolicyCommand,
  DescribeBackupPolicyCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  PutBackupPolicyCommand,
  PutFileSystemPolicyCommand,
} from "@aws-sdk/client-efs";
import { CreateKeyCommand, DescribeKeyCommand, GetKeyRotationStatusCommand, KMSClient } from "@aws-sdk/client-kms";
import { beforeEach, describe, expect, it } from "vitest";
import { REGION, Seeder } from "../../emulator/seed.js";
import { resetEmulator } from "../support/emulator.js";
import { errorName } from "../support/errors.js";

beforeEach(resetEmulator);

const policy = (fileSystemId: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: "elasticfilesystem:ClientMount",
        Resource: `arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/${fileSystemId}`,
      },
    ],
  });

describe("efs_policies", () => {
  it("DeleteFileSystemPolicy removes the policy, and succeeds again when there is none", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId: fs, Policy: policy(fs) }));
    expect((await seed.efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: fs }))).Policy).toBe(policy(fs));
    await seed.efs.send(new DeleteFileSystemPolicyCommand({ FileSystemId: fs }));
    expect(await errorName(seed.efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: fs })))).toBe(
      "PolicyNotFound",
    );
    await seed.efs.send(new DeleteFileSystemPolicyCommand({ FileSystemId: fs }));
  });

  it("PutBackupPolicy sets ENABLED and DISABLED, DescribeBackupPolicy returns it, other values are refused", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    expect(await errorName(seed.efs.send(new DescribeBackupPolicyCommand({ FileSystemId: fs })))).toBe(
      "PolicyNotFound",
    );
    const on = await seed.efs.send(
      new PutBackupPolicyCommand({ FileSystemId: fs, BackupPolicy: { Status: "ENABLED" } }),
    );
    expect(on.BackupPolicy?.Status).toBe("ENABLED");
    expect((await seed.efs.send(new DescribeBackupPolicyCommand({ FileSystemId: fs }))).BackupPolicy?.Status).toBe(
      "ENABLED",
    );
    await seed.efs.send(new PutBackupPolicyCommand({ FileSystemId: fs, BackupPolicy: { Status: "DISABLED" } }));
    expect((await seed.efs.send(new DescribeBackupPolicyCommand({ FileSystemId: fs }))).BackupPolicy?.Status).toBe(
      "DISABLED",
    );
    expect(
      await errorName(
        seed.efs.send(new PutBackupPolicyCommand({ FileSystemId: fs, BackupPolicy: { Status: "ENABLING" } })),
      ),
    ).toBe("ValidationException");
  });

  it("policy and backup calls on an unknown file system answer FileSystemNotFound, not a server fault", async () => {
    const seed = new Seeder();
    const FileSystemId = "fs-0000000000000000a";
    for (const command of [
      new DescribeFileSystemPolicyCommand({ FileSystemId }),
      new PutFileSystemPolicyCommand({ FileSystemId, Policy: policy(FileSystemId) }),
      new DeleteFileSystemPolicyCommand({ FileSystemId }),
      new DescribeBackupPolicyCommand({ FileSystemId }),
      new PutBackupPolicyCommand({ FileSystemId, BackupPolicy: { Status: "ENABLED" } }),
    ]) {
      expect(await errorName(seed.efs.send(command as any)), command.constructor.name).toBe("FileSystemNotFound");
    }
  });
});

describe("kms_aws_managed_keys", () => {
  it("an encrypted file system without KmsKeyId gets the AWS managed key aws/elasticfilesystem", async () => {
    const seed = new Seeder();
    const kms = new KMSClient({ region: REGION });
    const fs = await seed.fileSystem({ encrypted: true });
    const described = await seed.efs.send(new DescribeFileSystemsCommand({ FileSystemId: fs }));
    const keyArn = described.FileSystems?.[0]?.KmsKeyId;
    expect(keyArn).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\/[0-9a-f-]{36}$/);
    const key = (await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata;
    expect(key?.KeyManager).toBe("AWS");
    const byAlias = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/elasticfilesystem" }))).KeyMetadata;
    expect(byAlias?.Arn).toBe(keyArn);
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: key!.KeyId }))).KeyRotationEnabled).toBe(true);
    // A second file system uses the same default key, as in AWS.
    const other = await seed.fileSystem({ encrypted: true });
    const again = await seed.efs.send(new DescribeFileSystemsCommand({ FileSystemId: other }));
    expect(again.FileSystems?.[0]?.KmsKeyId).toBe(keyArn);
  });

  it("customer keys stay CUSTOMER and an unencrypted file system has no key", async () => {
    const seed = new Seeder();
    const kms = new KMSClient({ region: REGION });
    const key = (await kms.send(new CreateKeyCommand({ Description: "efs" }))).KeyMetadata!;
    expect(key.KeyManager).toBe("CUSTOMER");
    const fs = await seed.fileSystem({ encrypted: true, kmsKeyId: key.Arn! });
    const plain = await seed.fileSystem();
    const out = await seed.efs.send(new DescribeFileSystemsCommand({}));
    const byId = Object.fromEntries((out.FileSystems ?? []).map((f) => [f.FileSystemId, f]));
    expect(byId[fs]?.KmsKeyId).toBe(key.Arn);
    expect(byId[plain]?.Encrypted).toBe(false);
    expect(byId[plain]?.KmsKeyId).toBeUndefined();
  });
});
