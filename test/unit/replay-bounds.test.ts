import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { runReplay } from "../../bin/commands/replay.js";
import { CONFIG_LIMITS, loadConfig } from "../../bin/config.js";
import { INPUT_LIMITS, readItems } from "../../bin/replay-input.js";
import { authorizeIngressEvent } from "../../events/build.js";
import { NFS_INGRESS_EVENTS } from "../../events/patterns.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { fixedClock } from "../../shared/runtime/clock.js";
import { RecordingNotifier } from "../support/deps.js";

const dir = () => mkdtempSync(join(tmpdir(), "efs-guard-bounds-"));
const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
const event = () => authorizeIngressEvent({ groupId: "sg-0123456789abcdef0", ruleId: "sgr-1", cidr: "0.0.0.0/0" });

/** A guard that finds every group compliant, so replay runs without AWS. */
const quiet: Guard = {
  name: "quiet",
  events: NFS_INGRESS_EVENTS,
  assess: async (trigger) => [
    {
      control: "efs-nfs-ingress-restricted",
      resource: { type: "security-group", id: (trigger as { groupId: string }).groupId, region: "us-east-1" },
      verdict: "compliant",
      severity: "info",
      summary: "ok",
      evidence: {},
    },
  ],
  inventory: async () => [],
  remediate: async () => ({ status: "done" }),
};

async function replay(args: string[], cwd: string) {
  let stdout = "";
  let stderr = "";
  const io = {
    out: (t: string) => {
      stdout += `${t}\n`;
    },
    err: (t: string) => {
      stderr += `${t}\n`;
    },
  };
  const code = await runReplay(args, io, {
    guards: [quiet],
    clock: fixedClock("2026-11-26T12:00:00Z"),
    cwd,
    notifier: new RecordingNotifier(),
  });
  return { code, stdout, stderr };
}

describe("replay inputs are bounded: a bad file is named and the rest still runs", () => {
  it("100,000 levels of nesting: malformed, no stack overflow, the next file is replayed", async () => {
    const d = dir();
    writeFileSync(join(d, "a-deep.json"), deep(100_000));
    writeFileSync(join(d, "b-ok.json"), JSON.stringify(event()));
    writeFileSync(join(d, "cdk.json"), "{}");
    const { code, stdout, stderr } = await replay([join(d, "a-deep.json"), join(d, "b-ok.json")], d);
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(d, "a-deep.json")}: malformed: JSON nested deeper than 256 levels`);
    expect(stdout).toContain(`${join(d, "b-ok.json")}: AuthorizeSecurityGroupIngress (ec2.amazonaws.com): evaluated`);
    expect(stdout).toContain("1 event(s) from 2 file(s): 1 evaluated, 0 ignored, 0 failed, 1 malformed");
  });

  it("depth up to the limit is read; one more level is refused", () => {
    const d = dir();
    writeFileSync(join(d, "at.json"), deep(INPUT_LIMITS.depth));
    writeFileSync(join(d, "over.json"), deep(INPUT_LIMITS.depth + 1));
    expect(readItems(join(d, "at.json"))[0]?.kind).toBe("malformed"); // an array of arrays: not events, but read
    expect(readItems(join(d, "at.json"))[0]).toMatchObject({ problem: "an array of 1 is not an event object" });
    expect(readItems(join(d, "over.json"))).toEqual([
      { kind: "malformed", file: join(d, "over.json"), problem: "JSON nested deeper than 256 levels" },
    ]);
  });

  it("a gzip bomb stops at the decompression limit (no 4.4 GB in memory)", () => {
    const d = dir();
    // 64 MiB of zeros compress to about 64 kB; the limit here is 1 MiB, so the bomb is 64 times over it.
    const bomb = gzipSync(Buffer.alloc(64 * 2 ** 20));
    writeFileSync(join(d, "bomb.json.gz"), bomb);
    const before = process.memoryUsage().rss;
    const items = readItems(join(d, "bomb.json.gz"), { ...INPUT_LIMITS, jsonBytes: 2 ** 20 });
    expect(items).toEqual([
      {
        kind: "malformed",
        file: join(d, "bomb.json.gz"),
        problem: "gzip data that decompresses to more than 1048576 bytes",
      },
    ]);
    expect(process.memoryUsage().rss - before).toBeLessThan(32 * 2 ** 20);
    expect(INPUT_LIMITS).toEqual({ fileBytes: 64 * 2 ** 20, jsonBytes: 512 * 2 ** 20, depth: 256 });
  });

  it("a file over the size limit is refused before it is read", () => {
    const d = dir();
    writeFileSync(join(d, "big.json"), Buffer.alloc(2048, 0x20));
    expect(readItems(join(d, "big.json"), { ...INPUT_LIMITS, fileBytes: 1024 })).toEqual([
      {
        kind: "malformed",
        file: join(d, "big.json"),
        problem: "cannot read the file: 2048 bytes, more than the 1024 allowed",
      },
    ]);
  });
});

describe("--config is bounded: a device, a FIFO or a huge file fails at once with its name", () => {
  it("/dev/zero is a device, read not at all", () => {
    const started = Date.now();
    expect(() => loadConfig("/dev/zero")).toThrow("cannot read config file /dev/zero: a device, not a regular file");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("a FIFO without a writer does not block", () => {
    const d = dir();
    const fifo = join(d, "config.fifo");
    execFileSync("mkfifo", [fifo]);
    const started = Date.now();
    expect(() => loadConfig(fifo)).toThrow(`cannot read config file ${fifo}: a FIFO (named pipe), not a regular file`);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("more than 1 MiB, or nested deeper than 64 levels, is not a configuration", () => {
    const d = dir();
    writeFileSync(join(d, "big.json"), `{"dryRun": true, "x": "${"a".repeat(CONFIG_LIMITS.bytes)}"}`);
    expect(() => loadConfig(join(d, "big.json"))).toThrow(/more than the 1048576 allowed/);
    writeFileSync(join(d, "deep.json"), `{"a": ${deep(100_000)}}`);
    expect(() => loadConfig(join(d, "deep.json"))).toThrow(/nested deeper than 64 levels/);
  });
});
