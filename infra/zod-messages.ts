/**
 * The configuration's error messages inside the functions' bundles, in place of zod's English locale
 * (zod/v4/locales/en.js, 2.7 kB minified: see infra/bundling.ts compactZodMessages). A function validates its
 * configuration only when its environment no longer matches what `cdk synth` validated (shared/config/runtime.ts),
 * and shared/config/schema.ts's describeIssue already names the key and the value it got; so these messages say what
 * was expected in a few words, from the issue's own fields, with no dictionary of formats or type names. `cdk
 * synth`, the CLI and the tests keep zod's full English texts.
 */
type Issue = {
  code?: string;
  expected?: string;
  values?: unknown[];
  origin?: string;
  format?: string;
  pattern?: string;
  maximum?: number | bigint;
  minimum?: number | bigint;
  inclusive?: boolean;
  keys?: string[];
};

const bound = (issue: Issue, limit: number | bigint | undefined, strict: string) =>
  `expected ${issue.origin ?? "value"} ${issue.inclusive ? `${strict}=` : strict} ${String(limit)}`;

export function localeError(issue: Issue): string {
  switch (issue.code) {
    case "invalid_type":
      return `Invalid input: expected ${issue.expected}`;
    case "invalid_value":
      return `Invalid option: expected one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join("|")}`;
    case "too_big":
      return `Too big: ${bound(issue, issue.maximum, "<")}`;
    case "too_small":
      return `Too small: ${bound(issue, issue.minimum, ">")}`;
    case "invalid_format":
      return issue.format === "regex"
        ? `Invalid string: must match pattern ${issue.pattern}`
        : `Invalid ${issue.format}`;
    case "unrecognized_keys":
      return `Unrecognized keys: ${(issue.keys ?? []).join(", ")}`;
    default:
      return "Invalid input";
  }
}

export default function compactEnglish() {
  return { localeError };
}
