import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BuildOptions, BuildResult, Metafile, Plugin } from "esbuild";
import { PROJECT_ROOT } from "./paths.js";

/**
 * How every guard function is bundled: the one definition that `cdk synth` (infra/constructs/guard-function.ts),
 * the infra tests and `npm run bench` all use, so the bench measures exactly what is deployed.
 *
 * An ESM bundle for Node.js 22+ syntax (the functions run on nodejs24.x) with the SDK inside, so a function never
 * depends on the SDK version of the runtime; minified; source maps for readable stack traces.
 */
export const BUNDLE_FILE = "index.mjs";
export const METAFILE = "index.meta.json";

export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  minify: true,
  // Node.js reads an ES module as UTF-8: the alert texts' non-ASCII characters (look-alikes, arrows, icons) need not
  // be escaped as \uXXXX, six bytes each.
  charset: "utf8",
  // License comments go to index.mjs.LEGAL.txt beside the bundle (in the same asset), not into the code.
  legalComments: "external",
  // The map is written beside the bundle for reading stack traces; no sourceMappingURL comment, since the functions
  // do not load it (no --enable-source-maps: parsing it costs every cold start).
  sourcemap: "external",
  // The SDK and Powertools ship ES module builds under "module": only those can be tree-shaken.
  mainFields: ["module", "main"],
  // No banner defining require(): no dependency bundled today calls it (esbuild would emit its __require shim), and
  // the integration tests run every bundle under the Lambda runtime's Node.js, where a missing require fails loudly.
  logLevel: "warning",
} as const satisfies BuildOptions;

/**
 * Makes the SDK's generated schemas tree-shakeable. Since aws-sdk-js-v3 3.930 every client's schemas_0.js writes
 * trait objects with computed keys that name string constants of the same file (`{ [_eQN]: "x" }`). esbuild must
 * assume a computed key can run code (toString), so it keeps every such statement: the whole EC2 model, 540 kB
 * minified, for five commands (aws/aws-sdk-js-v3#7607; the generator fix is smithy-lang/smithy-typescript#1889).
 * This rewrites exactly those keys to the string literal the constant holds, which is what the fixed generator
 * emits; a key whose constant is not a plain string literal of the file is left alone.
 */
export const sdkSchemaLiteralKeys: Plugin = {
  name: "sdk-schema-literal-keys",
  setup(build) {
    build.onLoad(
      { filter: /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/](.+[\\/])?schemas[\\/]schemas_\d+\.js$/ },
      async (args) => {
        const source = await readFile(args.path, "utf8");
        const strings = new Map<string, string>();
        for (const m of source.matchAll(/^const (_[A-Za-z0-9_]+) = ("(?:[^"\\\n]|\\.)*");$/gm)) {
          strings.set(m[1] as string, m[2] as string);
        }
        const contents = source.replace(/\[(_[A-Za-z0-9_]+)\]:/g, (key, name: string) => {
          const literal = strings.get(name);
          return literal === undefined ? key : `${literal}:`;
        });
        const sts = /[\\/]@aws-sdk[\\/]client-sts[\\/]/.test(args.path) ? stsCalledErrorsOnly(contents) : undefined;
        return { contents: sts ?? contents, loader: "js" };
      },
    );
  },
};

/**
 * The STS operations the functions call: AssumeRole (the hub's member access, the approver check) and
 * GetCallerIdentity (no modeled error). test/infra/sdk-member-rewrites.test.ts checks that no bundle imports another
 * STS command.
 */
export const STS_CALLED_COMMANDS = ["AssumeRole", "GetCallerIdentity"] as const;

/** The modeled errors of those operations (AWS STS API Reference, AssumeRole, Errors; the SDK's @throws). */
export const STS_CALLED_ERRORS = [
  "ExpiredTokenException",
  "InvalidContextAssertionException",
  "MalformedPolicyDocumentException",
  "PackedPolicyTooLargeException",
  "RegionDisabledException",
];

/**
 * STS's schemas register every modeled error of the service with its error registry (a statement esbuild must keep,
 * and with it the error's schema and class): 15 errors, of which AssumeRole and GetCallerIdentity can answer five.
 * The other ten (web identity, SAML, trade-in tokens, ...) are left out. Should STS ever answer one of them, the SDK
 * throws its base STSServiceException with the wire code as `name` (ProtocolLib.getErrorSchemaOrThrowBaseException),
 * which is what the guard reads (awsErrorCode). A file of another shape is left alone (undefined).
 */
