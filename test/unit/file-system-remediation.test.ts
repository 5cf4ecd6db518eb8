import {
  DescribeFileSystemPolicyCommand,
  type EFSClient,
  PolicyNotFound,
  PutFileSystemPolicyCommand,
} from "@aws-sdk/client-efs";
import { DescribeKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { describeKeyFacts } from "../../shared/aws/kms-describe.js";
import { mergeTlsDeny } from "../../shared/controls/policy.js";
import type { RemediationPlan } from "../../shared/controls/types.js";
import { enforceTls, MAX_POLICY_ATTEMPTS } from "../../shared/guards/tls-write.js";
import { GuardError } from "../../shared/runtime/errors.js";

const FS = "fs-0123456789abcdef0";
const ARN = `arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/${FS}`;

/** A stand-in EFS client for error paths the emulator cannot produce on demand. */
function fakeEfs(onSend: (command: unknown) => unknown) {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      sent.push(command);
      return onSend(command);
    },
  } as unknown as EFSClient;
  return { client, sent };
}

function planFor(current: string | undefined): Extract<RemediationPlan, { kind: "put-file-system-policy" }> {
  const merge = mergeTlsDeny(current, ARN);
  if (merge.status !== "merged") throw new Error("expected a merge");
  return {
    kind: "put-file-system-policy",
    fileSystemId: FS,
    fileSystemArn: ARN,
    policy: merge.policy,
    basedOn: current ?? null,
    describe: "",
    done: "",
  };
}

const allow = (n: number) =>
  JSON.stringify({
    Statement: [{ Sid: `S${n}`, Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "*" }],
  });

describe("enforceTls error handling", () => {
  it("gives up after bounded retries when the policy keeps changing, writing nothing, retryable", async () => {
    let n = 0;
    const { client, sent } = fakeEfs((command) => {
      if (command instanceof DescribeFileSystemPolicyCommand) {
        n += 1;
        return { Policy: allow(n) };
      }
      throw new Error("unexpected write");
    });
    const error = await enforceTls(client, planFor(allow(0))).catch((e) => e);
    expect(error).toBeInstanceOf(GuardError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`changed ${MAX_POLICY_ATTEMPTS} times`);
    expect(sent.some((c) => c instanceof PutFileSystemPolicyCommand)).toBe(false);
    expect(sent).toHaveLength(MAX_POLICY_ATTEMPTS);
  });

  it("never reports success when EFS does not confirm a TLS-enforcing policy", async () => {
    const { client } = fakeEfs((command) => {
      if (command instanceof DescribeFileSystemPolicyCommand) {
        throw new PolicyNotFound({ message: "none", $metadata: {} });
      }
      return { Policy: allow(1) };
    });
    await expect(enforceTls(client, planFor(undefined))).rejects.toThrow(/did not confirm/);
  });

  it("refuses to write when the live policy became unreadable", async () => {
    const { client, sent } = fakeEfs(() => ({ Policy: "{broken" }));
    await expect(enforceTls(client, planFor(allow(0)))).rejects.toMatchObject({ code: "POLICY_INVALID" });
    expect(sent.some((c) => c instanceof PutFileSystemPolicyCommand)).toBe(false);
  });
});

describe("describeKeyFacts error handling", () => {
  const fakeKms = (error: Error) =>
    ({
      send: async (command: unknown) => {
        if (command instanceof DescribeKeyCommand) throw error;
        return {};
      },
    }) as unknown as KMSClient;

  it("a key the guard may not describe is an error fact, not a guess", async () => {
    const denied = Object.assign(new Error("not authorized"), {
      name: "AccessDeniedException",
      $metadata: { httpStatusCode: 400 },
    });
    expect(await describeKeyFacts(fakeKms(denied), "arn:aws:kms:us-east-1:1:key/x")).toEqual({
      error: expect.stringContaining("AccessDeniedException"),
    });
  });

  it("a throttled DescribeKey is thrown so the event is retried", async () => {
    const throttled = Object.assign(new Error("slow down"), {
      name: "ThrottlingException",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(describeKeyFacts(fakeKms(throttled), "k")).rejects.toMatchObject({ retryable: true });
  });
});

describe("writes to a file system that is still creating", () => {
  it("are retryable, so the event comes back once the file system is available", async () => {
    const creating = Object.assign(new Error("File system is in creating state"), {
      name: "IncorrectFileSystemLifeCycleState",
      $metadata: { httpStatusCode: 409 },
    });
    const { client } = fakeEfs((command) => {
      if (command instanceof DescribeFileSystemPolicyCommand) {
        throw new PolicyNotFound({ message: "none", $metadata: {} });
      }
      throw creating;
    });
    await expect(enforceTls(client, planFor(undefined))).rejects.toMatchObject({
      awsCode: "IncorrectFileSystemLifeCycleState",
      retryable: true,
    });
  });
});
