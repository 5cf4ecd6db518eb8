import type { AwsSecurityFinding, WorkflowStatus } from "@aws-sdk/client-securityhub";
import type { ControlId } from "../config/controls.js";
import { findingId, NOTE_AUTHOR, noteMarker, noteText, productArn, toAsff, WORKFLOW } from "./asff.js";
import type { ReportItem } from "./item.js";
import { field } from "./text.js";

/**
 * What to send to Security Hub for a set of report items, given the findings it already holds: pure, so every rule
 * below is unit-tested without AWS.
 *
 * BatchImportFindings creates a finding with everything, but on an existing finding it ignores Workflow and Note
 * (Security Hub User Guide, "BatchImportFindings for finding providers", restricted fields). So the workflow of an
 * existing finding is changed the way a remediation tool does it, with BatchUpdateFindings:
 * - passed (compliant or remediated) -> RESOLVED, exempt -> SUPPRESSED, migration started -> NOTIFIED, with a note
 *   saying what EFS Guard did (whatever the status was: EFS Guard's decision is the fact);
 * - failed -> back to NEW only if the current status is one EFS Guard set itself (its note says so); a status a
 *   person set (NOTIFIED to an owner, SUPPRESSED after a review) is left alone. Security Hub itself resets
 *   NOTIFIED/RESOLVED to NEW when compliance goes from PASSED to FAILED or the record from ARCHIVED to ACTIVE.
 * A record older than the finding Security Hub holds (a delayed retry) is dropped: Security Hub would ignore an
 * import with an older UpdatedAt, and the workflow must not go back either.
 */
export interface ExistingFinding {
  Id: string;
  ProductArn: string;
  GeneratorId?: string;
  CreatedAt?: string;
  FirstObservedAt?: string;
  UpdatedAt?: string;
  RecordState?: string;
  Workflow?: { Status?: string };
  Note?: { Text?: string; UpdatedBy?: string };
  Resources?: { Id?: string }[];
}

export interface WorkflowUpdate {
  productArn: string;
  status: WorkflowStatus;
  note: string;
  ids: string[];
}

export interface SecurityHubPlan {
  imports: AwsSecurityFinding[];
  updates: WorkflowUpdate[];
  /** Records older than what Security Hub holds, by finding id. */
  stale: string[];
}

/**
 * What a complete sweep of one region covered. The active findings of its controls for resources it did not see
 * (gone, or out of scope) or of its controls that are off are stale. Resources rather than finding ids: a sweep's
 * decisions can travel in several messages, and every control of a guard is decided for each resource it reads.
 */
export interface ArchiveScope {
  region: string;
  account: string;
  /** The controls of the guards whose inventory succeeded. */
  controls: ControlId[];
  /** Of those, the ones evaluated (not off): a control that is off has no live findings. */
  evaluated: ControlId[];
  /** The resources the sweep read and decided. */
  resources: string[];
  /** Resources that could not be read this time: their findings are kept as they are. */
  unreadResources: string[];
  /** When the sweep started: only findings last updated before it can be stale. */
  startedAt: string;
}

function owned(existing: ExistingFinding): boolean {
  const status = existing.Workflow?.Status ?? "NEW";
  const note = existing.Note;
  return note?.UpdatedBy === NOTE_AUTHOR && (note.Text ?? "").startsWith(noteMarker(status as WorkflowStatus));
}

export function planSecurityHub(items: readonly ReportItem[], existing: ReadonlyMap<string, ExistingFinding>) {
  const plan: SecurityHubPlan = { imports: [], updates: [], stale: [] };
  const groups = new Map<string, WorkflowUpdate>();
  const update = (product: string, status: WorkflowStatus, note: string, id: string) => {
    const key = `${product}\n${status}\n${note}`;
    const group = groups.get(key) ?? { productArn: product, status, note, ids: [] };
    group.ids.push(id);
    groups.set(key, group);
  };
  // The latest record per finding wins within one batch too.
  const latest = new Map<string, ReportItem>();
  for (const item of items) {
    const id = findingId(item);
    const seen = latest.get(id);
    if (!seen || seen.observedAt <= item.observedAt) latest.set(id, item);
  }
  for (const [id, item] of latest) {
    const finding = toAsff(item);
    const old = existing.get(id);
    if (!old) {
      plan.imports.push(finding);
      continue;
    }
    if (old.UpdatedAt && Date.parse(old.UpdatedAt) >= Date.parse(item.observedAt)) {
      plan.stale.push(id);
      continue;
    }
    // Restricted fields are ignored on an update: not sent, so that what is sent is what takes effect.
    const { Workflow: _w, Note: _n, ...rest } = finding;
    plan.imports.push({
      ...rest,
      CreatedAt: old.CreatedAt ?? finding.CreatedAt,
      FirstObservedAt: old.FirstObservedAt ?? old.CreatedAt ?? finding.FirstObservedAt,
    });
    const current = old.Workflow?.Status ?? "NEW";
    const wanted = WORKFLOW[item.lifecycle];
    const product = productArn(item.resource.region, item.resource.account);
    if (wanted) {
      if (current !== wanted) update(product, wanted, noteText(item, wanted), id);
    } else if (item.lifecycle === "failed" && current !== "NEW" && owned(old)) {
      update(product, "NEW", noteText(item, "NEW"), id);
    }
  }
  plan.updates = [...groups.values()];
  return plan;
}

/**
 * The active findings of a swept region that the sweep no longer produced: their resource is gone, left the scope
 * (a security group no longer on a mount target, a key that encrypts no file system) or their control was turned
 * off. Re-imported as RecordState ARCHIVED, as Security Hub does with control findings of deleted resources.
 */
export function archiveStale(
  scope: ArchiveScope,
  active: readonly (ExistingFinding & Record<string, unknown>)[],
  now: Date,
): AwsSecurityFinding[] {
  const controls = new Set<string>(scope.controls);
  const evaluated = new Set<string>(scope.evaluated);
  const seen = new Set(scope.resources);
  const unread = new Set(scope.unreadResources);
  const started = Date.parse(scope.startedAt);
  const at = now.toISOString();
  const out: AwsSecurityFinding[] = [];
  for (const f of active) {
    if (f.RecordState === "ARCHIVED" || !f.GeneratorId || !controls.has(f.GeneratorId)) continue;
    const resourceId = String(f.Id).split("/").at(-1) ?? "";
    if (unread.has(resourceId)) continue;
    if (evaluated.has(f.GeneratorId) && seen.has(resourceId)) continue;
    if (f.UpdatedAt && Date.parse(f.UpdatedAt) >= started) continue;
    // Security Hub's own fields are not the provider's to send back.
    const { ProcessedAt: _p, Workflow: _w, Note: _n, WorkflowState: _s, ...rest } = f as Record<string, unknown>;
    const fields = { ...((rest.ProductFields as Record<string, string> | undefined) ?? {}) };
    for (const key of Object.keys(fields)) if (key.startsWith("aws/")) delete fields[key];
    fields["efs-guard/archived"] = field(
      `not found by the sweep of ${scope.region} started ${scope.startedAt}: the resource is gone or out of scope, or the control is off`,
      2048,
    );
    out.push({
      ...(rest as unknown as AwsSecurityFinding),
      ProductFields: fields,
      RecordState: "ARCHIVED",
      UpdatedAt: at,
    });
  }
  return out;
}
