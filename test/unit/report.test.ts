import { BatchImportFindingsCommand, SecurityHubClient } from "@aws-sdk/client-securityhub";
import { parse } from "csv-parse/sync";
import { afterEach, describe, expect, it, vi } from "vitest";
import { importFindings } from "../../shared/aws/securityhub.js";
import { findingId, NOTE_AUTHOR, toAsff } from "../../shared/report/asff.js";
import { neutralise, toCsv } from "../../shared/report/csv.js";
import { escapeHtml, toHtml } from "../../shared/report/html.js";
import { lifecycleOf, type ReportItem } from "../../shared/report/item.js";
import { parseFindingsMessage, toMessages } from "../../shared/report/message.js";
import { archiveStale, type ExistingFinding, planSecurityHub } from "../../shared/report/security-hub-plan.js";
import { cap, clean, field } from "../../shared/report/text.js";
import { emfMetrics } from "../../shared/runtime/metrics.js";

function item(overrides: Partial<ReportItem> = {}): ReportItem {
  return {
    control: "efs-tls-enforced",
    resource: { type: "file-system", id: "fs-0123456789abcdef0", region: "eu-west-1", account: "123456789012" },
    verdict: "non-compliant",
    severity: "high",
    summary: "fs-0123456789abcdef0 has no file system policy",
    outcome: "alerted",
    detail: "alert only: control is in alert mode",
    why: "control is in alert mode",
    plan: "write the console's default policy with the TLS deny",
    evidence: { hasPolicy: false },
    observedAt: "2026-11-26T12:00:00.000Z",
    source: "event",
    lifecycle: "failed",
    ...overrides,
  };
}

const existing = (i: ReportItem, over: Partial<ExistingFinding> = {}): ExistingFinding => ({
  Id: findingId(i),
  ProductArn: "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default",
  GeneratorId: i.control,
  CreatedAt: "2026-11-01T00:00:00.000Z",
  UpdatedAt: "2026-11-20T00:00:00.000Z",
  RecordState: "ACTIVE",
  Workflow: { Status: "NEW" },
  ...over,
});

describe("untrusted text on its way into reports", () => {
  it("replaces control and bidi characters, caps without splitting a surrogate pair, is never empty", () => {
    expect(clean("a\u202Eb\u0007c\u200Bd")).toBe("a\uFFFDb\uFFFDc\uFFFDd");
    expect(clean("two\nlines", true)).toBe("two lines");
    expect(cap("x".repeat(10), 5)).toBe("xxxx…");
    expect(cap(`abc${"😀"}x`, 5)).toBe("abc…");
    expect(field("   ", 10)).toBe("-");
    expect(field("x".repeat(5000), 1024)).toHaveLength(1024);
  });

  it("ASFF stays within Security Hub's limits whatever the tags and summaries hold", () => {
    const huge = "<b>".repeat(2000);
    const f = toAsff(
      item({
        summary: huge,
        tags: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}${"x".repeat(200)}`, huge])),
        evidence: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`e${i}`, huge])),
      }),
    );
    expect(f.Description!.length).toBeLessThanOrEqual(1024);
    expect(f.Title!.length).toBeLessThanOrEqual(256);
    const tags = f.Resources![0]!.Tags!;
    expect(Object.keys(tags)).toHaveLength(50);
    for (const [k, v] of Object.entries(tags)) {
      expect(k.length).toBeLessThanOrEqual(128);
      expect(v.length).toBeLessThanOrEqual(256);
    }
    const other = f.Resources![0]!.Details!.Other!;
    expect(Object.keys(other).length).toBeLessThanOrEqual(50);
    for (const v of Object.values(other)) expect(v.length).toBeLessThan(1024);
    for (const v of Object.values(f.ProductFields!)) expect(v.length).toBeLessThanOrEqual(2048);
  });

  it("CSV neutralises formulas (OWASP) and stays parseable with quotes, commas and newlines", () => {
    expect(["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ok"].map(neutralise)).toEqual([
      "'=1+1",
      "'+1",
      "'-1",
      "'@SUM(A1)",
      "'\tx",
      "'\rx",
      "ok",
    ]);
    const csv = toCsv([item({ summary: '=HYPERLINK("http://x","y"), then\r\n"more"' })]);
    const [, row] = parse(csv) as string[][];
    expect(row![12]).toBe('\'=HYPERLINK("http://x","y"), then\r\n"more"');
  });

  it("HTML escapes every value it writes", () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&`)).toBe(
      "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;",
    );
    const html = toHtml({
      title: "t</title><script>x</script>",
      generatedAt: "now",
      regions: ["eu-west-1"],
      items: [item({ tags: { "<k>": "<img src=x onerror=alert(1)>" }, summary: "</td><script>alert(1)</script>" })],
      errors: ["<b>e</b>"],
    });
    expect(html).not.toMatch(/<img|<b>|<script>x|<script>alert/);
    expect(html.match(/<script>/g)).toHaveLength(1);
  });
});

