import { expect, it } from "vitest";
import { runDemo } from "../../bin/commands/demo-run.js";

it("the demo plays the whole story on its own emulator and every expected outcome happens", async () => {
  const lines: string[] = [];
  const result = await runDemo({ out: (t) => lines.push(t), err: (t) => lines.push(t) });
  const output = lines.join("\n");
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result.checks.map((c) => c.check)).toEqual([
    "open NFS rule revoked, VPC-internal rule kept",
    "TLS enforced on the source file system",
    "migration approved with `efs-guard approve`",
    "migration succeeded",
    "replacement encrypted with the customer managed key",
    "replacement enforces TLS",
    "source left in place, unencrypted (cut-over is yours)",
    "key rotation re-enabled",
    "alerts: NFS remediated, TLS remediated, migration requested and done, rotation remediated",
  ]);
  expect(result.exitCode).toBe(0);
  // What a new user reads: the posture before and after, the approval request, and the alerts as Slack shows them.
  for (const heading of [
    "Posture before",
    "CloudTrail records the changes",
    "waits for approval",
    "efs-guard approve fs-",
    "Posture after",
    "as the Slack channel shows them",
    "Summary",
  ]) {
    expect(output).toContain(heading);
  }
  expect(output).toMatch(/approve the migration of fs-[0-9a-f]+ to an encrypted file system\?/);
  expect(output).toContain("every expected outcome happened");
  expect(result.alerts.map((a) => `${a.attributes.control}:${a.attributes.outcome}`)).toEqual(
    expect.arrayContaining([
      "efs-nfs-ingress-restricted:remediated",
      "efs-tls-enforced:remediated",
      "efs-backup-enabled:alerted",
      "efs-encrypted-at-rest:approval-requested",
      "efs-encrypted-at-rest:migrated",
      "efs-key-rotation-enabled:remediated",
    ]),
  );
  // The main job must stay quick enough to be the first thing a user runs.
  expect(result.seconds).toBeLessThan(120);
}, 240_000);
