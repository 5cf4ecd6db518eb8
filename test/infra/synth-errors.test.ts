import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

it("cdk synth with a bad efsGuard value fails with the message alone: key, value, allowed values, no stack", () => {
  const context = JSON.stringify({
    modes: { "efs-policy-not-public": "remediate", "efs-nfs": "alert" },
    dryRun: "yes",
  });
  const run = spawnSync(join(ROOT, "node_modules", ".bin", "cdk"), ["synth", "-q", "-c", `efsGuard=${context}`], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NODE_NO_WARNINGS: "1", CDK_DISABLE_VERSION_CHECK: "1" },
    timeout: 170_000,
  });
  expect(run.status).toBe(1);
  const lines = run.stderr.trim().split("\n");
  expect(lines.slice(0, 4)).toEqual([
    'context "efsGuard" (cdk.json, or -c efsGuard=...) is invalid:',
    '  - modes.efs-policy-not-public (got "remediate"): efs-policy-not-public is alert-only: it has no automatic remediation, so "remediate" cannot apply; allowed: "off", "alert"',
    '  - modes: unknown control id(s) "efs-nfs"; valid control ids: efs-encrypted-at-rest, efs-tls-enforced, efs-nfs-ingress-restricted, efs-key-rotation-enabled, efs-key-usable, efs-backup-enabled, efs-policy-not-public, efs-guard-tags-audited, efs-iam-authorization-required, efs-root-access-restricted, efs-mount-target-private, efs-access-point-enforced, efs-key-policy-restricted, efs-replica-encrypted, efs-clients-use-tls',
    '  - dryRun (got "yes"): Invalid input: expected boolean, received string',
  ]);
  // What follows is only the CDK CLI's own one-line note; no Node stack frames, no source excerpt.
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toContain("SynthConfigError");
  expect(lines.slice(4).join("\n")).toMatch(/^(.*Subprocess exited with error 1)?$/);
});
