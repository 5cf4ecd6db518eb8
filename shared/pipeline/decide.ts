import type { Mode } from "../config/controls.js";
import type { GuardConfig } from "../config/schema.js";
import { type Exemption, exemptionFor } from "../controls/exemptions.js";
import type { Finding } from "../controls/types.js";
import type { Clock } from "../runtime/clock.js";

/** What the guard does about a finding, before doing it. Pure: the same inputs always give the same plan. */
export type Intent = "none" | "alert" | "remediate" | "would-remediate" | "exempt";

export interface Decision {
  intent: Intent;
  mode: Mode;
  dryRun: boolean;
  exemption: Exemption;
  /** Why the intent is what it is, in words for the alert. */
  why: string;
}

/**
 * `observingUntil`: set while the sweep is in the observe period after the first deploy (shared/pipeline/observe.ts);
 * a remediation is then only reported. Events never pass it: a change seen as an event is remediated at once.
 */
export function decide(finding: Finding, config: GuardConfig, clock: Clock, observingUntil?: string): Decision {
  const mode = config.modes[finding.control];
  const exemption = exemptionFor(finding.control, finding.tags, config, clock);
  const base = { mode, dryRun: config.dryRun, exemption };
  if (finding.verdict !== "non-compliant") return { ...base, intent: "none", why: `${finding.verdict}` };
  if (mode === "off") return { ...base, intent: "none", why: "control is off" };
  if (exemption.status === "active") {
    return {
      ...base,
      intent: "exempt",
      why: `exempted by tag ${config.exemptTagKey} until ${exemption.until}`,
    };
  }
  const lapsed =
    exemption.status === "expired"
      ? ` (exemption expired on ${exemption.until})`
      : exemption.status === "invalid" || exemption.status === "too-long"
        ? ` (exemption not honoured: ${exemption.detail})`
        : "";
  if (mode === "alert") return { ...base, intent: "alert", why: `control is in alert mode${lapsed}` };
  if (finding.withheld) return { ...base, intent: "alert", why: `not remediated: ${finding.withheld}${lapsed}` };
  if (!finding.plan) return { ...base, intent: "alert", why: `no automatic remediation exists${lapsed}` };
  if (config.dryRun) return { ...base, intent: "would-remediate", why: `dry run is on${lapsed}` };
  if (observingUntil) {
    const until = observingUntil === "unknown" ? "the deploy time is known" : observingUntil.slice(0, 10);
    return {
      ...base,
      intent: "would-remediate",
      why: `observe period after the first deploy (until ${until}): the sweep reports what it would do, changes seen as events are remediated at once${lapsed}`,
    };
  }
  return { ...base, intent: "remediate", why: `control is in remediate mode${lapsed}` };
}
