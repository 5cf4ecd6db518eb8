import { SECURITY_HUB } from "../config/controls.js";
import type { Severity } from "../controls/types.js";
import { COMPLIANCE, findingId, partitionOf, resourceArn } from "./asff.js";
import type { Lifecycle, ReportItem } from "./item.js";

/**
 * OCSF 1.8.0 Compliance Finding (class_uid 2003, category Findings) with the cloud profile, one event per report
 * item: what `efs-guard scan --format ocsf` prints (a JSON array), for data lakes that speak OCSF (Amazon Security
 * Lake, SIEMs). EFS Guard's own facts (outcome, decision, plan) are under `unmapped`, the schema's place for them.
 */
export const OCSF_VERSION = "1.8.0";
const CLASS_UID = 2003;
const CATEGORY_UID = 2;

const SEVERITY_ID: Record<Severity, number> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };
const SEVERITY_NAME = ["Unknown", "Informational", "Low", "Medium", "High", "Critical"];
/** Finding status_id: 1 New, 3 Suppressed, 4 Resolved, 5 Archived. */
const STATUS: Record<Lifecycle, [number, string]> = {
  failed: [1, "New"],
  "migration-started": [2, "In Progress"],
  exempt: [3, "Suppressed"],
  passed: [4, "Resolved"],
  "not-applicable": [5, "Archived"],
};
/** Compliance status_id: 1 Pass, 3 Fail (not applicable has none). */
const CHECK: Record<string, [number, string] | undefined> = { PASSED: [1, "Pass"], FAILED: [3, "Fail"] };
const RESOURCE_TYPE = {
  "file-system": "AWS::EFS::FileSystem",
  "security-group": "AWS::EC2::SecurityGroup",
  "kms-key": "AWS::KMS::Key",
  "access-point": "AWS::EFS::AccessPoint",
  "task-definition": "AWS::ECS::TaskDefinition",
  subnet: "AWS::EC2::Subnet",
} as const;

export function toOcsf(item: ReportItem, version: string): Record<string, unknown> {
  const time = Date.parse(item.observedAt);
  const failing = COMPLIANCE[item.lifecycle] === "FAILED";
  const severityId = failing ? SEVERITY_ID[item.severity] : 1;
  const [statusId, status] = STATUS[item.lifecycle];
  const check = CHECK[COMPLIANCE[item.lifecycle]];
  const hub = SECURITY_HUB[item.control];
  const activityId = item.lifecycle === "passed" || item.lifecycle === "not-applicable" ? 3 : 1;
  return {
    activity_id: activityId,
    activity_name: activityId === 3 ? "Close" : "Create",
    category_uid: CATEGORY_UID,
    category_name: "Findings",
    class_uid: CLASS_UID,
    class_name: "Compliance Finding",
    type_uid: CLASS_UID * 100 + activityId,
    severity_id: severityId,
    severity: SEVERITY_NAME[severityId],
    status_id: statusId,
    status,
    time,
    message: item.summary,
    metadata: {
      version: OCSF_VERSION,
      product: { name: "EFS Guard", vendor_name: "EFS Guard", version },
      uid: findingId(item),
      logged_time: time,
    },
    cloud: {
      provider: "AWS",
      region: item.resource.region,
      account: { uid: item.resource.account, type_id: 10, type: "AWS Account" },
    },
    finding_info: {
      uid: findingId(item),
      title: `${item.control}: ${item.summary}`.slice(0, 500),
      desc: item.detail,
      types: [item.control],
      first_seen_time: time,
      last_seen_time: time,
    },
    compliance: {
      control: item.control,
      ...(check ? { status_id: check[0], status: check[1] } : { status: "Not applicable" }),
      ...(hub ? { standards: hub.map((id) => `AWS Security Hub ${id}`) } : {}),
      status_detail: item.why,
    },
    resources: [
      {
        uid: resourceArn(item),
        name: item.resource.id,
        type: RESOURCE_TYPE[item.resource.type],
        region: item.resource.region,
        cloud_partition: partitionOf(item.resource.region),
        ...(item.tags ? { tags: Object.entries(item.tags).map(([name, value]) => ({ name, value })) } : {}),
        data: item.evidence,
      },
    ],
    remediation: { desc: item.plan ? `EFS Guard would ${item.plan}` : item.detail },
    unmapped: {
      efs_guard: {
        outcome: item.outcome,
        lifecycle: item.lifecycle,
        why: item.why,
        source: item.source,
        ...(item.exemptUntil ? { exempt_until: item.exemptUntil } : {}),
        ...(item.change ? { change: item.change } : {}),
      },
    },
  };
}
