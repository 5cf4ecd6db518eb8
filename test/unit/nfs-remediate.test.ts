import type { EC2Client } from "@aws-sdk/client-ec2";
import type { EFSClient } from "@aws-sdk/client-efs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/schema.js";
import type { RemediationPlan, ReplacementRule } from "../../shared/controls/types.js";
import { nfsIngressGuard } from "../../shared/guards/nfs-ingress.js";

/**
 * The executor adds nothing but the narrowed form of a rule it revokes in the same plan: a plan from anywhere else
 * (a bug, a tampered replay) that would open TCP 2049 or any other source is refused before any AWS call.
 */
function guardRecordingCalls() {
  const sent: unknown[] = [];
  const ec2 = {
    send: async (command: unknown) => {
      sent.push(command);
      throw new Error("no AWS call may be made");
    },
  } as unknown as EC2Client;
  const guard = nfsIngressGuard({ ec2: () => ec2, efs: () => ({}) as EFSClient });
  return { guard, sent };
}

const plan = (add: ReplacementRule[]): RemediationPlan => ({
  kind: "revoke-ingress",
  groupId: "sg-1",
  ruleIds: ["sgr-broad"],
  rules: ["sgr-broad: TCP ports 0-65535 from 0.0.0.0/0"],
  add,
  describe: "",
  done: "",
});

const part = (extra: Partial<ReplacementRule>): ReplacementRule => ({
  replaces: "sgr-broad",
  fromPort: 0,
  toPort: 2048,
  cidrIpv4: "0.0.0.0/0",
  ...extra,
});

describe("nfs-ingress remediate: refuses plans that would add more than a narrowed rule", () => {
  it.each([
    ["covers TCP 2049", part({ fromPort: 2000, toPort: 2100 })],
    ["is exactly TCP 2049", part({ fromPort: 2049, toPort: 2049 })],
    ["replaces a rule the plan does not revoke", part({ replaces: "sgr-other" })],
    ["has no source", part({ cidrIpv4: undefined })],
    ["has two sources", part({ cidrIpv6: "::/0" })],
    ["has ports out of range", part({ toPort: 70000 })],
    ["has reversed ports", part({ fromPort: 3000, toPort: 2050 })],
  ])("a replacement that %s", async (_, rule) => {
    const { guard, sent } = guardRecordingCalls();
    await expect(guard.remediate(plan([rule]), "us-east-1", parseConfig({}))).rejects.toMatchObject({
      code: "REMEDIATION_FAILED",
      retryable: false,
    });
    expect(sent).toEqual([]);
  });
});
