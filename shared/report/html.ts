import { createHash } from "node:crypto";
import { CONTROL_IDS, SECURITY_HUB } from "../config/controls.js";
import type { Severity } from "../controls/types.js";
import type { ReportItem } from "./item.js";

/**
 * The posture as one self-contained HTML file: no request leaves the page (a Content-Security-Policy allows no
 * source at all, the one script is allowed by its hash, styles and the chart are inline). Every value from AWS or
 * from the account (ids, tags, summaries, evidence) is HTML-escaped where it is written; the script only moves rows
 * and toggles them, it never turns data into markup.
 */
export interface HtmlReport {
  title: string;
  generatedAt: string;
  account?: string;
  regions: string[];
  items: readonly ReportItem[];
  errors: string[];
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(value: unknown): string {
  const text = typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value, null, 2);
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

export const SEVERITIES: Severity[] = ["critical", "high", "medium", "low", "info"];
const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
const COLOUR: Record<Severity, string> = {
  critical: "#8b0000",
  high: "#d9480f",
  medium: "#e8a317",
  low: "#3b7dd8",
  info: "#7a869a",
};

const failing = (i: ReportItem) => i.lifecycle === "failed" || i.lifecycle === "migration-started";

function chart(items: readonly ReportItem[]): string {
  const controls = CONTROL_IDS.filter((c) => items.some((i) => i.control === c));
  const rowHeight = 26;
  const labelWidth = 230;
  const max = Math.max(1, ...controls.map((c) => items.filter((i) => i.control === c && failing(i)).length));
  const scale = 420 / max;
  const bars = controls.map((control, row) => {
    let x = labelWidth;
    const y = 10 + row * rowHeight;
    const parts = SEVERITIES.map((severity) => {
      const n = items.filter((i) => i.control === control && failing(i) && i.severity === severity).length;
      if (n === 0) return "";
      const w = n * scale;
      const rect = `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="18" fill="${COLOUR[severity]}"><title>${escapeHtml(`${control}: ${n} ${severity}`)}</title></rect>`;
      x += w;
      return rect;
    }).join("");
    const total = items.filter((i) => i.control === control && failing(i)).length;
    return `<text x="0" y="${y + 14}" class="label">${escapeHtml(control)}</text>${parts}<text x="${(x + 6).toFixed(1)}" y="${y + 14}" class="label">${total}</text>`;
  });
  const height = 20 + controls.length * rowHeight;
  return `<svg role="img" aria-label="Non-compliant findings per control and severity" width="720" height="${height}" viewBox="0 0 720 ${height}" xmlns="http://www.w3.org/2000/svg">${bars.join("")}</svg>`;
}

function summaryTable(items: readonly ReportItem[]): string {
  const controls = CONTROL_IDS.filter((c) => items.some((i) => i.control === c));
  const head = `<tr><th>control</th>${SEVERITIES.map((s) => `<th>${s}</th>`).join("")}<th>exempt</th><th>compliant</th><th>not applicable</th></tr>`;
  const rows = controls.map((control) => {
    const of = items.filter((i) => i.control === control);
    const cells = SEVERITIES.map(
      (s) =>
        `<td data-control="${escapeHtml(control)}" data-severity="${s}">${of.filter((i) => failing(i) && i.severity === s).length}</td>`,
    ).join("");
    const count = (l: ReportItem["lifecycle"]) => of.filter((i) => i.lifecycle === l).length;
    return `<tr><th scope="row">${escapeHtml(control)}${SECURITY_HUB[control] ? ` <span class="hub">${escapeHtml(SECURITY_HUB[control]!.join(", "))}</span>` : ""}</th>${cells}<td>${count("exempt")}</td><td>${count("passed")}</td><td>${count("not-applicable")}</td></tr>`;
  });
  return `<table class="summary">${head}${rows.join("")}</table>`;
}

function exemptHint(item: ReportItem): string {
  const tag = `efs-guard:exempt=${item.control}`;
  const id = item.resource.id;
  const cmd =
    item.resource.type === "security-group"
      ? `aws ec2 create-tags --resources ${id} --tags Key=efs-guard:exempt,Value=${item.control} Key=efs-guard:exempt-until,Value=YYYY-MM-DD`
      : item.resource.type === "file-system"
        ? `aws efs tag-resource --resource-id ${id} --tags Key=efs-guard:exempt,Value=${item.control} Key=efs-guard:exempt-until,Value=YYYY-MM-DD`
        : `aws kms tag-resource --key-id ${id} --tags TagKey=efs-guard:exempt,TagValue=${item.control} TagKey=efs-guard:exempt-until,TagValue=YYYY-MM-DD`;
  return `Tag ${tag} (optionally efs-guard:exempt-until=YYYY-MM-DD): ${cmd}`;
}

function row(item: ReportItem, index: number, perAccount: boolean): string {
  const tags = item.tags ? Object.entries(item.tags) : [];
  const cells = [
    `<td><span class="sev sev-${item.severity}">${item.severity}</span></td>`,
    `<td>${escapeHtml(item.control)}</td>`,
    `<td class="mono">${escapeHtml(item.resource.id)}<div class="dim">${escapeHtml(item.resource.type)}</div></td>`,
    // An organization report (no single account in its header) names each finding's account under its region.
    `<td>${escapeHtml(item.resource.region)}${perAccount ? `<div class="dim mono">${escapeHtml(item.resource.account)}</div>` : ""}</td>`,
    `<td>${escapeHtml(item.lifecycle)}</td>`,
    `<td>${escapeHtml(item.outcome)}</td>`,
    `<td>${escapeHtml(item.summary)}</td>`,
  ];
  const details = [
    `<dt>why</dt><dd>${escapeHtml(item.why)}</dd>`,
    `<dt>what EFS Guard would do</dt><dd>${escapeHtml(item.plan ? `${item.plan}` : item.detail)}</dd>`,
    item.lifecycle === "failed" ? `<dt>how to exempt</dt><dd class="mono">${escapeHtml(exemptHint(item))}</dd>` : "",
    tags.length > 0
      ? `<dt>tags</dt><dd>${tags.map(([k, v]) => `<span class="tag">${escapeHtml(k)}=${escapeHtml(v)}</span>`).join(" ")}</dd>`
      : "",
    `<dt>evidence</dt><dd><pre>${escapeHtml(item.evidence)}</pre></dd>`,
  ].join("");
  const data = [
    `data-severity="${item.severity}"`,
    `data-rank="${RANK[item.severity] + (failing(item) ? 0 : 10)}"`,
    `data-control="${escapeHtml(item.control)}"`,
    `data-resource="${escapeHtml(item.resource.id)}"`,
    `data-region="${escapeHtml(item.resource.region)}"`,
    `data-lifecycle="${escapeHtml(item.lifecycle)}"`,
  ].join(" ");
  return `<tbody class="finding" ${data}><tr class="main" tabindex="0" aria-controls="d${index}">${cells.join("")}</tr><tr class="details" id="d${index}" hidden><td colspan="7"><dl>${details}</dl></td></tr></tbody>`;
}

const SCRIPT = `(() => {
  const table = document.getElementById("findings");
  const bodies = () => [...table.querySelectorAll("tbody.finding")];
  const text = document.getElementById("filter-text");
  const severity = document.getElementById("filter-severity");
  const control = document.getElementById("filter-control");
  const shown = document.getElementById("shown");
  const apply = () => {
    const q = text.value.trim().toLowerCase();
    let n = 0;
    for (const b of bodies()) {
      const ok = (!severity.value || b.dataset.severity === severity.value) &&
        (!control.value || b.dataset.control === control.value) &&
        (!q || b.textContent.toLowerCase().includes(q));
      b.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = String(n);
  };
  for (const el of [text, severity, control]) el.addEventListener("input", apply);
  let current = { key: "rank", dir: 1 };
  for (const th of table.querySelectorAll("th[data-sort]")) {
    th.addEventListener("click", () => {
      const key = th.dataset.sort;
      current = { key, dir: current.key === key ? -current.dir : 1 };
      const value = (b) => key === "rank" ? Number(b.dataset.rank) : b.dataset[key];
      const sorted = bodies().sort((a, b) => {
        const x = value(a), y = value(b);
        return (x < y ? -1 : x > y ? 1 : 0) * current.dir;
      });
      for (const b of sorted) table.appendChild(b);
      for (const h of table.querySelectorAll("th[data-sort]")) h.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", current.dir === 1 ? "ascending" : "descending");
    });
  }
  table.addEventListener("click", (e) => {
    const main = e.target.closest("tr.main");
    if (!main) return;
    const details = main.nextElementSibling;
    details.hidden = !details.hidden;
  });
  apply();
})();`;

const STYLE = `body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2330}
h1{font-size:22px;margin:0 0 4px}.dim{color:#6b7385;font-size:12px}.mono{font-family:ui-monospace,Menlo,Consolas,monospace}
.cards{display:flex;gap:12px;margin:16px 0}.card{border:1px solid #d8dce5;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:22px}table{border-collapse:collapse;margin:8px 0 20px}th,td{border-bottom:1px solid #e4e7ee;padding:5px 8px;text-align:left;vertical-align:top}
th[data-sort]{cursor:pointer;user-select:none}th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
.summary td{text-align:right}.hub{color:#6b7385;font-weight:normal;font-size:12px}.label{font-size:12px;fill:#1d2330}
.sev{color:#fff;border-radius:3px;padding:1px 6px;font-size:12px}.sev-critical{background:#8b0000}.sev-high{background:#d9480f}
.sev-medium{background:#e8a317}.sev-low{background:#3b7dd8}.sev-info{background:#7a869a}tr.main{cursor:pointer}
tr.main:hover{background:#f5f7fb}dl{margin:0;display:grid;grid-template-columns:170px 1fr;gap:4px 12px}dt{color:#6b7385}
dd{margin:0}pre{margin:0;white-space:pre-wrap;word-break:break-all}.tag{background:#eef1f6;border-radius:3px;padding:0 4px}
.filters{display:flex;gap:8px;margin:8px 0}.errors{color:#8b0000}`;

export function toHtml(report: HtmlReport): string {
  const items = [...report.items].sort(
    (a, b) =>
      Number(!failing(a)) - Number(!failing(b)) ||
      RANK[a.severity] - RANK[b.severity] ||
      a.control.localeCompare(b.control) ||
      a.resource.id.localeCompare(b.resource.id),
  );
  const count = (f: (i: ReportItem) => boolean) => items.filter(f).length;
  const cards: [string, string, number][] = [
    [
      "resources",
      "resources",
      new Set(items.map((i) => `${i.resource.account}/${i.resource.region}/${i.resource.id}`)).size,
    ],
    ["non-compliant", "non-compliant", count(failing)],
    ["exempt", "exempt", count((i) => i.lifecycle === "exempt")],
    ["compliant", "compliant", count((i) => i.lifecycle === "passed")],
    ["not-applicable", "not applicable", count((i) => i.lifecycle === "not-applicable")],
    ["errors", "errors", report.errors.length],
  ];
  const controls = CONTROL_IDS.filter((c) => items.some((i) => i.control === c));
  const hash = createHash("sha256").update(SCRIPT).digest("base64");
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(report.title)}</h1>
<div class="dim">${escapeHtml(`generated ${report.generatedAt}${report.account ? ` · account ${report.account}` : ""} · ${report.regions.join(", ")}`)}</div>
<div class="cards">${cards.map(([key, label, n]) => `<div class="card"><b data-count="${key}">${n}</b>${label}</div>`).join("")}</div>
${report.errors.length > 0 ? `<ul class="errors">${report.errors.map((e) => `<li>${escapeHtml(e)}</li>`).join("")}</ul>` : ""}
<h2>Non-compliant findings per control and severity</h2>
${chart(items)}
${summaryTable(items)}
<h2>Findings (<span id="shown">${items.length}</span> of ${items.length})</h2>
<div class="filters">
<input id="filter-text" type="search" placeholder="filter: resource, control, text" aria-label="filter findings">
<select id="filter-severity" aria-label="severity"><option value="">any severity</option>${SEVERITIES.map((s) => `<option value="${s}">${s}</option>`).join("")}</select>
<select id="filter-control" aria-label="control"><option value="">any control</option>${controls.map((c) => `<option value="${escapeHtml(c)}">${escapeHtml(c)}</option>`).join("")}</select>
</div>
<table id="findings"><thead><tr><th data-sort="rank" aria-sort="ascending">severity</th><th data-sort="control">control</th><th data-sort="resource">resource</th><th data-sort="region">region</th><th data-sort="lifecycle">state</th><th>would do</th><th>summary</th></tr></thead>
${items.map((item, index) => row(item, index, !report.account)).join("\n")}
</table>
<p class="dim">Click a row for the evidence, what EFS Guard would do, and how to exempt the resource.</p>
<script>${SCRIPT}</script>
</body></html>
`;
}
