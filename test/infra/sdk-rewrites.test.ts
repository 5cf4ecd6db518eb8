import { createHash, createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundleFunction, nativeSha256, nodeStreamsOnly, noS3Customizations } from "../../infra/bundling.js";
import { PROJECT_ROOT } from "../../infra/paths.js";

/** @smithy/core's dist-es as installed: the files the sdk-node-only rewrites apply to. */
const core = join(
  dirname(createRequire(join(PROJECT_ROOT, "package.json")).resolve("@smithy/core/package.json")),
  "dist-es",
  "submodules",
);
const source = (path: string) => readFileSync(join(core, path), "utf8");

describe("the SDK rewrites of infra/bundling.ts (sdk-node-only)", () => {
  it("each still applies to the installed @smithy/core, cutting out exactly its import", () => {
    const sha = nativeSha256(source("checksum/sha256/Sha256Node.js"));
    expect(sha).toBeDefined();
    expect(sha).not.toContain("Sha256Js");
    expect(sha).toContain("buildNativeClass();");
    const streams = nodeStreamsOnly(source("serde/util-stream/sdk-stream-mixin.js"));
    expect(streams).toBeDefined();
    expect(streams).not.toContain("sdk-stream-mixin.browser");
    expect(streams).toContain("Unexpected stream implementation");
    const s3 = noS3Customizations(source("endpoints/middleware-endpoint/adaptors/getEndpointFromInstructions.js"));
    expect(s3).toBeDefined();
    expect(s3).not.toContain("service-customizations");
  });

  it("a file of another shape is left as it is (undefined: bundled unchanged)", () => {
    expect(nativeSha256('import { Sha256Js } from "./Sha256Js";\nexport const Sha256Node = Sha256Js;')).toBeUndefined();
    expect(nodeStreamsOnly("export const sdkStreamMixin = (s) => s;")).toBeUndefined();
    expect(noS3Customizations("export const x = 1;")).toBeUndefined();
  });

  it("a bundle has none of the cut files, and its SHA-256 (request signing) is node:crypto's", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "efs-guard-rewrites-"));
    const metafile = await bundleFunction("functions/efs-access/handler.ts", outdir);
    // The files that put code into the bundle (a re-export may still name a file whose code is tree-shaken).
    const inputs = Object.values(metafile.outputs).flatMap((o) =>
      Object.entries(o.inputs)
        .filter(([, v]) => v.bytesInOutput > 0)
        .map(([k]) => k),
    );
    expect(inputs.some((i) => i.endsWith("checksum/sha256/Sha256Node.js"))).toBe(true);
    for (const cut of ["Sha256Js.js", "sdk-stream-mixin.browser.js", "service-customizations/s3.js"]) {
      expect(inputs.filter((i) => i.endsWith(cut))).toEqual([]);
    }
    // The rewritten class, loaded from its own source, hashes and signs as node:crypto does.
    const dir = mkdtempSync(join(tmpdir(), "efs-guard-sha-"));
    const file = join(dir, "Sha256Node.mjs");
    // Its only import left is node:crypto, so it loads on its own.
    writeFileSync(file, nativeSha256(source("checksum/sha256/Sha256Node.js"))!);
    const { Sha256Node } = (await import(file)) as { Sha256Node: new (secret?: string) => any };
    const plain = new Sha256Node();
    plain.update(new TextEncoder().encode("efs"));
    expect(Buffer.from(await plain.digest()).toString("hex")).toBe(createHash("sha256").update("efs").digest("hex"));
    const keyed = new Sha256Node("secret");
    keyed.update(new TextEncoder().encode("efs"));
    expect(Buffer.from(await keyed.digest()).toString("hex")).toBe(
      createHmac("sha256", "secret").update("efs").digest("hex"),
    );
  });
});
