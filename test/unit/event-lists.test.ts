import { describe, expect, it } from "vitest";
import {
  EFS_ACCESS_EVENTS,
  FILE_SYSTEM_EVENTS,
  KMS_KEY_EVENTS,
  NFS_INGRESS_EVENTS,
  TAG_EVENTS,
} from "../../events/patterns.js";
import { SOURCES } from "../../shared/events/triggers.js";

/**
 * The event tables are written with string literal keys so that esbuild leaves the unused ones out of each bundle
 * (events/patterns.ts); this keeps them what SOURCES says.
 */
describe("event lists", () => {
  it("every entry is a known CloudTrail event source, a colon and an API name", () => {
    const sources: string[] = Object.values(SOURCES);
    for (const entry of [
      ...Object.keys(NFS_INGRESS_EVENTS),
      ...Object.keys(KMS_KEY_EVENTS),
      ...Object.keys(FILE_SYSTEM_EVENTS),
      ...Object.keys(TAG_EVENTS),
      ...Object.keys(EFS_ACCESS_EVENTS),
    ]) {
      const [source, name, ...rest] = entry.split(":");
      expect({ entry, known: sources.includes(source ?? ""), rest }).toEqual({ entry, known: true, rest: [] });
      expect(name).toMatch(/^[A-Z][A-Za-z]+$/);
    }
  });
});
