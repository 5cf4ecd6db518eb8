import type { EventSpecs } from "../shared/events/triggers.js";
import {
  CLIENT_TLS_EVENTS,
  EFS_ACCESS_EVENTS,
  FILE_SYSTEM_EVENTS,
  KMS_KEY_EVENTS,
  MOUNT_TARGET_PRIVATE_EVENTS,
  NFS_INGRESS_EVENTS,
  TAG_EVENTS,
} from "./patterns.js";

/**
 * Every trigger of every function: what the whole product reacts to (the tests of the samples and of the parser).
 * A module of its own, since a spread is not something esbuild can drop: no function imports it.
 */
export const ALL_EVENTS: EventSpecs = {
  ...NFS_INGRESS_EVENTS,
  ...KMS_KEY_EVENTS,
  ...FILE_SYSTEM_EVENTS,
  ...EFS_ACCESS_EVENTS,
  ...TAG_EVENTS,
  ...CLIENT_TLS_EVENTS,
  ...MOUNT_TARGET_PRIVATE_EVENTS,
};
