import { GUARD_TAG_PREFIX } from "../config/controls.js";
import { type CloudTrailEvent, isRecord, items, str } from "./cloudtrail.js";

/**
 * A change of an efs-guard:* tag as the CloudTrail record of the tag call states it. `value` is what was set (or,
 * for an EC2 DeleteTags naming a value, the value the tag had to have to be deleted); "removed-all" is an EC2
 * DeleteTags without a tag list, which deletes every tag of the resource.
 */
export type TagChange =
  | { action: "set"; key: string; value: string }
  | { action: "removed"; key: string; value?: string }
  | { action: "removed-all" };

const REMOVALS = new Set(["DeleteTags", "UntagResource"]);

/** The efs-guard:* tag changes an EC2, EFS or KMS tag call made, in request order; other keys are left out. */
export function tagChanges(event: CloudTrailEvent): TagChange[] {
  const rp = event.requestParameters;
  const removal = REMOVALS.has(event.eventName);
  const ours = (key: string | undefined): key is string => key?.startsWith(GUARD_TAG_PREFIX) === true;
  if (event.eventSource === "ec2.amazonaws.com") {
    const tags = items(rp.tagSet).filter(isRecord);
    if (removal && tags.length === 0) return [{ action: "removed-all" }];
    return tags.flatMap((t): TagChange[] => {
      const key = str(t.key);
      if (!ours(key)) return [];
      const value = typeof t.value === "string" ? t.value : undefined;
      if (removal) return [value === undefined ? { action: "removed", key } : { action: "removed", key, value }];
      return [{ action: "set", key, value: value ?? "" }];
    });
  }
  if (removal) {
    // EFS UntagResource/DeleteTags and KMS UntagResource: a list of keys.
    const keys = Array.isArray(rp.tagKeys) ? rp.tagKeys : [];
    return keys.filter((k): k is string => typeof k === "string" && ours(k)).map((key) => ({ action: "removed", key }));
  }
  // EFS TagResource/CreateTags: [{key, value}]; KMS TagResource: [{tagKey, tagValue}].
  const tags = Array.isArray(rp.tags) ? rp.tags.filter(isRecord) : [];
  return tags.flatMap((t): TagChange[] => {
    const key = str(t.key) ?? str(t.tagKey);
    if (!ours(key)) return [];
    const value = t.value ?? t.tagValue;
    return [{ action: "set", key, value: typeof value === "string" ? value : "" }];
  });
}