describe("lifecycle", () => {
  it("starting a migration stays failed (notified), whatever the outcome is called; remediated passes", () => {
    const base = {
      control: "efs-encrypted-at-rest" as const,
      resource: { type: "file-system" as const, id: "fs-1", region: "eu-west-1" },
      verdict: "non-compliant" as const,
      severity: "critical" as const,
      summary: "s",
      evidence: {},
    };
    const migration = {
      ...base,
      plan: { kind: "start-migration" as const, fileSystemId: "fs-1", reason: "r", describe: "d", done: "d" },
    };
    expect(lifecycleOf(migration, "remediated")).toBe("migration-started");
    expect(lifecycleOf(migration, "already-remediated")).toBe("migration-started");
    expect(lifecycleOf(migration, "migration-started")).toBe("migration-started");
    expect(lifecycleOf(migration, "remediation-failed")).toBe("failed");
    expect(lifecycleOf({ ...base, control: "efs-tls-enforced" }, "remediated")).toBe("passed");
    expect(lifecycleOf(base, "exempt")).toBe("exempt");
    expect(lifecycleOf({ ...base, verdict: "not-applicable" }, "not-applicable")).toBe("not-applicable");
    expect(toAsff(item({ lifecycle: "migration-started" }))).toMatchObject({
      Compliance: { Status: "FAILED" },
      Workflow: { Status: "NOTIFIED" },
    });
  });
});

describe("Security Hub plan", () => {
  it("a new finding is imported with its workflow and note; an existing one keeps CreatedAt and gets BatchUpdateFindings", () => {
    const fixed = item({
      lifecycle: "passed",
      outcome: "remediated",
      verdict: "non-compliant",
      detail: "wrote the policy",
    });
    const created = planSecurityHub([fixed], new Map());
    expect(created.updates).toEqual([]);
    expect(created.imports[0]).toMatchObject({
      Workflow: { Status: "RESOLVED" },
      Note: { UpdatedBy: NOTE_AUTHOR },
      Compliance: { Status: "PASSED" },
    });
    const later = planSecurityHub([fixed], new Map([[findingId(fixed), existing(fixed)]]));
    expect(later.imports[0]!.Workflow).toBeUndefined();
    expect(later.imports[0]!.Note).toBeUndefined();
    expect(later.imports[0]!.CreatedAt).toBe("2026-11-01T00:00:00.000Z");
    expect(later.updates).toEqual([expect.objectContaining({ status: "RESOLVED", ids: [findingId(fixed)] })]);
    expect(later.updates[0]!.note).toMatch(/^\[EFS Guard RESOLVED\] remediated at .*: wrote the policy$/);
  });

  it("reopens only a status EFS Guard set; drops records older than what Security Hub holds", () => {
    const failing = item();
    const ours = existing(failing, {
      Workflow: { Status: "SUPPRESSED" },
      Note: { Text: "[EFS Guard SUPPRESSED] exempt: ...", UpdatedBy: NOTE_AUTHOR },
    });
    expect(planSecurityHub([failing], new Map([[ours.Id, ours]])).updates[0]).toMatchObject({ status: "NEW" });
    const theirs = existing(failing, {
      Workflow: { Status: "SUPPRESSED" },
      Note: { Text: "risk accepted, SEC-9", UpdatedBy: "arn:aws:iam::123456789012:role/SecOps" },
    });
    expect(planSecurityHub([failing], new Map([[theirs.Id, theirs]])).updates).toEqual([]);
    // A person changed the status after EFS Guard's note: the note's marker no longer matches, so it is theirs.
    const changed = existing(failing, {
      Workflow: { Status: "NOTIFIED" },
      Note: { Text: "[EFS Guard SUPPRESSED] exempt: ...", UpdatedBy: NOTE_AUTHOR },
    });
    expect(planSecurityHub([failing], new Map([[changed.Id, changed]])).updates).toEqual([]);
    const newer = existing(failing, { UpdatedAt: "2026-11-27T00:00:00.000Z" });
    expect(planSecurityHub([failing], new Map([[newer.Id, newer]]))).toMatchObject({ imports: [], stale: [newer.Id] });
  });

  it("archives what a complete sweep no longer saw, never what it could not read or another guard's", () => {
    const scope = {
      region: "eu-west-1",
      account: "123456789012",
      controls: ["efs-tls-enforced", "efs-backup-enabled"] as const,
      evaluated: ["efs-tls-enforced"] as const,
      resources: ["fs-seen"],
      unreadResources: ["fs-unread"],
      startedAt: "2026-11-26T00:00:00.000Z",
    };
    const f = (control: string, resource: string) => ({
      ...existing(item({ control: control as any, resource: { ...item().resource, id: resource } })),
      ProductFields: { "aws/securityhub/FindingId": "x", "efs-guard/outcome": "alerted" },
      ProcessedAt: "2026-11-20T00:00:00.000Z",
    });
    const out = archiveStale(
      { ...scope, controls: [...scope.controls], evaluated: [...scope.evaluated] },
      [
        f("efs-tls-enforced", "fs-seen"),
        f("efs-tls-enforced", "fs-gone"),
        f("efs-tls-enforced", "fs-unread"),
        f("efs-backup-enabled", "fs-seen"),
        f("efs-key-usable", "key-1"),
      ],
      new Date("2026-11-26T01:00:00.000Z"),
    );
    expect(out.map((o) => o.Id!.split("/").slice(3).join("/"))).toEqual([
      "efs-tls-enforced/fs-gone",
      "efs-backup-enabled/fs-seen",
    ]);
    expect(out[0]).toMatchObject({ RecordState: "ARCHIVED", UpdatedAt: "2026-11-26T01:00:00.000Z" });
    expect(out[0]!.ProductFields!["aws/securityhub/FindingId"]).toBeUndefined();
    expect((out[0] as unknown as Record<string, unknown>).ProcessedAt).toBeUndefined();
  });
});

