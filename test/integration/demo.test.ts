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
    "source tagged with its replacement: pending cut-over",
    "alerts: NFS remediated, TLS remediated, migration started, requested and done, rotation remediated",
    "the encryption alert says migration started: no fix is claimed before the cut-over",
    "one severity: the encryption finding and its approval request agree",
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
  // One story: starting the migration is "migration started", never "remediated"; the source is pending cut-over.
  expect(output).not.toMatch(/efs-encrypted-at-rest remediated/);
  expect(output).toMatch(
    /efs-encrypted-at-rest migration started \(approval needed; the source stays as it is\) on fs-/,
  );
  expect(output).toMatch(
    /^\s+efs-encrypted-at-rest\s+(fs-[0-9a-f]+)\s+FAIL\s+pending cut-over\s+unencrypted until you cut over to fs-/m,
  );
  expect(output).toMatch(/^\s+efs-encrypted-at-rest\s+fs-[0-9a-f]+\s+\(new\)\s+ok\s/m);
  // Posture before shows the key rows (what the key guard concludes of a key no file system uses yet).
  const before = output.slice(output.indexOf("Posture before"), output.indexOf("CloudTrail records the changes"));
  expect(before).toMatch(/^\s+efs-key-rotation-enabled\s+[0-9a-f-]{36}\s+n\/a\s/m);
  expect(before).toMatch(/^\s+efs-key-usable\s+[0-9a-f-]{36}\s+n\/a\s/m);
  // The events step lists only what changed something.
  expect(output).not.toContain("not-applicable → not-applicable");
  expect(output).not.toContain("compliant → compliant");
  expect(output).toContain("every expected outcome happened");
  expect(result.alerts.map((a) => `${a.attributes.control}:${a.attributes.outcome}`)).toEqual(
    expect.arrayContaining([
      "efs-nfs-ingress-restricted:remediated",
      "efs-tls-enforced:remediated",
      "efs-backup-enabled:alerted",
      "efs-encrypted-at-rest:migration-started",
      "efs-encrypted-at-rest:approval-requested",
      "efs-encrypted-at-rest:migrated",
      "efs-key-rotation-enabled:remediated",
    ]),
  );
  // The main job must stay quick enough to be the first thing a user runs.
  expect(result.seconds).toBeLessThan(120);
}, 240_000);
