import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  bundleFunction,
  noInstanceMetadataRegion,
  noSigV4aAuthSchemes,
  noSigV4aRuntimeConfig,
  noSigV4aSharedRuntimeConfig,
  partitionsWithoutDescriptions,
  STS_CALLED_COMMANDS,
  STS_CALLED_ERRORS,
  stsCalledErrorsOnly,
} from "../../infra/bundling.js";
import { PROJECT_ROOT } from "../../infra/paths.js";
import { localeError } from "../../infra/zod-messages.js";
import { configSchema } from "../../shared/config/schema.js";

/**
 * The bundle-time cuts that pay for the member code (STS client, member access) in kms-key and file-system:
 * SigV4a out of STS, STS's errors of the operations no function calls, the partition table's display names, zod's
 * English locale, the IMDS region lookup. Each still
 * applies to the installed SDK, leaves a file of another shape alone, and keeps what the SDK computes.
 */
const requireFromRoot = createRequire(join(PROJECT_ROOT, "package.json"));
const dist = (pkg: string, path: string) =>
  join(dirname(requireFromRoot.resolve(`${pkg}/package.json`)), "dist-es", path);
const read = (pkg: string, path: string) => readFileSync(dist(pkg, path), "utf8");
const PARTITIONS = ["@aws-sdk/core", "submodules/client/util-endpoints/lib/aws/partitions.js"] as const;
const IMDS_REGION = [
  "@smithy/core",
  "submodules/config/config-resolver/regionConfig/getInstanceMetadataRegion.js",
] as const;

