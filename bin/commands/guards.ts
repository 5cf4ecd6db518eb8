import { nfsIngressGuard } from "../../shared/guards/nfs-ingress.js";
import type { Guard } from "../../shared/pipeline/types.js";

/**
 * The guards `scan` and `replay` run: the one place the CLI lists them. At merge this becomes allGuards() from
 * shared/guards/index.ts, so the CLI covers every control the deployed stack does.
 */
export function cliGuards(): Guard[] {
  return [nfsIngressGuard()];
}
