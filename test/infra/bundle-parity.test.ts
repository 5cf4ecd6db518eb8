import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../infra/app.js";
import { BUNDLE_FILE, bundleFunction, ENTRY_METADATA } from "../../infra/constructs/guard-function.js";

/** The bench measures what is deployed: the asset `cdk synth` stages is byte for byte the bench's build. */
describe("function bundles", () => {
  it("the synthesized asset of every guard function equals the bench's build of its entry", async () => {
    const app = buildApp(new App({ context: { "aws:cdk:enable-asset-metadata": true } }));
    const assembly = app.synth();
    const stack = assembly.getStackByName("EfsGuard");
    const functions = Object.values(stack.template.Resources as Record<string, any>).filter(
      (r) => r.Type === "AWS::Lambda::Function" && r.Metadata?.[ENTRY_METADATA],
    );
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const staged = readFileSync(join(assembly.directory, fn.Metadata["aws:asset:path"], BUNDLE_FILE));
      const outdir = mkdtempSync(join(tmpdir(), "efs-guard-bundle-"));
      await bundleFunction(fn.Metadata[ENTRY_METADATA], outdir);
      expect(readFileSync(join(outdir, BUNDLE_FILE)).equals(staged)).toBe(true);
      // The SDK's credential chain for SSO, ini files and web identity never reaches a function.
      expect(staged.includes("credential-provider-sso")).toBe(false);
    }
  });
});