export function stsCalledErrorsOnly(source: string): string | undefined {
  const keep = new Set(STS_CALLED_ERRORS);
  let removed = 0;
  const block = /^export var (\w+)\$ = \[-3, n0, \w+,\n(?: {4}.*\n)+?\];\nn0_registry\.registerError\(\1\$, \1\);\n/gm;
  const out = source.replace(block, (whole, name: string) => {
    if (keep.has(name)) return whole;
    removed++;
    return "";
  });
  // Exactly the five remain registered, or the file is not the shape this expects.
  const registered = out.split("n0_registry.registerError(").length - 1;
  const kept = STS_CALLED_ERRORS.every((name) => out.includes(`n0_registry.registerError(${name}$, ${name});`));
  return removed > 0 && kept && registered === STS_CALLED_ERRORS.length ? out : undefined;
}

/**
 * Inside Lambda, credentials always come from the environment: the Node.js default credential chain (SSO, ini,
 * process, web identity, with their nested STS/SSO clients) is replaced by infra/lambda-credentials.ts.
 */
export const lambdaCredentialChain: Plugin = {
  name: "lambda-credential-chain",
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: join(PROJECT_ROOT, "infra", "lambda-credentials.ts"),
    }));
  },
};

/**
 * The SDK's HTTP protocols import event-stream support lazily (`import("@smithy/core/event-streams")` in
 * HttpProtocol), for operations that stream events; none of the functions' clients has one, but for S3's
 * SelectObjectContent, which the sweep never calls (its S3 client's own config imports the real module). That one import is
 * resolved to infra/no-event-streams.ts, which fails clearly if it is ever reached; any other importer gets the real
 * module.
 */
export const noEventStreams: Plugin = {
  name: "no-event-streams",
  setup(build) {
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (args) =>
      /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]protocols[\\/]HttpProtocol\.js$/.test(args.importer)
        ? { path: join(PROJECT_ROOT, "infra", "no-event-streams.ts") }
        : undefined,
    );
  },
};

/**
 * Every SDK client imports its whole package.json (2 kB minified: scripts, dependencies, ...) for one field, the
 * version it puts in the User-Agent (`packageInfo.version` in runtimeConfig.js). The bundles get that field alone;
 * test/infra/bundle-parity.test.ts checks that no client reads any other.
 */
export const sdkPackageVersionOnly: Plugin = {
  name: "sdk-package-version-only",
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/ }, async (args) => {
      const { name, version } = JSON.parse(await readFile(args.path, "utf8")) as { name: string; version: string };
      return { contents: JSON.stringify({ name, version }), loader: "json" };
    });
  },
};

/**
 * Every client's models/errors.js declares one class per modeled error (KMS 52, SNS 40, EFS 33: 8-13 kB minified
 * each, 37 kB of the file-system function), all of the same generated shape: a name, a fault, the member fields
 * copied from the constructor's options, sometimes a static shapeId or an empty $retryable. This emits the same
 * classes from one factory: same export names, same `name`, `$fault`, `$retryable`, `shapeId`, members and
 * prototype chain (instanceof the class and the service's base exception), the class's own name. A file with any
 * line outside that shape is left as it is. test/infra/sdk-errors.test.ts compares both versions of every client.
 */
const FIXED_LINES = new Set([
  'name = "NAME";',
  'name: "NAME",',
  "Object.setPrototypeOf(this, NAME.prototype);",
  "constructor(opts) {",
  "super({",
  "...opts,",
  "});",
  "}",
]);

