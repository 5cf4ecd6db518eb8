import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runReplay } from "../../bin/commands/replay.js";
import { authorizeIngressEvent } from "../../events/build.js";
import { NFS_INGRESS_EVENTS } from "../../events/patterns.js";
import { toAwsCallError } from "../../shared/aws/errors.js";
import { CONTROL } from "../../shared/controls/nfs-ingress-restricted.js";
import type { Finding } from "../../shared/controls/types.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { fixedClock } from "../../shared/runtime/clock.js";
import { logger } from "../../shared/runtime/logger.js";
import { RecordingNotifier } from "../support/deps.js";

/** A guard with canned behaviour per security group, to drive replay's error handling without AWS. */
function fakeGuard(behaviour: Record<string, "open" | "read-fails" | "revoke-fails" | "revoke-throttled">): Guard {
  const finding = (groupId: string): Finding => ({
    control: CONTROL,
    resource: { type: "security-group", id: groupId, region: "us-east-1" },
    verdict: "non-compliant",
    severity: "critical",
    summary: `${groupId} is open`,
    evidence: {},
    plan: { kind: "revoke-ingress", groupId, ruleIds: ["sgr-1"], rules: ["x"], describe: "revoke", done: "revoked" },
  });
  return {
    name: "fake",
    events: NFS_INGRESS_EVENTS,
    async assess(trigger) {
      const id = trigger.type === "security-group" ? trigger.groupId : "";
      if (behaviour[id] === "read-fails") {
        throw toAwsCallError("ec2:DescribeNetworkInterfaces", { name: "UnauthorizedOperation", message: "denied" });
      }
      return [finding(id)];
    },
    async inventory() {
      return [];
    },
    async remediate(plan) {
      const b = behaviour[(plan as { groupId: string }).groupId];
      if (b === "revoke-fails")
        throw toAwsCallError("ec2:RevokeSecurityGroupIngress", {
          name: "UnauthorizedOperation",
          message: "not authorized to revoke",
        });
      if (b === "revoke-throttled")
        throw toAwsCallError("ec2:RevokeSecurityGroupIngress", { name: "Throttling", message: "Rate exceeded" });
      return { status: "done" };
    },
  };
}

function inputs(groups: string[]) {
  const d = mkdtempSync(join(tmpdir(), "efs-guard-replay-unit-"));
  const file = join(d, "log.json");
  const records = groups.map((g) => authorizeIngressEvent({ groupId: g, ruleId: "sgr-1", cidr: "0.0.0.0/0" }).detail);
  writeFileSync(file, JSON.stringify({ Records: records }));
  writeFileSync(join(d, "cdk.json"), JSON.stringify({ context: {} }));
  return { d, file };
}

async function replay(args: string[], guard: Guard, cwd: string) {
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
  const notifier = new RecordingNotifier();
  const code = await runReplay(args, io, { guards: [guard], clock: fixedClock("2026-11-26T12:00:00Z"), cwd, notifier });
  const lines = stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  return { code, stdout, stderr, lines, notifier };
}

// main() silences the decision logs for the terminal; these tests call runReplay directly.
logger.setLogLevel("SILENT");

describe("replay: AWS failures", () => {
  it("a read failure fails that event (exit 1), names it, and the next events still run", async () => {
    const { d, file } = inputs(["sg-bad", "sg-ok"]);
    const run = await replay(["--json", file], fakeGuard({ "sg-bad": "read-fails", "sg-ok": "open" }), d);
    expect(run.code).toBe(1);
    expect(run.lines.map((l) => [l.index, l.outcome])).toEqual([
      [0, "failed"],
      [1, "evaluated"],
    ]);
    expect(run.lines[0].error).toEqual({
      code: "UnauthorizedOperation",
      message: "ec2:DescribeNetworkInterfaces failed: UnauthorizedOperation: denied",
    });
    expect(run.stderr).toContain(`${file} Records[0]: ec2:DescribeNetworkInterfaces failed: UnauthorizedOperation`);
    expect(run.lines[1].findings[0].action).toBe("remediated");
  });

  it("a failed remediation is reported as failed, retryable or not, with the decision kept (exit 1)", async () => {
    const { d, file } = inputs(["sg-denied", "sg-throttled"]);
    const run = await replay(
      ["--json", file],
      fakeGuard({ "sg-denied": "revoke-fails", "sg-throttled": "revoke-throttled" }),
      d,
    );
    expect(run.code).toBe(1);
    expect(run.lines[0]).toMatchObject({ outcome: "evaluated", findings: [{ action: "failed" }] });
    // processEvent rethrows a retryable failure (so Lambda retries); replay still shows what was decided.
    expect(run.lines[1]).toMatchObject({
      outcome: "failed",
      findings: [{ resource: "sg-throttled", action: "failed", outcome: "remediation-failed" }],
    });
    expect(run.notifier.published.map((p) => p.result.outcome)).toEqual(["remediation-failed", "remediation-failed"]);
    expect(run.lines[1].error.message).toBe(
      "remediation failed: ec2:RevokeSecurityGroupIngress failed: Throttling: Rate exceeded",
    );
  });

  it("--dry-run never calls remediate, even in remediate mode", async () => {
    const { d, file } = inputs(["sg-denied"]);
    const run = await replay(["--json", "--dry-run", file], fakeGuard({ "sg-denied": "revoke-fails" }), d);
    expect(run.code).toBe(0);
    expect(run.lines[0].findings[0].action).toBe("would-remediate");
  });
});
