import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../bin/args.js";
import { environmentProblem } from "../../bin/aws-problem.js";
import { loadConfig } from "../../bin/config.js";
import { table } from "../../bin/format.js";
import { fsProblem } from "../../bin/fs-problem.js";
import { collectFiles, readItems } from "../../bin/replay-input.js";
import { toAwsCallError } from "../../shared/aws/errors.js";

const dir = () => mkdtempSync(join(tmpdir(), "efs-guard-unit-"));
const put = (path: string, data: string | Buffer) => {
  writeFileSync(path, data);
  return path;
};

describe("replay input", () => {
  const record = { eventSource: "ec2.amazonaws.com", eventName: "AuthorizeSecurityGroupIngress" };

  it("reads one event, a Records log file, an array, gzip by magic bytes, and a BOM", () => {
    const d = dir();
    expect(readItems(put(join(d, "one.json"), JSON.stringify(record)))).toEqual([
      { kind: "event", file: join(d, "one.json"), event: record },
    ]);
    const log = JSON.stringify({ Records: [record, record] });
    const gz = put(join(d, "no-extension"), gzipSync(log));
    expect(readItems(gz).map((i) => [i.kind, (i as any).record])).toEqual([
      ["event", "Records[0]"],
      ["event", "Records[1]"],
    ]);
    const array = put(join(d, "array.json"), `\uFEFF${JSON.stringify([record])}`);
    expect(readItems(array)).toEqual([{ kind: "event", file: array, index: 0, record: "[0]", event: record }]);
  });

  it("names what is wrong: bad JSON, bad gzip, Records not a list, a non-object record, a scalar", () => {
    const d = dir();
    const problem = (data: string | Buffer) => readItems(put(join(d, "x"), data)).map((i) => (i as any).problem);
    expect(problem("{")[0]).toMatch(/^not valid JSON: /);
    expect(problem(Buffer.from([0x1f, 0x8b, 0, 0]))[0]).toMatch(/^gzip data that does not decompress: /);
    expect(problem('{"Records": {}}')).toEqual(["Records is not an array"]);
    expect(problem('{"Records": [null]}')).toEqual(["null is not an event object"]);
    expect(problem("42")).toEqual(["not a CloudTrail log file, EventBridge event or CloudTrail record"]);
  });

  it("skips CloudTrail digest files", () => {
    const d = dir();
    const digest = put(join(d, "d.json"), JSON.stringify({ digestStartTime: "x", logFiles: [] }));
    expect(readItems(digest)).toEqual([expect.objectContaining({ kind: "skipped" })]);
  });

  it("walks directories recursively in byte order, event files only; explicit files are taken as given", () => {
    const d = dir();
    mkdirSync(join(d, "b"));
    mkdirSync(join(d, "a", "z"), { recursive: true });
    for (const f of ["b/2.json", "a/z/1.json.gz", "a/B.json", "a/readme.md", "b/10.gz"]) put(join(d, f), "{}");
    const other = put(join(d, "a", "readme.md"), "{}");
    expect(collectFiles([d, other]).map((f) => f.slice(d.length + 1))).toEqual([
      "a/B.json",
      "a/z/1.json.gz",
      "b/10.gz",
      "b/2.json",
      "a/readme.md",
    ]);
  });

  it("a missing path or an empty directory is a usage error", () => {
    const d = dir();
    expect(() => collectFiles([join(d, "missing")])).toThrow(UsageError);
    expect(() => collectFiles([d])).toThrow(/no event files/);
  });
});