describe("findings messages", () => {
  it("round-trips, splits under the SNS limit, and refuses other accounts' and malformed items", () => {
    const many = Array.from({ length: 400 }, (_, i) =>
      item({
        resource: { ...item().resource, id: `fs-${String(i).padStart(8, "0")}` },
        evidence: { pad: "x".repeat(900) },
      }),
    );
    const messages = toMessages("123456789012", many, []);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(Buffer.byteLength(m)).toBeLessThan(256 * 1024);
    const back = messages.flatMap((m) => parseFindingsMessage(m, "123456789012")!.items);
    expect(back).toHaveLength(400);
    const forged = JSON.stringify({
      efsGuardFindings: 1,
      account: "123456789012",
      items: [
        item({ resource: { ...item().resource, account: "210987654321" } }),
        { ...item(), control: "efs-anything" },
        { ...item(), resource: { ...item().resource, id: "fs-1 <script>" } },
        item(),
      ],
    });
    expect(parseFindingsMessage(forged, "123456789012")).toMatchObject({ refused: 3 });
    expect(parseFindingsMessage("{not json", "123456789012")).toBeNull();
    expect(parseFindingsMessage(JSON.stringify({ items: [] }), "123456789012")).toBeNull();
  });
});

describe("importFindings against a Security Hub that throttles (mocked client: error handling only)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("sends FailedFindings with a throttling code again, reports the rest per finding", async () => {
    const client = new SecurityHubClient({ region: "eu-west-1" });
    const calls: string[][] = [];
    vi.spyOn(client, "send").mockImplementation(async (command: any) => {
      if (!(command instanceof BatchImportFindingsCommand)) throw new Error("unexpected");
      const ids = command.input.Findings!.map((f) => f.Id!);
      calls.push(ids);
      if (calls.length === 1) {
        return {
          SuccessCount: 1,
          FailedCount: 2,
          FailedFindings: [
            { Id: "b", ErrorCode: "ThrottlingException", ErrorMessage: "slow down" },
            { Id: "c", ErrorCode: "InvalidInput", ErrorMessage: "bad" },
          ],
        };
      }
      return { SuccessCount: ids.length, FailedCount: 0, FailedFindings: [] };
    });
    const findings = ["a", "b", "c"].map((Id) => toAsff(item({ resource: { ...item().resource, id: Id } })));
    for (const [i, f] of findings.entries()) f.Id = ["a", "b", "c"][i];
    const out = await importFindings(client, findings, { backoffMs: 1 });
    expect(calls).toEqual([["a", "b", "c"], ["b"]]);
    expect(out).toEqual({ imported: 2, failed: [{ id: "c", code: "InvalidInput", message: "bad", retryable: false }] });
  });

  it("a call that fails outright fails each of its findings with the call's error, 100 per call", async () => {
    const client = new SecurityHubClient({ region: "eu-west-1" });
    let n = 0;
    vi.spyOn(client, "send").mockImplementation(async () => {
      n += 1;
      throw Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException", $metadata: {} });
    });
    const findings = Array.from({ length: 150 }, (_, i) => ({ ...toAsff(item()), Id: `f${i}` }));
    const out = await importFindings(client, findings);
    expect(n).toBe(2);
    expect(out.failed).toHaveLength(150);
    expect(out.failed[0]).toMatchObject({ code: "TooManyRequestsException", retryable: true });
  });
});

describe("EMF metrics", () => {
  it("writes one EMF document per data point, in the EfsGuard namespace with the service dimension", () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation(((chunk: string) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stdout.write);
    const saved = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = "false";
    try {
      const m = emfMetrics();
      m.timeToRemediate("efs-nfs-ingress-restricted", 1234);
      m.ignored("failed-call");
    } finally {
      spy.mockRestore();
      if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
      else process.env.POWERTOOLS_METRICS_DISABLED = saved;
    }
    const docs = lines
      .flatMap((l) => l.split("\n"))
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l));
    expect(docs).toHaveLength(2);
    expect(docs[0]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: "EfsGuard",
            Dimensions: [["service", "control"]],
            Metrics: [{ Name: "TimeToRemediate", Unit: "Milliseconds" }],
          },
        ],
      },
      service: "efs-guard",
      control: "efs-nfs-ingress-restricted",
      TimeToRemediate: 1234,
    });
    expect(docs[1]).toMatchObject({ reason: "failed-call", IgnoredEvents: 1 });
  });
});