export function compactSdkErrors(source: string): string | undefined {
  const header = /^import \{ (\w+) as __BaseException \} from "(\.\/\w+)";\n/.exec(source);
  if (!header) return undefined;
  const rest = source.slice(header[0].length);
  const classes: string[] = [];
  const block = /export class (\w+) extends __BaseException \{\n([\s\S]*?)\n\}\n/gy;
  let end = 0;
  for (let m = block.exec(rest); m; m = block.exec(rest)) {
    end = block.lastIndex;
    const name = m[1] as string;
    let fault: string | undefined;
    let shapeId = "";
    let retryable = false;
    const declared: string[] = [];
    const copied: string[] = [];
    for (const raw of (m[2] as string).split("\n")) {
      const line = raw.trim();
      const faultLine = /^\$fault(?: = |: )"(client|server)"[;,]$/.exec(line);
      const shapeLine = /^static shapeId = ("[^"\\]+");$/.exec(line);
      const field = /^(\w+);$/.exec(line);
      const copy = /^this\.(\w+) = opts\.(\w+);$/.exec(line);
      if (faultLine) {
        if (fault !== undefined && fault !== faultLine[1]) return undefined;
        fault = faultLine[1];
      } else if (shapeLine) shapeId = shapeLine[1] as string;
      else if (line === "$retryable = {};") retryable = true;
      else if (field) declared.push(field[1] as string);
      else if (copy && copy[1] === copy[2]) copied.push(copy[1] as string);
      else if (!FIXED_LINES.has(line.replaceAll(name, "NAME"))) return undefined;
    }
    if (!fault || declared.join() !== copied.join()) return undefined;
    classes.push(
      `export const ${name} = /* @__PURE__ */ e("${name}", "${fault}", ${JSON.stringify(copied)}, ${shapeId || 0}, ${retryable ? 1 : 0});`,
    );
  }
  if (end !== rest.length || classes.length === 0) return undefined;
  return `import { ${header[1]} as __BaseException } from "${header[2]}";
const e = (name, $fault, fields, shapeId, retryable) => {
  const C = class extends __BaseException {
    constructor(opts) {
      super({ name, $fault, ...opts });
      this.name = name;
      this.$fault = $fault;
      if (retryable) this.$retryable = {};
      for (const f of fields) this[f] = undefined;
      Object.setPrototypeOf(this, C.prototype);
      for (const f of fields) this[f] = opts[f];
    }
  };
  Object.defineProperty(C, "name", { value: name });
  if (shapeId) C.shapeId = shapeId;
  return C;
};
${classes.join("\n")}
`;
}

export const sdkCompactErrors: Plugin = {
  name: "sdk-compact-errors",
  setup(build) {
    build.onLoad(
      { filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]models[\\/]errors\.js$/ },
      async (args) => {
        const contents = compactSdkErrors(await readFile(args.path, "utf8"));
        return contents === undefined ? undefined : { contents, loader: "js" };
      },
    );
  },
};

/**
 * Applies exact text replacements to an SDK file, each of which must match exactly once, and checks that `gone`
 * (the name of what they cut out) no longer occurs; otherwise undefined, and the file is bundled as it is: an SDK
 * update that changes the file costs bytes, never behaviour (test/infra/bundle-parity.test.ts checks that each
 * rewrite still applies to the installed SDK).
 */
export function rewriteExactly(source: string, replacements: [string, string][], gone: string): string | undefined {
  let out = source;
  for (const [from, to] of replacements) {
    if (out.split(from).length !== 2) return undefined;
    out = out.replace(from, () => to);
  }
  return out.includes(gone) ? undefined : out;
}

/**
 * The SDK's SHA-256 (request signing, @smithy/core checksum Sha256Node) uses node:crypto and falls back to a pure
 * JavaScript implementation (Sha256Js, 3.3 kB minified) when createHash("sha256") throws. Node.js always has SHA-256
 * (OpenSSL's default provider, FIPS mode included), so the fallback can never run in Lambda's Node.js 24: the class
 * is built from node:crypto alone.
 */
export const nativeSha256 = (source: string) =>
  rewriteExactly(
    source,
    [
      ['import { Sha256Js } from "./Sha256Js";\n', ""],
      ["hasNativeCrypto ? buildNativeClass() : Sha256Js;", "buildNativeClass();"],
    ],
    "Sha256Js",
  );

/**
 * A response body is given the SDK's stream methods by sdkStreamMixin, which also accepts a web ReadableStream (the
 * browser variant, with its base64 and UTF-8 helpers: 2.4 kB minified) for FetchHttpHandler. The functions' clients
 * use NodeHttpHandler, whose bodies are always a Node.js Readable: anything else gets the SDK's own "Unexpected
 * stream implementation" error, as it would from the browser variant.
 */
export const nodeStreamsOnly = (source: string) =>
  rewriteExactly(
    source,
    [
      ['import { sdkStreamMixin as sdkStreamMixinReadableStream } from "./sdk-stream-mixin.browser";\n', ""],
      ["return sdkStreamMixinReadableStream(stream);", "throw stream;"],
    ],
    "sdkStreamMixinReadableStream",
  );

