import type { ConfigInput } from "../../shared/config/schema.js";

/**
 * The access controls of the efs-access function (efs-iam-authorization-required, efs-root-access-restricted,
 * efs-access-point-enforced) turned off: for tests of other guards that assert every alert of a file system event.
 * Every file system without a policy fails the first two, so their alerts would be in every such list.
 * The function is still deployed and still receives the events; it evaluates nothing and alerts nothing.
 */
export const ACCESS_CONTROLS_OFF = {
  "efs-iam-authorization-required": "off",
  "efs-root-access-restricted": "off",
  "efs-access-point-enforced": "off",
} as const;

export const ACCESS_ENTRY = "functions/efs-access/handler.ts";

/** `config` with the access controls off (its own modes kept). */
export function withoutAccessControls(config: ConfigInput = {}): ConfigInput {
  return { ...config, modes: { ...ACCESS_CONTROLS_OFF, ...config.modes } };
}