describe("the member bundles' SDK rewrites (infra/bundling.ts)", () => {
  it("SigV4a: each STS file loses the multi-region signer and the sigv4a scheme, and nothing else of its auth", () => {
    const runtime = noSigV4aRuntimeConfig(read("@aws-sdk/client-sts", "runtimeConfig.js"));
    const shared = noSigV4aSharedRuntimeConfig(read("@aws-sdk/client-sts", "runtimeConfig.shared.js"));
    const auth = noSigV4aAuthSchemes(read("@aws-sdk/client-sts", "auth/httpAuthSchemeProvider.js"));
    for (const out of [runtime, shared, auth]) {
      expect(out).toBeDefined();
      expect(out).not.toContain("SignatureV4MultiRegion");
      expect(out).not.toContain("AwsSdkSigV4ASigner");
    }
    // SigV4 stays the first (and only signable) scheme; resolveAwsSdkSigV4Config then signs with SignatureV4.
    for (const out of [runtime, shared]) expect(out).toContain('schemeId: "aws.auth#sigv4",');
    expect(shared).toContain("signerConstructor: config?.signerConstructor,");
    expect(auth).toContain("options.push(createAwsAuthSigv4HttpAuthOption(authParameters));");
    expect(noSigV4aSharedRuntimeConfig("export const getRuntimeConfig = () => ({});")).toBeUndefined();
    expect(noSigV4aAuthSchemes("export const x = 1;")).toBeUndefined();
  });

  it("SigV4a: the installed SDK has no SigV4a implementation, so the cut changes no signature", async () => {
    // SignatureV4MultiRegion signs with plain SigV4 unless the signing region is "*", which needs one of these.
    for (const pkg of ["@aws-sdk/signature-v4-crt", "@aws-sdk/signature-v4a"]) {
      expect(() => requireFromRoot.resolve(pkg)).toThrow();
    }
    const { SignatureV4MultiRegion } = await import("@aws-sdk/signature-v4-multi-region");
    expect(SignatureV4MultiRegion.sigv4aDependency()).toBe("none");
  });

  it("partitions: every region resolves to the same partition outputs without its display name", async () => {
    const source = read(...PARTITIONS);
    const out = partitionsWithoutDescriptions(source);
    expect(out).toBeDefined();
    expect(out).not.toContain('"description"');
    const dir = mkdtempSync(join(tmpdir(), "efs-guard-partitions-"));
    writeFileSync(join(dir, "partitions.mjs"), out!);
    const { partitionsInfo: compact } = await import(pathToFileURL(join(dir, "partitions.mjs")).href);
    const { partitionsInfo: full } = await import(pathToFileURL(dist(...PARTITIONS)).href);
    const strip = (p: any) => ({ ...p, regions: Object.fromEntries(Object.keys(p.regions).map((r) => [r, {}])) });
    expect(compact).toEqual({ ...full, partitions: full.partitions.map(strip) });
    expect(Object.keys(compact.partitions[0].regions)).toContain("us-east-1");
    // An entry with anything but a description keeps it (and the file is then bundled as it is).
    expect(partitionsWithoutDescriptions('{"r": { "description": "x", "supportsFIPS": false }}')).toBeUndefined();
  });

  it("IMDS region: the lookup answers undefined at once (Lambda has no instance metadata service)", async () => {
    const out = noInstanceMetadataRegion(read(...IMDS_REGION));
    expect(out).toBe("export const getInstanceMetadataRegion = async () => undefined;\n");
    expect(noInstanceMetadataRegion("export const getInstanceMetadataRegion = 1;")).toBeUndefined();
  });

  it("zod messages: each issue the schema raises gets a message naming what was expected", () => {
    const issues = (input: unknown) => {
      const result = configSchema.safeParse(input);
      expect(result.success).toBe(false);
      return result.error!.issues;
    };
    const [mode] = issues({ modes: { "efs-tls-enforced": "fix" } });
    expect(localeError(mode as never)).toMatch(/^Invalid option: expected one of "/);
    expect(localeError(mode as never)).toContain('"remediate"');
    const [type] = issues({ dryRun: "yes" });
    expect(localeError(type as never)).toBe("Invalid input: expected boolean");
    const [small] = issues({ sweepConcurrency: { efs: 0 } });
    expect(localeError(small as never)).toBe("Too small: expected number >= 1");
    const [email] = issues({ alertEmails: ["not-an-address"] });
    expect(localeError(email as never)).toBe("Invalid email");
    expect(localeError({ code: "custom" })).toBe("Invalid input");
  });

  it("STS errors: the kept ones are exactly what the called commands can throw in the installed SDK", () => {
    const types = join(dirname(requireFromRoot.resolve("@aws-sdk/client-sts/package.json")), "dist-types", "commands");
    const thrown = STS_CALLED_COMMANDS.flatMap((c) =>
      [...readFileSync(join(types, `${c}Command.d.ts`), "utf8").matchAll(/@throws \{@link (\w+)\}/g)].map((m) => m[1]),
    ).filter((name) => name !== "STSServiceException");
    expect([...new Set(thrown)].sort()).toEqual([...STS_CALLED_ERRORS].sort());
  });

  it("STS errors: the installed schemas keep those five registered and lose the other ten; another shape is left alone", () => {
    const source = read("@aws-sdk/client-sts", "schemas/schemas_0.js");
    const out = stsCalledErrorsOnly(source);
    expect(out).toBeDefined();
    const registered = (text: string) =>
      [...text.matchAll(/n0_registry\.registerError\((\w+)\$, \1\);/g)].map((m) => m[1]).sort();
    expect(registered(source)).toHaveLength(15);
    expect(registered(out as string)).toEqual([...STS_CALLED_ERRORS].sort());
    // The operations' own schemas are untouched.
    expect(out).toContain("export var AssumeRole$ = ");
    expect(out).toContain("export var GetCallerIdentity$ = ");
    expect(out).toContain("_s_registry.registerError(STSServiceException$, STSServiceException);");
    expect(stsCalledErrorsOnly("export const x = 1;\n")).toBeUndefined();
  });

  it("STS errors: no function bundles an STS command other than AssumeRole and GetCallerIdentity", async () => {
    const entries = readdirSync(join(PROJECT_ROOT, "functions"), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith("handler.ts"))
      .map((f) => `functions/${f}`);
    expect(entries.length).toBeGreaterThan(10);
    const commands = new Set<string>();
    for (const entry of entries) {
      const outdir = mkdtempSync(join(tmpdir(), "efs-guard-sts-commands-"));
      const metafile = await bundleFunction(entry, outdir);
      for (const o of Object.values(metafile.outputs)) {
        for (const [input, v] of Object.entries(o.inputs)) {
          const m = /@aws-sdk\/client-sts\/dist-es\/commands\/(\w+)Command\.js$/.exec(input);
          if (m && v.bytesInOutput > 0) commands.add(m[1] as string);
        }
      }
    }
    expect([...commands].every((c) => (STS_CALLED_COMMANDS as readonly string[]).includes(c))).toBe(true);
    expect(commands.has("AssumeRole")).toBe(true);
  }, 300_000);

  it("a member bundle carries none of the cut code, and the compact messages instead of zod's locale", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "efs-guard-member-rewrites-"));
    const metafile = await bundleFunction("functions/kms-key/handler.ts", outdir);
    const inputs = Object.values(metafile.outputs).flatMap((o) =>
      Object.entries(o.inputs)
        .filter(([, v]) => v.bytesInOutput > 0)
        .map(([k]) => k),
    );
    expect(inputs.some((i) => i.includes("@aws-sdk/client-sts/"))).toBe(true);
    expect(inputs.filter((i) => i.includes("signature-v4-multi-region") || i.includes("SigV4A"))).toEqual([]);
    expect(inputs.filter((i) => i.endsWith("zod/v4/locales/en.js"))).toEqual([]);
    expect(inputs).toContain("infra/zod-messages.ts");
    const bundle = readFileSync(join(outdir, "index.mjs"), "utf8");
    expect(bundle).not.toContain("US East (N. Virginia)");
    expect(bundle).toContain('"us-east-1":{}');
    expect(bundle).not.toContain("/latest/meta-data/placement/region");
    expect(bundle).not.toContain("IDPRejectedClaim");
    expect(bundle).toContain("RegionDisabledException");
  });
});
