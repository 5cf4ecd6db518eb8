import { describe, expect, it } from "vitest";
import { sortFindings } from "../../bin/commands/scan.js";
import type { ScanFinding } from "../../shared/pipeline/scan.js";

const f = (
  control: string,
  resource: string,
  verdict: ScanFinding["verdict"],
  severity: ScanFinding["severity"],
  wouldDo: ScanFinding["wouldDo"] = verdict === "non-compliant" ? "would-remediate" : "none",
  region = "us-east-1",
): ScanFinding => ({
  control,
  resource,
  resourceType: "file-system",
  region,
  verdict,
  severity,
  wouldDo,
  why: "",
  summary: "",
  evidence: {},
});

describe("scan rows", () => {
  it("worst first: attention, exempt, compliant, n/a; then severity, control, resource, region", () => {
    const rows = [
      f("efs-tls-enforced", "fs-2", "compliant", "info"),
      f("efs-backup-enabled", "fs-1", "non-compliant", "medium", "alert"),
      f("efs-encrypted-at-rest", "fs-9", "non-compliant", "critical", "exempt"),
      f("efs-tls-enforced", "fs-1", "non-compliant", "high"),
      f("efs-encrypted-at-rest", "fs-2", "non-compliant", "critical"),
      f("efs-encrypted-at-rest", "fs-1", "non-compliant", "critical", "would-remediate", "eu-west-1"),
      f("efs-key-usable", "k-1", "not-applicable", "info"),
      f("efs-encrypted-at-rest", "fs-1", "non-compliant", "critical"),
    ];
    expect(sortFindings(rows).map((r) => `${r.control} ${r.resource} ${r.region} ${r.wouldDo}`)).toEqual([
      "efs-encrypted-at-rest fs-1 eu-west-1 would-remediate",
      "efs-encrypted-at-rest fs-1 us-east-1 would-remediate",
      "efs-encrypted-at-rest fs-2 us-east-1 would-remediate",
      "efs-tls-enforced fs-1 us-east-1 would-remediate",
      "efs-backup-enabled fs-1 us-east-1 alert",
      "efs-encrypted-at-rest fs-9 us-east-1 exempt",
      "efs-tls-enforced fs-2 us-east-1 none",
      "efs-key-usable k-1 us-east-1 none",
    ]);
  });
});