/**
 * Endpoint parameters get S3's bucket-name customizations (resolveParamsForS3, 0.8 kB minified) in every client,
 * used only when the client is S3's. Only the sweep bundles an S3 client (the organization sweep's runs bucket,
 * S3_ENTRIES) and keeps them; in any other bundle an S3 client's first call fails with this message instead of
 * resolving a wrong endpoint.
 */
export const noS3Customizations = (source: string) =>
  rewriteExactly(
    source,
    [
      ['import { resolveParamsForS3 } from "../service-customizations";\n', ""],
      [
        "await resolveParamsForS3(endpointParams);",
        'throw new Error("the S3 endpoint customizations are not bundled (infra/bundling.ts noS3Customizations)");',
      ],
    ],
    "resolveParamsForS3",
  );

/**
 * STS's client (since 3.9xx) also offers SigV4a, the multi-region signature, and signs through
 * @aws-sdk/signature-v4-multi-region (SignatureV4MultiRegion, 4 kB minified with its sigv4a signer and config).
 * SigV4a can only be computed with @aws-sdk/signature-v4-crt or @aws-sdk/signature-v4a, neither of which is
 * installed: SignatureV4MultiRegion.sigv4aDependency() is "none", so the SDK already skips sigv4a wherever sigv4 is
 * offered, and SignatureV4MultiRegion signs every STS request with its plain SigV4 signer (@smithy/signature-v4's
 * SignatureV4, which every other client of the bundle uses). The only call made, AssumeRole on the caller's regional
 * endpoint, is signed with Signature Version 4 (AWS STS API Reference, "Common Parameters" and "Signing AWS API
 * requests"; IAM User Guide, "AWS Signature Version 4 for API requests": SigV4a is for multi-Region endpoints such
 * as S3 Multi-Region Access Points). This leaves out the sigv4a scheme and the multi-region signer, so that
 * resolveAwsSdkSigV4Config's default, SignatureV4, signs: the same bytes on the wire.
 */
const SIGV4A_SCHEME = (indent: string) =>
  `${indent}{\n${indent}    schemeId: "aws.auth#sigv4a",\n${indent}    identityProvider: (ipc) => ipc.getIdentityProvider("aws.auth#sigv4a"),\n${indent}    signer: new AwsSdkSigV4ASigner(),\n${indent}},\n`;

export const noSigV4aRuntimeConfig = (source: string) =>
  rewriteExactly(
    source,
    [
      [
        "import { AwsSdkSigV4ASigner, AwsSdkSigV4Signer, NODE_AUTH_SCHEME_PREFERENCE_OPTIONS, NODE_SIGV4A_CONFIG_OPTIONS, }",
        "import { AwsSdkSigV4Signer, NODE_AUTH_SCHEME_PREFERENCE_OPTIONS, }",
      ],
      [SIGV4A_SCHEME("            "), ""],
      [
        "        sigv4aSigningRegionSet: config?.sigv4aSigningRegionSet ?? loadNodeConfig(NODE_SIGV4A_CONFIG_OPTIONS, loaderConfig),\n",
        "",
      ],
    ],
    'sigv4a"',
  );

export const noSigV4aSharedRuntimeConfig = (source: string) =>
  rewriteExactly(
    source,
    [
      ["import { AwsSdkSigV4ASigner, AwsSdkSigV4Signer } from", "import { AwsSdkSigV4Signer } from"],
      ['import { SignatureV4MultiRegion } from "@aws-sdk/signature-v4-multi-region";\n', ""],
      [SIGV4A_SCHEME("            "), ""],
      [
        "signerConstructor: config?.signerConstructor ?? SignatureV4MultiRegion,",
        "signerConstructor: config?.signerConstructor,",
      ],
    ],
    "SignatureV4MultiRegion",
  );

export const noSigV4aAuthSchemes = (source: string) =>
  rewriteExactly(
    source,
    [
      ['import { SignatureV4MultiRegion } from "@aws-sdk/signature-v4-multi-region";\n', ""],
      ['SignatureV4MultiRegion.sigv4aDependency() === "none"', "true"],
      ["import { resolveAwsSdkSigV4AConfig, resolveAwsSdkSigV4Config, }", "import { resolveAwsSdkSigV4Config, }"],
      ["const config_1 = resolveAwsSdkSigV4AConfig(config_0);", "const config_1 = config_0;"],
    ],
    "SignatureV4MultiRegion",
  );

