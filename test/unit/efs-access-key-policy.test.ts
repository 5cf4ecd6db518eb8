import type { KMSClient } from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/schema.js";
import type { FileSystemFacts } from "../../shared/controls/file-system.js";
import { assessNewFileSystemKey } from "../../shared/guards/efs-access.js";
import { fixedClock } from "../../shared/runtime/clock.js";

/**
 * The error handling of efs-key-policy-restricted on CreateFileSystem in the access function, with a mocked KMS
 * client (the emulator grants every key policy read): a key policy that refuses the guard is reported as not
 * assessable, never retried; a throttled read is retried (thrown); nothing is read for what is not this account's.
 */
const clock = fixedClock("2026-12-01T12:00:00Z");
const config = parseConfig({});
const OWN = "123456789012";
const KEY = `arn:aws:kms:us-east-1:${OWN}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const fs: FileSystemFacts = {
  fileSystemId: "fs-0a",
  region: "us-east-1",
  account: OWN,
  lifeCycleState: "available",
  encrypted: true,
  kmsKeyId: KEY,
};

function kmsAnswering(error: { name: string; status: number }) {
  const sent: string[] = [];
  const kms = {
    send: async (command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      throw Object.assign(new Error(`${error.name} from KMS`), {
        name: error.name,
        $fault: error.status >= 500 ? "server" : "client",
        $metadata: { httpStatusCode: error.status },
      });
    },
  } as unknown as KMSClient;
  return { kms, sent };
}

describe("efs-key-policy-restricted on CreateFileSystem (access function): failed reads", () => {
  it("GetKeyPolicy refused (a key policy that keeps the guard out while opening the key): not assessable, medium", async () => {
    const { kms, sent } = kmsAnswering({ name: "AccessDeniedException", status: 400 });
    const [finding, ...more] = await assessNewFileSystemKey(kms, fs, OWN, config, clock);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({
      control: "efs-key-policy-restricted",
      verdict: "non-compliant",
      severity: "medium",
      evidence: { assessable: false, fileSystems: ["fs-0a"], keyAccount: OWN },
    });
    expect(finding?.summary).toContain("cannot be assessed: KMS refuses GetKeyPolicy to EFS Guard");
    expect(sent).toEqual(["GetKeyPolicyCommand"]);
  });

  it("throttled: thrown, so the event is retried", async () => {
    const { kms } = kmsAnswering({ name: "ThrottlingException", status: 400 });
    await expect(assessNewFileSystemKey(kms, fs, OWN, config, clock)).rejects.toMatchObject({ retryable: true });
  });

  it("no call for an unencrypted file system, a gone one, or another account's key", async () => {
    const { kms, sent } = kmsAnswering({ name: "AccessDeniedException", status: 400 });
    const other = `arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    for (const facts of [
      { ...fs, encrypted: false, kmsKeyId: undefined },
      { ...fs, lifeCycleState: "deleting" },
      { ...fs, kmsKeyId: other },
    ] as FileSystemFacts[]) {
      expect(await assessNewFileSystemKey(kms, facts, OWN, config, clock)).toEqual([]);
    }
    expect(sent).toEqual([]);
  });
});
