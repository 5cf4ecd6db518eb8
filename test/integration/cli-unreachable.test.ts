import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../emulator/emulator.js";
import { authorizeIngressEvent } from "../../events/build.js";
import { blackHole } from "../support/black-hole.js";
import { type CliRun, spawnCli } from "../support/cli.js";

/**
 * An endpoint that accepts connections and never answers. Every SDK client has a connection timeout (3 s) and a
 * request timeout (10 s, shared/aws/sdk-config.ts), retried like any transient failure: a call gives up after 5
 * attempts, about 50 s, and the commands say so as they do for a refused connection, with the same exit code.
 * Without the timeouts these commands hung until killed (here: the 120 s kill, exit -1).
 */
const NO_ANSWER = "no answer within 10 s (TimeoutError, 5 attempts)";
const lines = (run: CliRun) => run.stderr.trim().split("\n");

let hole: Awaited<ReturnType<typeof blackHole>>;
let file: string;
beforeAll(async () => {
  hole = await blackHole();
  file = join(mkdtempSync(join(tmpdir(), "efs-guard-unreachable-")), "event.json");
  writeFileSync(
    file,
    JSON.stringify(
      authorizeIngressEvent({ groupId: "sg-0123456789abcdef0", ruleId: "sgr-0123456789abcdef0", cidr: "0.0.0.0/0" }),
    ),
  );
});
afterAll(async () => {
  await hole.close();
});

describe("a black-holed endpoint: the same message and exit code as a refused connection, within a minute", () => {
  it("scan, doctor and replay each stop with exit 2 and say that AWS cannot be reached", {
    timeout: 150_000,
  }, async () => {
    const env = { AWS_ENDPOINT_URL: hole.endpoint, AWS_REGION: "us-east-1" };
    const started = Date.now();
    const [scan, doctor, replay] = await Promise.all([
      spawnCli(["scan", "--json"], env, 120_000),
      spawnCli(["doctor", "--region", "us-east-1"], env, 120_000),
      spawnCli(["replay", "--json", file], env, 120_000),
    ]);
    expect(Date.now() - started).toBeLessThan(100_000);

    expect(scan.code, scan.stderr).toBe(2);
    const reach = `cannot reach AWS at ${hole.endpoint}: ${NO_ANSWER}; check AWS_ENDPOINT_URL / network / credentials`;
    expect(lines(scan)).toEqual([`efs-guard scan: ${reach}`]);
    // The scan stops at the first call that got no answer instead of waiting as long for every other guard.
    expect(JSON.parse(scan.stdout).errors).toEqual([{ guard: "nfs-ingress", region: "us-east-1", message: reach }]);

    expect(doctor.code, doctor.stderr).toBe(2);
    expect(lines(doctor)).toEqual([`efs-guard doctor: cannot reach AWS (${hole.endpoint}): ETIMEDOUT: ${NO_ANSWER}`]);

    expect(replay.code, replay.stderr).toBe(2);
    // After its banner (what it would act on), the same two lines as for a refused connection.
    expect(lines(replay).slice(-2)).toEqual([
      `efs-guard replay: ${reach}`,
      `efs-guard replay: stopped at ${file}; nothing after it was replayed`,
    ]);
    expect(JSON.parse(replay.stdout.trim())).toMatchObject({
      file,
      outcome: "failed",
      error: { code: "TimeoutError" },
    });
  });

  it("a refused connection gives the same lines with its own cause", { timeout: 60_000 }, async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const env = { AWS_ENDPOINT_URL: endpoint, AWS_REGION: "us-east-1" };
    const [scan, doctor] = await Promise.all([
      spawnCli(["scan", "--json"], env),
      spawnCli(["doctor", "--region", "us-east-1"], env),
    ]);
    expect(scan.code).toBe(2);
    expect(lines(scan)).toEqual([
      `efs-guard scan: cannot reach AWS at ${endpoint}: connect ECONNREFUSED 127.0.0.1:${port}; check AWS_ENDPOINT_URL / network / credentials`,
    ]);
    expect(doctor.code).toBe(2);
    expect(lines(doctor)).toEqual([
      `efs-guard doctor: cannot reach AWS (${endpoint}): ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
  });
});
