import { CreateVpcCommand, DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeFileSystemsCommand, EFSClient } from "@aws-sdk/client-efs";
import { KMSClient, ListKeysCommand } from "@aws-sdk/client-kms";
import { ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { toAwsCallError } from "../../shared/aws/errors.js";
import { resetEmulator } from "../support/emulator.js";
import { FaultProxy } from "./fault-proxy.js";

const region = "us-east-1";
let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await FaultProxy.start({ target: inject("emulatorEndpoint"), seed: 7 });
});
afterAll(() => proxy.stop());
beforeEach(async () => {
  await resetEmulator();
  proxy.configure({ rate: 0, faults: ["throttle", "server-error", "unavailable", "reset", "reset-after", "slow"] });
  proxy.configure({ services: undefined });
  proxy.resetCounters();
});

/** One attempt only, so the test sees exactly what the proxy answered. */
const once = { region, endpoint: "", maxAttempts: 1 };
const clients = () => {
  const c = { ...once, endpoint: proxy.url };
  return {
    ec2: () => new EC2Client(c).send(new DescribeVpcsCommand({})),
    sns: () => new SNSClient(c).send(new ListTopicsCommand({})),
    kms: () => new KMSClient(c).send(new ListKeysCommand({})),
    efs: () => new EFSClient(c).send(new DescribeFileSystemsCommand({})),
    sqs: () => new SQSClient(c).send(new ListQueuesCommand({})),
  };
};

async function failure(fn: () => Promise<unknown>): Promise<any> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

describe("fault proxy", () => {
  it("passes everything through at rate 0 and counts it", async () => {
    const c = clients();
    await c.ec2();
    await c.sns();
    await c.kms();
    expect(proxy.counters).toMatchObject({ requests: 3, forwarded: 3, faulted: 0 });
    expect(Object.keys(proxy.counters.byService).sort()).toEqual(["ec2", "kms", "sns"]);
  });

  it.each([
    ["ec2", "throttle", "RequestLimitExceeded", 503],
    ["sns", "throttle", "Throttling", 400],
    ["kms", "throttle", "ThrottlingException", 400],
    ["efs", "throttle", "ThrottlingException", 400],
    ["sqs", "throttle", "ThrottlingException", 400],
    ["ec2", "server-error", "InternalError", 500],
    ["sns", "server-error", "InternalFailure", 500],
    ["kms", "server-error", "InternalServerError", 500],
    ["ec2", "unavailable", "Unavailable", 503],
    ["efs", "unavailable", "ServiceUnavailableException", 503],
  ] as const)(
    "%s %s: the SDK reads %s (%i), and the guard's error mapping calls it retryable",
    async (svc, kind, code, status) => {
      proxy.configure({ rate: 1, faults: [kind] });
      const error = await failure(clients()[svc]);
      expect(error.name).toBe(code);
      expect(error.$metadata?.httpStatusCode).toBe(status);
      expect(toAwsCallError(`${svc}:x`, error)).toMatchObject({ awsCode: code, retryable: true });
      expect(proxy.counters).toMatchObject({ faulted: 1, forwarded: 0 });
      expect(proxy.counters.byKind[kind]).toBe(1);
    },
  );

  it("reset: the connection drops before the emulator sees the request; retryable", async () => {
    proxy.configure({ rate: 1, faults: ["reset"] });
    const error = await failure(() =>
      new EC2Client({ ...once, endpoint: proxy.url }).send(new CreateVpcCommand({ CidrBlock: "10.9.0.0/16" })),
    );
    expect(toAwsCallError("ec2:CreateVpc", error).retryable).toBe(true);
    expect(proxy.counters.forwarded).toBe(0);
    const direct = new EC2Client({ region, endpoint: inject("emulatorEndpoint") });
    const vpcs = await direct.send(new DescribeVpcsCommand({}));
    expect(vpcs.Vpcs?.some((v) => v.CidrBlock === "10.9.0.0/16")).toBe(false);
  });

  it("reset-after: the call takes effect, the caller only sees a dropped connection", async () => {
    proxy.configure({ rate: 1, faults: ["reset-after"] });
    const error = await failure(() =>
      new EC2Client({ ...once, endpoint: proxy.url }).send(new CreateVpcCommand({ CidrBlock: "10.8.0.0/16" })),
    );
    expect(toAwsCallError("ec2:CreateVpc", error).retryable).toBe(true);
    expect(proxy.counters.forwarded).toBe(1);
    const direct = new EC2Client({ region, endpoint: inject("emulatorEndpoint") });
    const vpcs = await direct.send(new DescribeVpcsCommand({}));
    expect(vpcs.Vpcs?.some((v) => v.CidrBlock === "10.8.0.0/16")).toBe(true);
  });

  it("slow: the answer arrives late but intact", async () => {
    proxy.configure({ rate: 1, faults: ["slow"], slowMs: 250 });
    const started = Date.now();
    await clients().ec2();
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(proxy.counters.byKind.slow).toBe(1);
  });

  it("is deterministic for a seed (sequential calls) and roughly honours the rate", async () => {
    const outcomes = async (seed: number) => {
      proxy.configure({ rate: 0.3, seed, faults: ["throttle", "server-error"] });
      const seen: string[] = [];
      for (let i = 0; i < 60; i++) {
        const r = await clients()
          .ec2()
          .then(
            () => "ok",
            (e) => e.name,
          );
        seen.push(r);
      }
      return seen;
    };
    const a = await outcomes(42);
    const b = await outcomes(42);
    const c = await outcomes(43);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    const faults = a.filter((x) => x !== "ok").length;
    expect(faults).toBeGreaterThan(6);
    expect(faults).toBeLessThan(32);
  });

  it("faults only the listed services", async () => {
    proxy.configure({ rate: 1, faults: ["throttle"], services: ["ec2"] });
    await clients().sns();
    await clients().sqs();
    await failure(clients().ec2);
    expect(proxy.counters.byService).toMatchObject({
      ec2: { requests: 1, faulted: 1 },
      sns: { requests: 1, faulted: 0 },
      sqs: { requests: 1, faulted: 0 },
    });
  });

  it("the SDK's own retries (5 attempts) get through 30% faults", async () => {
    proxy.configure({ rate: 0.3, seed: 9, faults: ["throttle", "server-error", "unavailable", "reset"] });
    const ec2 = new EC2Client({ region, endpoint: proxy.url, maxAttempts: 5, retryMode: "adaptive" });
    for (let i = 0; i < 20; i++) await ec2.send(new DescribeVpcsCommand({}));
    expect(proxy.counters.faulted).toBeGreaterThan(0);
    expect(proxy.counters.forwarded).toBe(20);
  });
});
