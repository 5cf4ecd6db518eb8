import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALL_EVENTS } from "../../events/all.js";
import {
  CLIENT_TLS_EVENTS,
  EFS_ACCESS_EVENTS,
  FILE_SYSTEM_EVENTS,
  KMS_KEY_EVENTS,
  MOUNT_TARGET_PRIVATE_EVENTS,
  NFS_INGRESS_EVENTS,
  patternsFor,
  TAG_EVENTS,
  TLS_ENFORCEMENT_EVENTS,
} from "../../events/patterns.js";
import { parseCloudTrail } from "../../shared/events/cloudtrail.js";
import { tagChanges } from "../../shared/events/tag-changes.js";
import { type EventSpecs, type Trigger, toTriggers } from "../../shared/events/triggers.js";
import { matchesPattern } from "../support/event-pattern.js";

const SAMPLES = join(import.meta.dirname, "../../events/samples");
const sample = (name: string) => JSON.parse(readFileSync(join(SAMPLES, name), "utf8"));

/** Every trigger of every control in the design (events/all.ts): what the whole product reacts to. */
const ALL_KEYS = Object.keys(ALL_EVENTS);
const FS = "fs-0123456789abcdef0";
const SG = "sg-0123456789abcdef0";
const SUBNET = "subnet-0123456789abcdef0";
const RTB = "rtb-0123456789abcdef0";
const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

type Expected = { triggers: Trigger[] } | { ignored: "failed-call" | "foreign-source" | "unsupported-event" };

/**
 * What each recorded shape must give. A new sample without an entry fails the last test, so every shape that
 * lands in events/samples/ gets a stated expectation.
 */
