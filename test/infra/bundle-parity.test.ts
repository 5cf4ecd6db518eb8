import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../infra/app.js";
import { BUNDLE_FILE, bundleFunction, ENTRY_METADATA } from "../../infra/constructs/guard-function.js";
import { PROJECT_ROOT } from "../../infra/paths.js";

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
      // Event-stream support is the stub (infra/no-event-streams.ts), not the SDK's codec.
      expect(staged.includes("EventStreamCodec")).toBe(false);
      // A client's package.json is reduced to its name and version.
      expect(staged.includes("devDependencies")).toBe(false);
    }
  });

  /**
   * What the two trimming plugins of infra/bundling.ts rely on, for every SDK client installed (the functions bundle
   * a subset): no client but S3 has an event-stream operation (such a client sets eventStreamSerdeProvider in its
   * runtime config), and the only field of its package.json that a client reads is the version.
   */
  it("no installed SDK client streams events or reads more of its package.json than the version", () => {
    const sdk = join(PROJECT_ROOT, "node_modules", "@aws-sdk");
    const clients = readdirSync(sdk).filter((d) => d.startsWith("client-"));
    expect(clients.length).toBeGreaterThan(5);
    for (const client of clients) {
      const dist = join(sdk, client, "dist-es");
      for (const file of readdirSync(dist).filter((f) => /^runtimeConfig.*\.js$/.test(f))) {
        const source = readFileSync(join(dist, file), "utf8");
        // S3's one event-stream operation, SelectObjectContent, is never called (the sweep only puts and gets its run
        // objects): its runtime config imports the real event-stream module, and the lazy import stays failing.
        if (client !== "client-s3") expect(source, `${client}/${file}`).not.toContain("eventStreamSerdeProvider");
        const reads = [...source.matchAll(/packageInfo\.(\w+)/g)].map((m) => m[1]);
        expect(new Set(reads), `${client}/${file}`).toEqual(new Set(source.includes("packageInfo") ? ["version"] : []));
      }
    }
  });
});
