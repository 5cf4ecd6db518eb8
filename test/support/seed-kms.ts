import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import { REGION, Seeder } from "../../emulator/seed.js";

export interface SeededKey {
  keyId: string;
  arn: string;
  alias: string;
}

/** Keys and the file systems they encrypt, seeded through the real SDK. */
export class KeySeeder extends Seeder {
  readonly kms = new KMSClient({ region: REGION });

  async key(options: { tags?: Record<string, string>; rotation?: number | false } = {}): Promise<SeededKey> {
    const out = await this.kms.send(
      new CreateKeyCommand({
        Description: "efs data",
        ...(options.tags
          ? { Tags: Object.entries(options.tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })) }
          : {}),
      }),
    );
    const keyId = out.KeyMetadata!.KeyId!;
    const alias = `alias/efs-${Math.random().toString(36).slice(2, 8)}`;
    await this.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    if (options.rotation) {
      await this.kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: options.rotation }));
    }
    return { keyId, arn: out.KeyMetadata!.Arn!, alias };
  }

  /** A key and one file system encrypted with it (created with the key id, as the console does). */
  async keyWithFileSystem(options: Parameters<KeySeeder["key"]>[0] = {}) {
    const key = await this.key(options);
    const fileSystemId = await this.fileSystem({ encrypted: true, kmsKeyId: key.keyId });
    return { ...key, fileSystemId };
  }

  async disableRotation(keyId: string) {
    await this.kms.send(new DisableKeyRotationCommand({ KeyId: keyId }));
  }

  async disable(keyId: string) {
    await this.kms.send(new DisableKeyCommand({ KeyId: keyId }));
  }

  async scheduleDeletion(keyId: string, days = 7) {
    const out = await this.kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: days }));
    return out.DeletionDate!;
  }

  /** Replaces the key policy (as a caller with kms:PutKeyPolicy would). */
  async putPolicy(keyId: string, policy: string | object) {
    const Policy = typeof policy === "string" ? policy : JSON.stringify(policy);
    await this.kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: "default", Policy }));
  }

  async rotation(keyId: string) {
    const out = await this.kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
    return { enabled: out.KeyRotationEnabled, period: out.RotationPeriodInDays };
  }

  async state(keyId: string) {
    const out = await this.kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    return out.KeyMetadata!.KeyState;
  }
}

/**
 * A KMS client acting as another account: moto tells accounts apart by the x-moto-account-id header (its
 * multi-account support), which this client adds to every request.
 */
export function otherAccountKms(account: string, region = REGION): KMSClient {
  return asAccount(new KMSClient({ region }), account);
}

/** Any SDK client acting as another account, the same way (the emulator's administrator in that account). */
export function asAccount<C extends { middlewareStack: { add: (...args: any[]) => void } }>(
  client: C,
  account: string,
): C {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: { request: unknown }) => {
      (args.request as { headers: Record<string, string> }).headers["x-moto-account-id"] = account;
      return next(args);
    },
    { step: "build", name: "otherAccount" },
  );
  return client;
}
