import type { ControlId } from "../config/controls.js";
import type { GuardConfig } from "../config/schema.js";
import type { TagChange } from "../events/tag-changes.js";
import type { Clock } from "../runtime/clock.js";
import { type Exemption, exemptionFor } from "./exemptions.js";
import type { Finding, ResourceRef } from "./types.js";

export const CONTROL = "efs-guard-tags-audited" satisfies ControlId;

/** The controls an exemption on each kind of resource can switch off (design section 1, exemptions). */
export const CONTROLS_BY_RESOURCE: Record<ResourceRef["type"], ControlId[]> = {
  "security-group": ["efs-nfs-ingress-restricted"],
  "file-system": [
    "efs-encrypted-at-rest",
    "efs-tls-enforced",
    "efs-backup-enabled",
    "efs-policy-not-public",
    "efs-iam-authorization-required",
    "efs-root-access-restricted",
    // On the source: the replication is the source's, and so is the decision to exempt it.
    "efs-replica-encrypted",
  ],
  "kms-key": ["efs-key-rotation-enabled", "efs-key-usable", "efs-key-policy-restricted"],
  "access-point": ["efs-access-point-enforced"],
  // The ECS guard reads no tags: a task definition cannot be exempted by tag (yet).
  "task-definition": [],
  // The subnet is what is public: its tags exempt the mount targets in it (shared/controls/mount-target-private.ts).
  subnet: ["efs-mount-target-private"],
};

export interface TagChangeState {
  resource: ResourceRef;
  /** The tag call: CreateTags, DeleteTags, TagResource or UntagResource. */
  eventName: string;
  changes: TagChange[];
  /** The resource's tags now, re-read; undefined when the resource no longer exists. */
  current?: Record<string, string>;
}

function describeChange(change: TagChange): string {
  switch (change.action) {
    case "set":
      return `set ${change.key}=${change.value}`;
    case "removed":
      return change.value === undefined ? `removed ${change.key}` : `removed ${change.key} (if it was ${change.value})`;
    case "removed-all":
      return "removed every tag";
  }
}

/** What the resource's exemption tags mean now, control by control, as decide() will read them. */
function effects(state: TagChangeState, config: GuardConfig, clock: Clock): Record<string, Exemption> {
  const out: Record<string, Exemption> = {};
  for (const control of CONTROLS_BY_RESOURCE[state.resource.type]) {
    out[control] = exemptionFor(control, state.current, config, clock);
  }
  return out;
}

function effectText(effect: Record<string, Exemption>): string {
  // One pair of tags per resource: every exempted control shares the same end date, or the same refusal.
  const active = Object.entries(effect).flatMap(([c, e]) => (e.status === "active" ? [{ c, until: e.until }] : []));
  const refused = Object.entries(effect).flatMap(([c, e]) =>
    e.status === "invalid" || e.status === "too-long" ? [{ c, detail: e.detail }] : [],
  );
  const parts: string[] = [];
  if (active[0]) parts.push(`now exempts ${active.map((a) => a.c).join(", ")} until ${active[0].until}`);
  if (refused[0]) parts.push(`not honoured for ${refused.map((r) => r.c).join(", ")}: ${refused[0].detail}`);
  return parts.length > 0 ? parts.join("; ") : "no exemption is in force now";
}

/**
 * Every change of an efs-guard:* tag is a finding to be seen: whoever may tag a resource can exempt it, extend an
 * exemption, or end one, and efs-guard:replacement / migrated-from steer the migration. Setting a tag is high
 * (it can switch a control off); only removing is medium (it can only switch one back on, or drop a migration
 * record). The finding states the change as the call made it and the exemption as it now stands, from the
 * re-read tags. There is nothing to remediate: EFS Guard never removes a tag, the operator decides.
 */
export function evaluate(state: TagChangeState, config: GuardConfig, clock: Clock): Finding {
  const changes = state.changes.map(describeChange).join(", ");
  const sets = state.changes.some((c) => c.action === "set");
  const effect = state.current ? effects(state, config, clock) : undefined;
  const now = effect ? effectText(effect) : `${state.resource.id} no longer exists`;
  return {
    control: CONTROL,
    resource: state.resource,
    verdict: "non-compliant",
    severity: sets ? "high" : "medium",
    summary: `efs-guard tags changed on ${state.resource.id} (${state.eventName}): ${changes}; ${now}`,
    evidence: {
      eventName: state.eventName,
      changes: state.changes,
      ...(state.current
        ? {
            exemptTag: state.current[config.exemptTagKey] ?? null,
            exemptUntilTag: state.current[config.exemptUntilTagKey] ?? null,
          }
        : { resourceGone: true }),
      ...(effect ? { exemptions: Object.fromEntries(Object.entries(effect).map(([c, e]) => [c, e.status])) } : {}),
    },
  };
}
