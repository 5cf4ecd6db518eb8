import type { ControlId } from "../config/controls.js";

export type Verdict = "compliant" | "non-compliant" | "not-applicable";
export type Severity = "critical" | "high" | "medium" | "low" | "info";

export interface ResourceRef {
  type: "security-group" | "file-system" | "kms-key";
  id: string;
  arn?: string;
  region: string;
  account?: string;
}

/**
 * A remediation described as data. Evaluators produce plans; shared/aws executes them. Keeping plans as plain
 * objects lets dry run, the CLI and the alert text show exactly what would be done.
 */
export type RemediationPlan = {
  kind: "revoke-ingress";
  groupId: string;
  ruleIds: string[];
  /** Human-readable rule descriptions, for the alert and the undo hint. */
  rules: string[];
};

export interface Finding {
  control: ControlId;
  resource: ResourceRef;
  verdict: Verdict;
  severity: Severity;
  /** One line: what is wrong (or right). */
  summary: string;
  /** The facts the verdict rests on, logged and sent in the alert metadata. */
  evidence: Record<string, unknown>;
  /** Tags of the resource, for exemptions. Absent when the verdict does not need them. */
  tags?: Record<string, string>;
  plan?: RemediationPlan;
}