/** Which clients the SigV4a cut applies to: those whose generated code offers it (of ours, STS). */
const SIGV4A_REWRITES: { file: RegExp; rewrite: (source: string) => string | undefined }[] = [
  { file: /[\\/]dist-es[\\/]runtimeConfig\.js$/, rewrite: noSigV4aRuntimeConfig },
  { file: /[\\/]dist-es[\\/]runtimeConfig\.shared\.js$/, rewrite: noSigV4aSharedRuntimeConfig },
  { file: /[\\/]dist-es[\\/]auth[\\/]httpAuthSchemeProvider\.js$/, rewrite: noSigV4aAuthSchemes },
];

export const sdkPartitionsCompact: Plugin = {
  name: "sdk-partitions-compact",
  setup(build) {
    build.onLoad(
      {
        filter:
          /[\\/]@aws-sdk[\\/]core[\\/]dist-es[\\/]submodules[\\/]client[\\/]util-endpoints[\\/]lib[\\/]aws[\\/]partitions\.js$/,
      },
      async (args) => {
        const contents = partitionsWithoutDescriptions(await readFile(args.path, "utf8"));
        return contents === undefined ? undefined : { contents, loader: "js" };
      },
    );
  },
};

/**
 * zod's English locale, imported by shared/config/schema.ts, becomes infra/zod-messages.ts in the bundles: shorter
 * messages from the issue's own fields (2.7 kB less in every function). Only the functions' slow path, a
 * configuration edited after synth, ever shows them; `cdk synth` and the CLI run from source with zod's texts.
 */
export const compactZodMessages: Plugin = {
  name: "compact-zod-messages",
  setup(build) {
    build.onResolve({ filter: /^zod\/v4\/locales\/en\.js$/ }, (args) =>
      /[\\/]shared[\\/]config[\\/]schema\.ts$/.test(args.importer)
        ? { path: join(PROJECT_ROOT, "infra", "zod-messages.ts") }
        : undefined,
    );
  },
};

export const sdkNoSigV4a: Plugin = {
  name: "sdk-no-sigv4a",
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-sts[\\/]dist-es[\\/].+\.js$/ }, async (args) => {
      const rule = SIGV4A_REWRITES.find((r) => r.file.test(args.path));
      if (!rule) return undefined;
      const contents = rule.rewrite(await readFile(args.path, "utf8"));
      return contents === undefined ? undefined : { contents, loader: "js" };
    });
  },
};

/**
 * Every client's endpoint rules look a region up in the SDK's partition table (@aws-sdk/core util-endpoints
 * partitions.js, 4.7 kB minified), whose entries for the 55 known regions carry nothing but a display name
 * ("description": "US East (N. Virginia)"). partition() spreads the region's entry into its answer, and the rules
 * read only the partition's own outputs from it (name, dnsSuffix, dualStackDnsSuffix, supportsFIPS,
 * supportsDualStack, implicitGlobalRegion: the "aws.partition" function of the Smithy rules engine), never a
 * description. This drops the names and keeps every region as a key, so each region still resolves to the same
 * partition; a region entry with anything else in it keeps it (only description-only entries are matched).
 */