describe("configuration for the CLI", () => {
  it("--config first, then the efsGuard context of cdk.json, then the defaults", () => {
    const d = dir();
    expect(loadConfig(undefined, d)).toMatchObject({ source: "defaults", config: { dryRun: false } });
    put(join(d, "cdk.json"), JSON.stringify({ context: { efsGuard: { dryRun: true } } }));
    expect(loadConfig(undefined, d)).toMatchObject({ source: "cdk.json (context efsGuard)", config: { dryRun: true } });
    put(join(d, "mine.json"), JSON.stringify({ modes: { "efs-nfs-ingress-restricted": "alert" } }));
    const mine = loadConfig("mine.json", d);
    expect(mine.source).toBe("mine.json");
    expect(mine.config.dryRun).toBe(false);
    expect(mine.config.modes["efs-nfs-ingress-restricted"]).toBe("alert");
  });

  it("errors name the file and the key", () => {
    const d = dir();
    put(join(d, "bad.json"), JSON.stringify({ rotationPeriodInDays: 7 }));
    expect(() => loadConfig("bad.json", d)).toThrow(/bad\.json: .*rotationPeriodInDays \(got 7\)/s);
    put(join(d, "broken.json"), "{");
    expect(() => loadConfig("broken.json", d)).toThrow(/^broken\.json is not valid JSON/);
    const expected = "expected a JSON file: the efsGuard object, or a cdk.json with an efsGuard context";
    expect(() => loadConfig("none.json", d)).toThrow(new UsageError(`none.json does not exist; ${expected}`));
    // A directory given as the file: one line naming it and what was expected, not EISDIR.
    mkdirSync(join(d, "conf"));
    expect(() => loadConfig("conf", d)).toThrow(new UsageError(`conf is a directory; ${expected}`));
    expect(() => loadConfig("/dev/null", d)).toThrow(new UsageError(`/dev/null is not a regular file; ${expected}`));
  });

  it("--config takes the efsGuard object or a cdk.json, detected by its keys", () => {
    const d = dir();
    put(join(d, "object.json"), JSON.stringify({ dryRun: true }));
    expect(loadConfig("object.json", d)).toMatchObject({ source: "object.json", config: { dryRun: true } });
    put(
      join(d, "other-cdk.json"),
      JSON.stringify({ app: "npx tsx infra/app.ts", context: { efsGuard: { dryRun: true } } }),
    );
    expect(loadConfig("other-cdk.json", d)).toMatchObject({
      source: "other-cdk.json (context efsGuard)",
      config: { dryRun: true },
    });
    // The -c efsGuard='{...}' form kept in a cdk.json: a JSON string.
    put(join(d, "string.json"), JSON.stringify({ context: { efsGuard: '{"dryRun":true}' } }));
    expect(loadConfig("string.json", d).config.dryRun).toBe(true);
    put(join(d, "plain-cdk.json"), JSON.stringify({ app: "x" }));
    expect(loadConfig("plain-cdk.json", d)).toMatchObject({
      source: "plain-cdk.json (no efsGuard context: defaults)",
      config: { dryRun: false },
    });
    put(join(d, "bad-cdk.json"), JSON.stringify({ context: { efsGuard: { modes: { "efs-nfs": "alert" } } } }));
    expect(() => loadConfig("bad-cdk.json", d)).toThrow(/bad-cdk\.json \(context efsGuard\): .*unknown control id/s);
  });
});

describe("file-system errors", () => {
  it("become one line naming the path and what was expected", () => {
    const eisdir = Object.assign(new Error("EISDIR: illegal operation on a directory, read"), {
      code: "EISDIR",
      syscall: "read",
    });
    expect(fsProblem(eisdir, "trail/", "a JSON file")).toBe("trail/ is a directory; expected a JSON file");
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'x.json'"), {
      code: "ENOENT",
      syscall: "open",
      path: "x.json",
    });
    expect(fsProblem(enoent)).toBe("x.json does not exist");
    expect(fsProblem(new Error("other"))).toBeUndefined();
    // What replay says of an input it cannot read, instead of "EISDIR: illegal operation on a directory, read".
    const d = dir();
    expect(readItems(d)).toEqual([
      {
        kind: "malformed",
        file: d,
        problem: "the file is a directory; expected a readable CloudTrail log file or event",
      },
    ]);
  });
});

describe("format", () => {
  it("aligns columns, styles only the header, trims trailing spaces", () => {
    const out = table(
      [
        ["a", "bb", "c"],
        ["ccc", "d", ""],
      ],
      { indent: "  ", header: (l) => `<${l}>` },
    );
    expect(out).toBe("<  a    bb  c>\n  ccc  d");
  });
});

describe("environment problems", () => {
  it("connection failures say where and what to check; AWS answers are left alone", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
    try {
      expect(environmentProblem(toAwsCallError("ec2:DescribeVpcs", refused))).toBe(
        "cannot reach AWS at http://127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9; check AWS_ENDPOINT_URL / network / credentials",
      );
      const aggregate = Object.assign(new AggregateError([refused], ""), {});
      expect(environmentProblem(toAwsCallError("ec2:DescribeVpcs", aggregate))).toMatch(/^cannot reach AWS/);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
    const creds = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    expect(environmentProblem(toAwsCallError("ec2:DescribeVpcs", creds))).toMatch(/^no AWS credentials: /);
    const denied = Object.assign(new Error("not authorized"), { name: "UnauthorizedOperation" });
    expect(environmentProblem(toAwsCallError("ec2:DescribeVpcs", denied))).toBeUndefined();
  });
});