const EXPECTED: Record<string, Expected> = {
  "ec2-authorize-security-group-egress.json": { ignored: "unsupported-event" },
  "ec2-authorize-security-group-ingress-all-traffic-ipv6.json": { triggers: [{ type: "security-group", groupId: SG }] },
  "ec2-authorize-security-group-ingress-cloudformation.json": { triggers: [{ type: "security-group", groupId: SG }] },
  "ec2-authorize-security-group-ingress-failed.json": { ignored: "failed-call" },
  "ec2-authorize-security-group-ingress-many-permissions.json": {
    triggers: [{ type: "security-group", groupId: SG }],
  },
  "ec2-authorize-security-group-ingress-minimal.json": { triggers: [{ type: "security-group", groupId: SG }] },
  "ec2-authorize-security-group-ingress.json": { triggers: [{ type: "security-group", groupId: SG }] },
  "ec2-modify-security-group-rules-list.json": { triggers: [{ type: "security-group", groupId: SG }] },
  "ec2-modify-security-group-rules-ports-as-strings.json": { triggers: [{ type: "security-group", groupId: SG }] },
  "ec2-modify-security-group-rules.json": { triggers: [{ type: "security-group", groupId: SG }] },
  "ec2-revoke-security-group-ingress-by-guard.json": { ignored: "unsupported-event" },
  "efs-create-file-system-encrypted-cloudformation.json": {
    triggers: [{ type: "file-system", fileSystemId: FS, kmsKeyArn: KEY_ARN }],
  },
  "efs-create-file-system-failed.json": { ignored: "failed-call" },
  // The trigger is the file system; the key ARN of EFS's answer is only a hint, checked against DescribeFileSystems.
  "efs-create-file-system-key-arn.json": { triggers: [{ type: "file-system", fileSystemId: FS, kmsKeyArn: KEY_ARN }] },
  "efs-create-file-system.json": { triggers: [{ type: "file-system", fileSystemId: FS, kmsKeyArn: KEY_ARN }] },
  "efs-create-mount-target-cloudformation.json": {
    triggers: [
      { type: "mount-target", mountTargetId: "fsmt-0aaaaaaaaaaaaaaaa", fileSystemId: FS, securityGroups: [SG] },
    ],
  },
  "efs-create-mount-target-failed.json": { ignored: "failed-call" },
  "efs-create-mount-target.json": {
    triggers: [
      { type: "mount-target", mountTargetId: "fsmt-0123456789abcdef0", fileSystemId: FS, securityGroups: [SG] },
    ],
  },
  "efs-delete-file-system-policy.json": { triggers: [{ type: "file-system", fileSystemId: FS }] },
  "efs-create-access-point.json": { triggers: [{ type: "access-point", accessPointId: "fsap-0123456789abcdef0" }] },
  "efs-create-replication-configuration.json": { triggers: [{ type: "file-system", fileSystemId: FS }] },
  "efs-create-access-point-failed.json": { ignored: "failed-call" },
  "efs-modify-mount-target-security-groups.json": {
    triggers: [
      {
        type: "mount-target",
        mountTargetId: "fsmt-0123456789abcdef0",
        securityGroups: [SG, "sg-0aaaaaaaaaaaaaaaa"],
      },
    ],
  },
  "efs-put-backup-policy.json": { triggers: [{ type: "file-system", fileSystemId: FS }] },
  // The new revision's ARN from ECS's answer; the volumes in the event are not trusted (the guard re-reads them).
  "ecs-register-task-definition.json": {
    triggers: [{ type: "task-definition", taskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3" }],
  },
  "efs-put-file-system-policy-failed.json": { ignored: "failed-call" },
  "efs-put-file-system-policy.json": { triggers: [{ type: "file-system", fileSystemId: FS }] },
  "kms-disable-key-no-resources-no-recipient.json": {
    triggers: [{ type: "kms-key", keyId: "1234abcd-12ab-34cd-56ef-1234567890ab" }],
  },
  "kms-disable-key-rotation-failed.json": { ignored: "failed-call" },
  "kms-disable-key-rotation.json": { triggers: [{ type: "kms-key", keyId: KEY_ARN }] },
  // Turning rotation on needs no reaction: not a trigger of any control.
  "kms-enable-key-rotation.json": { ignored: "unsupported-event" },
  "kms-disable-key.json": { triggers: [{ type: "kms-key", keyId: KEY_ARN }] },
  "kms-put-key-policy.json": { triggers: [{ type: "kms-key", keyId: KEY_ARN }] },
  "kms-schedule-key-deletion-alias.json": { triggers: [{ type: "kms-key", keyId: KEY_ARN }] },
  "kms-schedule-key-deletion.json": { triggers: [{ type: "kms-key", keyId: KEY_ARN }] },
  "s3files-create-file-system.json": { ignored: "foreign-source" },
  "s3files-create-mount-target.json": { ignored: "foreign-source" },
  // The tag calls: the trigger is the tagged resource; only security groups, file systems and keys are guarded.
  "ec2-create-tags-exempt.json": { triggers: [{ type: "security-group", groupId: SG }] },
  "ec2-create-tags-instance-and-group.json": { triggers: [{ type: "security-group", groupId: SG }] },
  "ec2-create-tags-instance-only.json": { ignored: "unsupported-event" },
  // A subnet's tags exempt the mount targets in it (efs-mount-target-private): audited like a group's.
  "ec2-create-tags-subnet-exempt.json": { triggers: [{ type: "subnet", subnetId: SUBNET }] },
  // Delivered by no rule (no efs-guard: key); replayed by hand, it names the group and the guard finds no change.
  "ec2-create-tags-other-keys.json": { triggers: [{ type: "security-group", groupId: SG }] },
  "ec2-delete-tags.json": { triggers: [{ type: "security-group", groupId: SG }] },
  "ec2-delete-tags-all.json": { triggers: [{ type: "security-group", groupId: SG }] },
  "efs-tag-resource.json": { triggers: [{ type: "file-system", fileSystemId: FS }] },
  "efs-untag-resource.json": { triggers: [{ type: "file-system", fileSystemId: FS }] },
  "efs-create-tags.json": { triggers: [{ type: "file-system", fileSystemId: FS }] },
  "efs-delete-tags.json": { triggers: [{ type: "file-system", fileSystemId: FS }] },
  "efs-tag-resource-access-point.json": {
    triggers: [{ type: "access-point", accessPointId: "fsap-0123456789abcdef0" }],
  },
  "kms-tag-resource.json": { triggers: [{ type: "kms-key", keyId: KEY_ARN }] },
  "kms-untag-resource.json": { triggers: [{ type: "kms-key", keyId: KEY_ARN }] },
  // efs-mount-target-private (issue 15): the subnet or route table; the request's route is re-read, never trusted.
  "ec2-modify-subnet-attribute.json": { triggers: [{ type: "subnet", subnetId: SUBNET }] },
  "ec2-modify-subnet-attribute-failed.json": { ignored: "failed-call" },
  "ec2-create-route.json": { triggers: [{ type: "route-table", routeTableId: RTB }] },
  "ec2-create-route-ipv6.json": { triggers: [{ type: "route-table", routeTableId: RTB }] },
  "ec2-replace-route.json": { triggers: [{ type: "route-table", routeTableId: RTB }] },
  "ec2-associate-route-table.json": { triggers: [{ type: "route-table", routeTableId: RTB, subnetId: SUBNET }] },
  "ec2-replace-route-table-association.json": {
    triggers: [{ type: "route-table", routeTableId: RTB, associationId: "rtbassoc-0123456789abcdef0" }],
  },
};

/** The tag samples the tag-change rules must deliver (an efs-guard: key, or EC2's delete-all on a group). */
const TAG_DELIVERED: Record<string, boolean> = {
  "ec2-create-tags-exempt.json": true,
  "ec2-create-tags-instance-and-group.json": true,
  // EventBridge cannot tell an instance from a group inside resourcesSet: delivered, then ignored by the handler.
  "ec2-create-tags-instance-only.json": true,
  "ec2-create-tags-subnet-exempt.json": true,
  "ec2-create-tags-other-keys.json": false,
  "ec2-delete-tags.json": true,
  "ec2-delete-tags-all.json": true,
  "efs-tag-resource.json": true,
  "efs-untag-resource.json": true,
  "efs-create-tags.json": true,
  "efs-delete-tags.json": true,
  "efs-tag-resource-access-point.json": true,
  "kms-tag-resource.json": true,
  "kms-untag-resource.json": true,
};
const isTagSample = (file: string) => file in TAG_DELIVERED;

const files = readdirSync(SAMPLES)
  .filter((f) => f.endsWith(".json"))
  .sort();

describe("every recorded shape, against every trigger in the design", () => {
  it.each(files)("%s", (file) => {
    const expected = EXPECTED[file];
    expect(expected, `add ${file} to EXPECTED`).toBeDefined();
    const result = toTriggers(sample(file), ALL_EVENTS);
    if (expected && "triggers" in expected) {
      expect(result).toMatchObject({ kind: "triggers" });
      expect(result.kind === "triggers" && result.triggers).toEqual(expected.triggers);
    } else {
      expect(result).toMatchObject({ kind: "ignored", reason: expected?.ignored });
      // An ignored event still names itself, so its log line can be found.
      expect(result.kind === "ignored" && result.eventId).toBe(sample(file).detail.eventID);
    }
  });

  it.each([
    ["nfs-ingress", NFS_INGRESS_EVENTS],
    ["file-system", FILE_SYSTEM_EVENTS],
    ["kms-key", KMS_KEY_EVENTS],
    ["tag-audit", TAG_EVENTS],
    ["efs-access", EFS_ACCESS_EVENTS],
    ["ecs-clients", CLIENT_TLS_EVENTS],
    ["mount-targets", MOUNT_TARGET_PRIVATE_EVENTS],
  ] as const)(
    "the %s guard's event list gives the same triggers for its own events, and ignores the rest",
    (_, events) => {
      for (const file of files) {
        const event = sample(file);
        const all = toTriggers(event, ALL_EVENTS);
        const own = toTriggers(event, events);
        const key = `${event.detail.eventSource}:${event.detail.eventName}`;
        if (all.kind === "triggers" && Object.hasOwn(events, key)) {
          expect(own, file).toEqual(all);
        } else {
          expect(own.kind, file).toBe("ignored");
        }
      }
    },
  );

  it("an event two guards handle is read by the one extractor in both tables (one source of truth)", () => {
    const tables: EventSpecs[] = [
      NFS_INGRESS_EVENTS,
      FILE_SYSTEM_EVENTS,
      KMS_KEY_EVENTS,
      TAG_EVENTS,
      EFS_ACCESS_EVENTS,
      CLIENT_TLS_EVENTS,
      MOUNT_TARGET_PRIVATE_EVENTS,
      TLS_ENFORCEMENT_EVENTS,
    ];
    for (const key of ALL_KEYS) {
      const extractors = new Set(tables.filter((t) => Object.hasOwn(t, key)).map((t) => t[key]));
      expect({ key, extractors: extractors.size }).toEqual({ key, extractors: 1 });
    }
  });

  it("the EventBridge patterns of all triggers deliver exactly the samples that give triggers", () => {
    const patterns = patternsFor(ALL_EVENTS);
    for (const file of files.filter((f) => !isTagSample(f))) {
      const event = sample(file);
      const acted = toTriggers(event, ALL_EVENTS).kind === "triggers";
      expect(
        patterns.some((p) => matchesPattern(p, event)),
        file,
      ).toBe(acted);
    }
  });

  it("the tag-change patterns deliver the tag calls that touch efs-guard:* keys, and those give changes", () => {
    const patterns = patternsFor(TAG_EVENTS);
    for (const file of files.filter(isTagSample)) {
      const event = sample(file);
      const delivered = patterns.some((p) => matchesPattern(p, event));
      expect(delivered, file).toBe(TAG_DELIVERED[file]);
      const parsed = parseCloudTrail(event);
      const changes = parsed.kind === "event" ? tagChanges(parsed.event) : [];
      expect(changes.length > 0, file).toBe(TAG_DELIVERED[file]);
    }
  });

  it("covers every trigger in the design with a successful and a CloudTrail-shaped sample", () => {
    const seen = new Set<string>();
    for (const file of files) {
      const result = toTriggers(sample(file), ALL_EVENTS);
      if (result.kind === "triggers") seen.add(`${result.event.eventSource}:${result.event.eventName}`);
    }
    expect([...seen].sort()).toEqual([...ALL_KEYS].sort());
  });

  it("the actor of a CloudFormation-invoked call names CloudFormation and the deploying role", () => {
    const result = toTriggers(sample("ec2-authorize-security-group-ingress-cloudformation.json"), ALL_EVENTS);
    expect(result.kind === "triggers" && result.event.actor).toMatchObject({
      invokedBy: "cloudformation.amazonaws.com",
      sourceIPAddress: "cloudformation.amazonaws.com",
      sessionIssuerArn: "arn:aws:iam::123456789012:role/cfn-deploy-role",
    });
  });
});
