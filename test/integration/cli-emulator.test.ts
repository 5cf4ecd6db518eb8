import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { expect, it } from "vitest";
import { REPO, spawnCli } from "../support/cli.js";

/** Collects a child's output and resolves waits for text on either stream. */
function watch(child: ChildProcess) {
  const out = { stdout: "", stderr: "" };
  const waiters: { test: () => boolean; done: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.test()) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
    }
  };
  child.stdout?.on("data", (c: Buffer) => {
    out.stdout += c.toString();
    check();
  });
  child.stderr?.on("data", (c: Buffer) => {
    out.stderr += c.toString();
    check();
  });
  const until = (text: string | RegExp, ms: number) =>
    new Promise<void>((done, fail) => {
      const test = () => (typeof text === "string" ? out.stderr.includes(text) : text.test(out.stderr));
      if (test()) return done();
      const timer = setTimeout(() => fail(new Error(`no ${text} within ${ms / 1000} s:\n${out.stderr}`)), ms);
      waiters.push({
        test,
        done: () => {
          clearTimeout(timer);
          done();
        },
      });
    });
  return { out, until };
}

it("efs-guard emulator: scan and approve from other processes against the deployed workflow, then Ctrl-C stops everything", async () => {
  const child = spawn(process.execPath, [join(REPO, "bin", "efs-guard.mjs"), "emulator"], {
    cwd: REPO,
    env: { ...process.env, NODE_NO_WARNINGS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  const { out, until } = watch(child);
  try {
    await until("running; Ctrl-C stops it", 240_000);
    // stdout is only what to paste.
    const lines = out.stdout.trim().split("\n");
    expect(lines[0]).toBe("# EFS Guard on the embedded emulator: paste these into another shell");
    expect(lines[1]).toBe("unset AWS_SESSION_TOKEN AWS_PROFILE");
    const env = Object.fromEntries(
      lines.slice(2).map((l) => {
        const m = /^export ([A-Z_]+)=(.+)$/.exec(l);
        if (!m) throw new Error(`not an export: ${l}`);
        return [m[1]!, m[2]!];
      }),
    );
    expect(Object.keys(env).sort()).toEqual([
      "ALERTS_TOPIC_ARN",
      "AWS_ACCESS_KEY_ID",
      "AWS_DEFAULT_REGION",
      "AWS_ENDPOINT_URL",
      "AWS_REGION",
      "AWS_SECRET_ACCESS_KEY",
    ]);
    expect(env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const fileSystemId = /sample account: file system (fs-[0-9a-f]+)/.exec(out.stderr)?.[1];
    expect(fileSystemId).toBeDefined();

    // The functions ran on the sample account's events while the emulator kept running: the migration waits.
    await until(`approve the migration of ${fileSystemId} to an encrypted file system?`, 120_000);
    expect(out.stderr).toContain(`CreateFileSystem: efs-encrypted-at-rest ${fileSystemId}: migration-started`);

    const scan = await spawnCli(["scan"], env, 120_000);
    expect(scan.stderr).toBe("");
    expect(scan.code).toBe(1);
    expect(scan.stdout).toMatch(
      new RegExp(
        `^efs-encrypted-at-rest\\s+${fileSystemId}\\s+us-east-1\\s+non-compliant\\s+critical\\s+would-remediate`,
        "m",
      ),
    );
    expect(scan.stdout).toMatch(/^efs-nfs-ingress-restricted\s+sg-\w+\s+us-east-1\s+compliant\s/m);

    const approve = await spawnCli(["approve", fileSystemId!], env, 120_000);
    // What it sent and as whom goes to stderr while the workflow verifies it; stdout is the verdict.
    expect(approve.stderr).toMatch(
      /^sent the approval of \S+ \(migration of fs-[0-9a-f]+\) as \S+ through \S+efs-guard-approver; the workflow is verifying it \.\.\.\n$/,
    );
    expect(approve.code).toBe(0);
    const executionArn = `arn:aws:states:us-east-1:123456789012:execution:efs-guard-migration:efs-guard-migrate-${fileSystemId}`;
    expect(approve.stdout).toBe(
      `approved: approval of ${executionArn} (migration of ${fileSystemId}), verified by AWS STS as arn:aws:sts::123456789012:user/moto\n`,
    );
    // The emulator's hosts run the workflow's steps after the approval: the replacement is created and verified.
    await until(
      new RegExp(`${fileSystemId} has an encrypted replacement: fs-[0-9a-f]+ \\(cut-over pending\\)`),
      120_000,
    );
    const sfn = new SFNClient({ region: "us-east-1", endpoint: env.AWS_ENDPOINT_URL });
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe("SUCCEEDED");
  } finally {
    child.kill("SIGINT");
  }
  expect(await exited).toBe(0);
  expect(out.stderr).toContain("SIGINT: stopping the emulator ...");
  expect(out.stderr.trimEnd().split("\n").at(-1)).toBe("stopped: the emulator and its hosts are shut down");
  // Nothing left behind: the emulator's port no longer answers.
  const endpoint = /export AWS_ENDPOINT_URL=(\S+)/.exec(out.stdout)![1]!;
  await expect(fetch(`${endpoint}/moto-api/data.json`)).rejects.toThrow();
}, 600_000);
