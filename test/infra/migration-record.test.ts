import { describe, expect, it } from "vitest";
import { synthTemplate } from "../../emulator/template.js";

/** The migration record's HMAC key: only the surroundings step signs, only the guard verifies, IAM only administers. */
describe("migration record key (infra)", () => {
  const template = synthTemplate();
  const [, key] = Object.entries(template.Resources).find(
    ([id, r]) => r.Type === "AWS::KMS::Key" && id.startsWith("MigrationRecord"),
  )!;
  const statements = key.Properties.KeyPolicy.Statement as any[];
  const roleOf = (entry: string) =>
    Object.values(template.Resources).find((r) => r.Metadata?.EfsGuardEntry === entry)!.Properties.Role[
      "Fn::GetAtt"
    ][0];

  it("is an HMAC key with an alias", () => {
    expect(key.Properties).toMatchObject({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" });
    const alias = Object.values(template.Resources).find(
      (r) => r.Type === "AWS::KMS::Alias" && r.Properties.AliasName === "alias/efs-guard-migration-record",
    );
    expect(alias).toBeDefined();
  });

  it("its key policy gives the account administration only, GenerateMac to the surroundings step, VerifyMac to the guard", () => {
    const byPrincipal = (action: string) =>
      statements.filter((s) =>
        [s.Action].flat().some((a: string) => a === action || (a.endsWith("*") && action.startsWith(a.slice(0, -1)))),
      );
    const root = statements.find((s) => s.Sid === "AdministerOnly");
    expect(JSON.stringify(root.Principal)).toContain(":root");
    expect([root.Action].flat()).not.toContain("kms:*");
    for (const use of ["kms:GenerateMac", "kms:VerifyMac", "kms:CreateGrant", "kms:Decrypt"]) {
      expect(byPrincipal(use).some((s) => JSON.stringify(s.Principal).includes(":root"))).toBe(false);
    }
    expect(byPrincipal("kms:GenerateMac").map((s) => s.Principal.AWS["Fn::GetAtt"][0])).toEqual([
      roleOf("functions/migration/surroundings/handler.ts"),
    ]);
    expect(
      byPrincipal("kms:VerifyMac")
        .flatMap((s) => [s.Principal.AWS].flat().map((p: any) => p["Fn::GetAtt"][0]))
        .sort(),
    ).toEqual([roleOf("functions/file-system/handler.ts"), roleOf("functions/sweep/handler.ts")].sort());
  });

  it("tells the writer and the readers the key, with no other function granted", () => {
    const granted = (action: string) =>
      Object.values(template.Resources)
        .filter((r) => r.Type === "AWS::IAM::Policy")
        .filter((r) => r.Properties.PolicyDocument.Statement.some((s: any) => [s.Action].flat().includes(action)))
        .flatMap((r) => r.Properties.Roles.map((x: any) => x.Ref))
        .sort();
    expect(granted("kms:GenerateMac")).toEqual([roleOf("functions/migration/surroundings/handler.ts")]);
    expect(granted("kms:VerifyMac")).toEqual(
      [roleOf("functions/file-system/handler.ts"), roleOf("functions/sweep/handler.ts")].sort(),
    );
    for (const entry of [
      "functions/migration/surroundings/handler.ts",
      "functions/file-system/handler.ts",
      "functions/sweep/handler.ts",
    ]) {
      const fn = Object.values(template.Resources).find((r) => r.Metadata?.EfsGuardEntry === entry)!;
      expect(fn.Properties.Environment.Variables.MIGRATION_RECORD_KEY_ARN).toBeDefined();
    }
  });
});
