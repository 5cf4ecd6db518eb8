import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO, runCli } from "../support/cli.js";
import { resetEmulator } from "../support/emulator.js";
import { HOSTILE_TAG, reportAccount } from "../support/report-account.js";

/** Debian's chromium, which .ci/run installs when it is missing; playwright-core brings no browser of its own. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = join(REPO, "test-artifacts");

describe("the HTML report in a real browser (headless Chromium)", () => {
  let file: string;
  let json: any;
  let ids: { open: string; exempt: string; good: string };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    await resetEmulator();
    const account = await reportAccount();
    ids = { open: account.open, exempt: account.exempt, good: account.good };
    file = join(mkdtempSync(join(tmpdir(), "efs-guard-html-")), "posture.html");
    const run = await runCli(["scan", "--format", "html", "--output", file]);
    expect(run.code).toBe(1);
    json = JSON.parse((await runCli(["scan", "--format", "json"])).stdout);
  });

  it("renders the counts, sorts and filters, runs no injected markup, fetches nothing; saves a screenshot", async () => {
    const html = readFileSync(file, "utf8");
    // Escaped where it is written: the hostile tag value is text, never an element.
    expect(html).not.toContain(HOSTILE_TAG);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");

    const profile = mkdtempSync(join(tmpdir(), "efs-guard-chromium-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
      viewport: { width: 1280, height: 1400 },
    });
    try {
      const requests: string[] = [];
      const dialogs: string[] = [];
      const page = context.pages()[0] ?? (await context.newPage());
      await page.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith("file:")) return route.continue();
        requests.push(url);
        return route.abort();
      });
      page.on("dialog", async (d) => {
        dialogs.push(d.message());
        await d.dismiss();
      });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      await page.goto(pathToFileURL(file).href);

      // The counts the page renders are the scan's.
      const s = json.summary;
      const count = async (key: string) => Number(await page.locator(`[data-count="${key}"]`).textContent());
      expect(await count("resources")).toBe(s.resources);
      expect(await count("non-compliant")).toBe(s.nonCompliant);
      expect(await count("exempt")).toBe(s.exempt);
      expect(await count("compliant")).toBe(s.compliant);
      expect(await count("not-applicable")).toBe(s.notApplicable);
      const rows = page.locator("tbody.finding");
      expect(await rows.count()).toBe(json.findings.length);
      expect(await page.locator("svg rect").count()).toBeGreaterThan(0);
      const cell = page.locator('td[data-control="efs-nfs-ingress-restricted"][data-severity="critical"]');
      expect(await cell.textContent()).toBe("1");

      // Worst first as delivered; sorting by control, then reversed.
      const attr = (name: string) => rows.evaluateAll((els, n) => els.map((e) => e.getAttribute(n) ?? ""), name);
      expect((await attr("data-resource"))[0]).toBe(ids.open);
      await page.locator('th[data-sort="control"]').click();
      const asc = await attr("data-control");
      expect(asc).toEqual([...asc].sort());
      await page.locator('th[data-sort="control"]').click();
      const desc = await attr("data-control");
      expect(desc).toEqual([...asc].sort().reverse());
      expect(await page.locator('th[data-sort="control"]').getAttribute("aria-sort")).toBe("descending");

      // Filters: severity, control, free text; the shown count follows.
      await page.selectOption("#filter-severity", "critical");
      const visible = page.locator("tbody.finding:not([hidden])");
      expect(await visible.count()).toBe(json.findings.filter((f: any) => f.severity === "critical").length);
      expect(await page.locator("#shown").textContent()).toBe(String(await visible.count()));
      await page.selectOption("#filter-severity", "");
      await page.fill("#filter-text", ids.exempt);
      expect(await visible.count()).toBe(1);
      await page.fill("#filter-text", "");
      await page.selectOption("#filter-control", "efs-nfs-ingress-restricted");
      expect(await visible.count()).toBe(3);

      // A row opens on click: evidence, what EFS Guard would do, how to exempt; the hostile tag shows as text.
      const open = page.locator(`tbody.finding[data-resource="${ids.open}"]`);
      await open.locator("tr.main").click();
      const details = open.locator("tr.details");
      expect(await details.isVisible()).toBe(true);
      const text = (await details.textContent()) ?? "";
      expect(text).toContain("revoke 1 rule(s)");
      expect(text).toContain("efs-guard:exempt=efs-nfs-ingress-restricted");
      expect(text).toContain(`owner=${HOSTILE_TAG}`);
      expect(await page.locator("img").count()).toBe(0);

      mkdirSync(ARTIFACTS, { recursive: true });
      // The screenshot shows the report as it opens (docs/images/html-report.png is a copy of a good one).
      await page.reload();
      await page.screenshot({ path: join(ARTIFACTS, "html-report.png"), fullPage: true });
      expect(dialogs).toEqual([]);
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
