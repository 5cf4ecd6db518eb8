import type { ControlId } from "../config/controls.js";

export type Verdict = "compliant" | "non-compliant" | "not-applicable";
export type Severity = "critical" | "high" | "medium" | "low" | "info";

export type ResourceType = "security-group" | "file-system" | "kms-key" | "access-point" | "task-definition" | "subnet";

export interface ResourceRef {
  type: ResourceType;
  id: string;
  arn?: string;
  region: string;
  account?: string;
}

/** What every plan says about itself, so that dry run, alerts and the CLI show exactly what is (or was) done. */
interface PlanText {
  /** Imperative, for dry run: "revoke 1 rule(s) on sg-1: ...". */
  describe: string;
  /** Past tense, for the alert once done: "revoked 1 rule(s) on sg-1: ...". */
  done: string;
  /** How an operator undoes the remediation, if it can be undone. */
  undo?: string;
}

/**
 * An ingress rule EFS Guard adds in place of part of another: always TCP, never covering port 2049, with the
 * source and description of the rule it replaces (one of the plan's `ruleIds`).
 */
export interface ReplacementRule {
  replaces: string;
  fromPort: number;
  toPort: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  prefixListId?: string;
  description?: string;
}

/**
 * A remediation described as data. Evaluators produce plans; shared/aws executes them (each guard's `remediate`).
 * Add a plan kind here, with the fields its executor needs.
 */
export type RemediationPlan = PlanText &
  (
    | {
        kind: "revoke-ingress";
        groupId: string;
        /** Every rule revoked, by security group rule id: the offending rules, whole or replaced. */
        ruleIds: string[];
        /** Human-readable rule descriptions, for the alert and the undo hint. */
        rules: string[];
        /**
         * Rules authorized before the revoke, in place of a rule broader than NFS on a group that also serves other
         * interfaces: each is the rule it replaces minus TCP 2049, with its source and description.
         */
        add?: ReplacementRule[];
        /** Human-readable descriptions of `add`. */
        added?: string[];
      }
    | {
        kind: "enable-key-rotation";
        /** The bare key id: what every KMS write accepts (moto accepts no ARN for some). */
        keyId: string;
        keyArn: string;
        rotationPeriodInDays: number;
        /** Set when rotation was on with a longer period. */
        previousPeriodInDays?: number;
      }
    | {
        kind: "restore-key";
        keyId: string;
        keyArn: string;
        /** The state seen at evaluation, which the executor acts from (PendingDeletion: cancel first). */
        fromState: string;
        fileSystems: string[];
      }
    | {
        kind: "put-file-system-policy";
        fileSystemId: string;
        fileSystemArn?: string;
        /** The policy to write (the evaluated one with the TLS deny merged in, or the console's default pair). */
        policy: string;
        /** The policy text it was derived from (null: none); if the live policy differs, the merge is redone. */
        basedOn: string | null;
        /**
         * Set by the guard whose read of `basedOn` was its last call before the decision (shared/guards/
         * tls-enforcement.ts): that read is the one just before the write, so the write does not repeat it.
         */
        fresh?: boolean;
      }
    | { kind: "put-backup-policy"; fileSystemId: string }
    | {
        kind: "start-migration";
        fileSystemId: string;
        reason: string;
        /** The finding's severity, carried into the approval request so both say the same. */
        severity?: Severity;
      }
  );

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
  /**
   * The remediation is under way and waits on the operator: the migration built the encrypted replacement and the
   * cut-over is theirs. Reported once per sweep summary, not as an alert of its own each sweep.
   */
  pending?: { kind: "cut-over"; replacement: string };
  /**
   * A remediation exists but is held back, and why (efs-tls-enforced with tlsEnforcement "unless-clients-break":
   * the task definitions the deny would cut off). The finding then has no plan and is alerted with this reason.
   */
  withheld?: string;
}
