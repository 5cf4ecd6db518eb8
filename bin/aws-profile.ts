import { homedir } from "node:os";
import { join } from "node:path";
import { parseKnownFiles } from "@smithy/core/config";

/**
 * The SDK answers an AWS_PROFILE that names no profile with "Could not load credentials from any providers", which
 * sends people looking for keys. It takes AWS_PROFILE over any other source (even AWS_ACCESS_KEY_ID), so a profile
 * that is in neither shared file is certain to fail: say so before the first call, naming the profile and the
 * files looked in. The files are read by the SDK's own loader (@smithy/core), so "defined" means what the SDK means.
 */
export async function profileProblem(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const profile = env.AWS_PROFILE;
  if (!profile) return undefined;
  let profiles: Record<string, unknown>;
  try {
    profiles = await parseKnownFiles({});
  } catch {
    return undefined; // unreadable files: let the SDK say what it says
  }
  if (profile in profiles) return undefined;
  const config = env.AWS_CONFIG_FILE ?? join(homedir(), ".aws", "config");
  const credentials = env.AWS_SHARED_CREDENTIALS_FILE ?? join(homedir(), ".aws", "credentials");
  const known = Object.keys(profiles);
  return (
    `AWS_PROFILE=${profile}: no profile "${profile}" in ${config} or ${credentials}` +
    `${known.length > 0 ? ` (profiles there: ${known.join(", ")})` : ""}; fix AWS_PROFILE or run aws configure --profile ${profile}`
  );
}
