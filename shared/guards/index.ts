import type { Guard } from "../pipeline/types.js";
import { kmsKeyGuard } from "./kms-key.js";
import { nfsIngressGuard } from "./nfs-ingress.js";

/** Every guard, in the order the sweep and `scan` run them. Add a new guard here. */
export function allGuards(): Guard[] {
  return [nfsIngressGuard(), kmsKeyGuard()];
}