export const partitionsWithoutDescriptions = (source: string) => {
  const out = source.replace(/\{\s*"description": "[^"\\\n]*"\s*\}/g, "{}");
  return out === source || out.includes('"description"') ? undefined : out;
};

/**
 * The SDK asks the EC2 instance metadata service (IMDS) for a region in two places: the region setting's last
 * default, when AWS_REGION is unset, and defaults mode "auto" outside Lambda (getInstanceMetadataRegion, 1.2 kB
 * minified). A Lambda function has no instance metadata service, and Lambda always sets AWS_REGION and
 * AWS_EXECUTION_ENV (AWS Lambda Developer Guide, "Defined runtime environment variables"; the functions also give
 * every client its region), so the lookup can only answer undefined there, after its timeout. In the bundles it
 * answers undefined at once: the SDK then behaves as with IMDS unreachable ("Region is missing", or defaults mode
 * "standard").
 */
export const noInstanceMetadataRegion = (source: string) =>
  source.includes("export const getInstanceMetadataRegion = async () => {") && source.includes("IMDS_REGION_PATH")
    ? "export const getInstanceMetadataRegion = async () => undefined;\n"
    : undefined;

/** The functions whose bundle carries an S3 client (shared/aws/sweep-map.ts, the runs bucket). */
export const S3_ENTRIES: ReadonlySet<string> = new Set(["functions/sweep/handler.ts"]);

type SdkRewrite = { file: RegExp; rewrite: (source: string) => string | undefined };
/** The SDK files rewritten by the functions above, by path. */
const SDK_REWRITES: SdkRewrite[] = [
  { file: /[\\/]checksum[\\/]sha256[\\/]Sha256Node\.js$/, rewrite: nativeSha256 },
  { file: /[\\/]serde[\\/]util-stream[\\/]sdk-stream-mixin\.js$/, rewrite: nodeStreamsOnly },
  { file: /[\\/]middleware-endpoint[\\/]adaptors[\\/]getEndpointFromInstructions\.js$/, rewrite: noS3Customizations },
  { file: /[\\/]regionConfig[\\/]getInstanceMetadataRegion\.js$/, rewrite: noInstanceMetadataRegion },
];

function sdkRewrites(rewrites: readonly SdkRewrite[]): Plugin {
  return {
    name: "sdk-node-only",
    setup(build) {
      build.onLoad({ filter: /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/].+\.js$/ }, async (args) => {
        const rule = rewrites.find((r) => r.file.test(args.path));
        if (!rule) return undefined;
        const contents = rule.rewrite(await readFile(args.path, "utf8"));
        return contents === undefined ? undefined : { contents, loader: "js" };
      });
    },
  };
}
export const sdkNodeOnly: Plugin = sdkRewrites(SDK_REWRITES);
/** The same, keeping S3's endpoint customizations (S3_ENTRIES). */
const sdkNodeOnlyWithS3: Plugin = sdkRewrites(SDK_REWRITES.filter((r) => r.rewrite !== noS3Customizations));

export const BUNDLE_PLUGINS: Plugin[] = [
  sdkSchemaLiteralKeys,
  lambdaCredentialChain,
  noEventStreams,
  sdkPackageVersionOnly,
  sdkCompactErrors,
  sdkNodeOnly,
  sdkNoSigV4a,
  sdkPartitionsCompact,
  compactZodMessages,
];

/** The complete esbuild options for one function: its entry (relative to the project root) into outdir. */
export function esbuildOptions(entry: string, outdir: string): BuildOptions & { metafile: true } {
  return {
    ...BUNDLE_OPTIONS,
    mainFields: [...BUNDLE_OPTIONS.mainFields],
    absWorkingDir: PROJECT_ROOT,
    // Lambda calls only the `handler` export: bundling the entry through this one line leaves the module's other
    // exports (createHandler, for the tests that run the source) unexported, so unused ones can go.
    stdin: {
      contents: `export { handler } from ${JSON.stringify(`./${entry}`)};`,
      resolveDir: PROJECT_ROOT,
      sourcefile: "lambda-entry.js",
      loader: "js",
    },
    outfile: join(outdir, BUNDLE_FILE),
    metafile: true,
    plugins: S3_ENTRIES.has(entry)
      ? BUNDLE_PLUGINS.map((p) => (p === sdkNodeOnly ? sdkNodeOnlyWithS3 : p))
      : BUNDLE_PLUGINS,
  };
}

/** Bundles one function (asynchronously, in this process) and returns esbuild's metafile. */
export async function bundleFunction(entry: string, outdir: string): Promise<Metafile> {
  const { build } = await import("esbuild");
  const result: BuildResult<{ metafile: true }> = await build(esbuildOptions(entry, outdir));
  return result.metafile;
}

/**
 * The same bundling, synchronously, for CDK's local bundling hook: esbuild's synchronous API cannot run plugins,
 * so a child process runs bundleFunction (infra/bundle-cli.ts) and writes the metafile next to the bundle.
 */
export function bundleFunctionSync(entry: string, outdir: string): void {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", join(PROJECT_ROOT, "infra", "bundle-cli.ts"), entry, outdir],
    {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    },
  );
  if (result.status !== 0) {
    throw new Error(`bundling ${entry} failed (exit ${result.status}):\n${result.stderr}${result.stdout}`);
  }
}
