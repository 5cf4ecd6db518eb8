import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { compactSdkErrors } from "../../infra/bundling.js";
import { PROJECT_ROOT } from "../../infra/paths.js";

/**
 * The bundles' compact SDK error classes (infra/bundling.ts, sdkCompactErrors) behave as the generated ones: for
 * every installed client, the same exports, and for every class the same instance (own properties and values,
 * `name`, `$fault`, `$retryable`, message, prototype chain) from the options the SDK's deserializers pass (a message
 * string) and from an options object, the same class name and static shapeId.
 */
const SDK = join(PROJECT_ROOT, "node_modules", "@aws-sdk");
const clients = readdirSync(SDK)
  .filter((d) => d.startsWith("client-"))
  .map((d) => join(SDK, d, "dist-es", "models", "errors.js"))
  .filter((f) => existsSync(f));

type Ctor = (new (opts: unknown) => Error & Record<string, unknown>) & { shapeId?: string };

function snapshot(error: Error & Record<string, unknown>) {
  return {
    own: Object.entries(error),
    name: error.name,
    message: error.message,
    fault: error.$fault,
    retryable: error.$retryable,
    proto: Object.getPrototypeOf(error).constructor.name,
  };
}

describe("compact SDK error classes", () => {
  it("cover the clients the functions use", () => {
    const names = clients.map((f) => f.split("/").at(-4));
    for (const c of ["client-efs", "client-kms", "client-sns", "client-sfn", "client-ec2", "client-backup"]) {
      if (names.includes(c))
        expect(compactSdkErrors(readFileSync(join(SDK, c, "dist-es/models/errors.js"), "utf8"))).toBeDefined();
    }
  });

  it.each(clients.map((f) => [f.split("/").at(-4), f]))("%s: same exports, same errors", async (_, file) => {
    const source = readFileSync(file as string, "utf8");
    const compact = compactSdkErrors(source);
    // Every installed client's file has the generated shape today; a new shape is left as is by the plugin, and
    // shows up here first.
    if (compact === undefined) throw new Error(`${file}: not in the generated shape; compactSdkErrors leaves it`);
    const base = /from "(\.\/\w+)";/.exec(compact)![1]!;
    const absolute = pathToFileURL(join(dirname(file as string), `${base}.js`)).href;
    const original = (await import(pathToFileURL(file as string).href)) as Record<string, Ctor>;
    const rewritten = (await import(
      `data:text/javascript,${encodeURIComponent(compact.replace(`"${base}"`, JSON.stringify(absolute)))}`
    )) as Record<string, Ctor>;
    expect(Object.keys(rewritten).sort()).toEqual(Object.keys(original).sort());
    const { [base.slice(2)]: Base } = (await import(absolute)) as Record<string, Ctor>;
    for (const [name, Original] of Object.entries(original)) {
      const Compact = rewritten[name]!;
      expect(Compact.name).toBe(Original.name);
      expect(Compact.shapeId).toBe(Original.shapeId);
      const options = {
        message: "m",
        $metadata: { httpStatusCode: 400 },
        ...Object.fromEntries(Object.keys(new Original({})).map((k) => [k, `v-${k}`])),
      };
      for (const opts of ["a message", options, {}]) {
        const a = new Original(opts);
        const b = new Compact(opts);
        expect(snapshot(b)).toEqual(snapshot(a));
        expect(b).toBeInstanceOf(Compact);
        expect(b).toBeInstanceOf(Base!);
        expect(b).toBeInstanceOf(Error);
      }
    }
  });
});
