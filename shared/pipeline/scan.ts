import { isUnreachable } from "../aws/errors.js";
import { defaultInventory, type RegionInventory } from "../aws/inventory.js";
import type { GuardConfig } from "../config/schema.js";
import type { Finding, Severity, Verdict } from "../controls/types.js";
import { type Trigger, triggerResourceId } from "../events/triggers.js";
import type { Clock } from "../runtime/clock.js";
import { errorMessage } from "../runtime/errors.js";
import { decide } from "./decide.js";
import { guardPath } from "./sweep.js";
import type { Guard, Origin } from "./types.js";

/**
 * What the deployed guard would do about a finding, as `efs-guard scan` shows it: decide() without acting.
 * `would-remediate` covers both remediate mode (the guard would act) and dry run (it would say so).
 */
export type WouldDo = "none" | "alert" | "would-remediate" | "exempt";

export interface ScanFinding {
  /** The account of the resource: set by an organization scan (scanOrganization), absent for the caller's own. */
  account?: string;
  control: string;
  resource: string;
  resourceType: string;
  region: string;
  verdict: Verdict;
  severity: Severity;
  wouldDo: WouldDo;
  /** decide()'s reason, e.g. "control is in alert mode" or "exempted by tag efs-guard:exempt until 2027-01-01". */
  why: string;
  summary: string;
  /** The remediation the guard would run, in words (absent when none exists or nothing is wrong). */
  plan?: string;
  evidence: Record<string, unknown>;
  /** The resource's tags, when the evaluation read them (a non-compliant finding, for its exemption). */
  tags?: Record<string, string>;
}

export interface ScanError {
  /** As ScanFinding.account. */
  account?: string;
  guard: string;
  region: string;
  /** The resource being assessed, when the failure was not while listing. */
  resource?: string;
  message: string;
  error: unknown;
}

export interface ScanSummary {
  regions: string[];
  guards: string[];
  resources: number;
  compliant: number;
  nonCompliant: number;
  notApplicable: number;
  exempt: number;
  errors: number;
}

export interface ScanReport {
  findings: ScanFinding[];
  errors: ScanError[];
  summary: ScanSummary;
}

export interface ScanDeps {
  config: GuardConfig;
  clock: Clock;
  /** The account being scanned, when named (an organization scan): on every finding and error. */
  account?: string;
}

/** A summary with nothing counted yet. */
export function emptySummary(guards: readonly Guard[], regions: readonly string[]): ScanSummary {
  return {
    regions: [...regions],
    guards: guards.map((g) => g.name),
    resources: 0,
    compliant: 0,
    nonCompliant: 0,
    notApplicable: 0,
    exempt: 0,
    errors: 0,
  };
}

export function wouldDo(finding: Finding, config: GuardConfig, clock: Clock): { wouldDo: WouldDo; why: string } {
  const decision = decide(finding, config, clock);
  const map: Record<typeof decision.intent, WouldDo> = {
    none: "none",
    alert: "alert",
    remediate: "would-remediate",
    "would-remediate": "would-remediate",
    exempt: "exempt",
  };
  return { wouldDo: map[decision.intent], why: decision.why };
}

/**
 * Read-only posture of every resource the guards look after: inventory -> assess -> decide, per guard and
 * region, never remediate() and never publish. The same readers and evaluators as the event handlers and the
 * sweep, so a scan shows exactly what the deployed guard would conclude. A failure to list or assess one thing
 * is recorded and the scan goes on, so one unreadable resource does not hide the posture of the rest.
 */
export async function scanAccount(
  guards: readonly Guard[],
  regions: readonly string[],
  deps: ScanDeps,
  inventoryOf: (region: string) => RegionInventory = defaultInventory,
) {
  const report: ScanReport = { findings: [], errors: [], summary: emptySummary(guards, regions) };
  // An endpoint that gives no answer at all ends the scan: every further call would wait for the same timeouts
  // (about 50 s each, shared/aws/sdk-config.ts) and say nothing new.
  scanning: for (const region of regions) {
    // One inventory per region, shared by the guards (shared/aws/inventory.ts): each listing is read once.
    const inventory = inventoryOf(region);
    const origin: Origin = { kind: "sweep", region, ...(deps.account ? { account: deps.account } : {}) };
    const account = deps.account ? { account: deps.account } : {};
    for (const guard of guards) {
      const path = guardPath(guard, region, inventory);
      let triggers: Trigger[];
      try {
        triggers = await path.inventory(deps.config);
      } catch (error) {
        report.errors.push({ ...account, guard: guard.name, region, message: errorMessage(error), error });
        if (isUnreachable(error)) break scanning;
        continue;
      }
      for (const trigger of triggers) {
        let findings: Finding[];
        try {
          findings = await path.assess(trigger, deps.config, deps.clock, origin);
        } catch (error) {
          const resource = triggerResourceId(trigger);
          report.errors.push({ ...account, guard: guard.name, region, resource, message: errorMessage(error), error });
          if (isUnreachable(error)) break scanning;
          continue;
        }
        for (const finding of findings) report.findings.push(toScanFinding(finding, deps));
      }
    }
  }
  const s = report.summary;
  s.resources = new Set(report.findings.map((f) => `${f.account ?? ""}/${f.region}/${f.resource}`)).size;
  for (const f of report.findings) {
    if (f.wouldDo === "exempt") s.exempt++;
    else if (f.verdict === "non-compliant") s.nonCompliant++;
    else if (f.verdict === "compliant") s.compliant++;
    else s.notApplicable++;
  }
  s.errors = report.errors.length;
  return report;
}

function toScanFinding(finding: Finding, deps: ScanDeps): ScanFinding {
  const { wouldDo: action, why } = wouldDo(finding, deps.config, deps.clock);
  return {
    ...(deps.account ? { account: deps.account } : {}),
    control: finding.control,
    resource: finding.resource.id,
    resourceType: finding.resource.type,
    region: finding.resource.region,
    verdict: finding.verdict,
    severity: finding.severity,
    wouldDo: action,
    why,
    summary: finding.summary,
    ...(finding.verdict === "non-compliant" && finding.plan ? { plan: finding.plan.describe } : {}),
    evidence: finding.evidence,
    ...(finding.tags ? { tags: finding.tags } : {}),
  };
}
