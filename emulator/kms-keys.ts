import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  type KeySpec,
  type KeyUsageType,
  type KMSClient,
  NotFoundException,
  UpdateAliasCommand,
} from "@aws-sdk/client-kms";
import type { Resolved } from "./intrinsics.js";
import type { CfnTemplate } from "./template.js";

/** The alias the template gives a key (AWS::KMS::Alias whose TargetKeyId is a Ref or GetAtt of it). */
function aliasOf(template: CfnTemplate, keyId: string): string | undefined {
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== "AWS::KMS::Alias" || typeof r.Properties?.AliasName !== "string") continue;
    const target = r.Properties.TargetKeyId as { Ref?: string; "Fn::GetAtt"?: [string, string] } | undefined;
    if (target?.Ref === keyId || target?.["Fn::GetAtt"]?.[0] === keyId) return r.Properties.AliasName;
  }
  return undefined;
}

export function hasAlias(template: CfnTemplate, keyId: string): boolean {
  return aliasOf(template, keyId) !== undefined;
}

/**
 * A template's KMS key as a stack would hold it: one key per logical id, with its synthesized spec and usage (the
 * migration's record key is an HMAC key) and its alias. Both hosts (guard functions and workflow steps) deploy the
 * same stack, so a key that already carries the template's alias with that spec is the stack's key and is reused:
 * the guard functions' environment and policies then name the very key the workflow's steps use. A key without an
 * alias is created anew.
 */
export async function deployTemplateKey(kms: KMSClient, template: CfnTemplate, id: string): Promise<Resolved> {
  const props = template.Resources[id]?.Properties ?? {};
  const spec = (props.KeySpec as KeySpec | undefined) ?? "SYMMETRIC_DEFAULT";
  const usage = (props.KeyUsage as KeyUsageType | undefined) ?? "ENCRYPT_DECRYPT";
  const alias = aliasOf(template, id);
  const resolved = (meta: { KeyId?: string; Arn?: string }): Resolved => ({
    ref: meta.KeyId,
    atts: { Arn: meta.Arn, KeyId: meta.KeyId },
  });
  if (alias) {
    const existing = await kms
      .send(new DescribeKeyCommand({ KeyId: alias }))
      .then((out) => out.KeyMetadata)
      .catch((error) => {
        if (error instanceof NotFoundException) return undefined;
        throw error;
      });
    if (existing?.Enabled && existing.KeySpec === spec && existing.KeyUsage === usage) return resolved(existing);
  }
  const key = (await kms.send(new CreateKeyCommand({ Description: id, KeySpec: spec, KeyUsage: usage }))).KeyMetadata!;
  if (alias) {
    const request = { AliasName: alias, TargetKeyId: key.KeyId! };
    // An alias left on another key (a key of another spec) is pointed at this one, as a stack update would.
    await kms.send(new CreateAliasCommand(request)).catch(() => kms.send(new UpdateAliasCommand(request)));
  }
  return resolved(key);
}
