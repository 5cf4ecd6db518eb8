import { LISTING_PAGE } from "../aws/inventory.js";
import { ACCOUNT_LINES, accountsByAttention } from "../notify/summary.js";
import { GuardError } from "../runtime/errors.js";
import {
  type AccountTally,
  accountTally,
  type SweepError,
  type SweepSummary,
  type UnreachableAccount,
} from "./sweep.js";

/**
 * The split of a large region on Step Functions Distributed Map (infra/constructs/sweep.ts, docs/performance.md).
 * The scheduled sweep lists each region once (it needs the listing anyway); a region with more file systems than
 * `sweepMap.fileSystemsPerItem` is not swept in that invocation but cut into items, each a whole number of
 * DescribeFileSystems pages starting at the Marker the listing returned there, and the state machine runs one child
 * invocation of the sweep function per item, then one summary step that adds the children's tallies up.
 */

/** The environment variable with the ARN of the state machine that runs the items (unset: no split). */
export const SWEEP_MAP_ENV = "EFS_GUARD_SWEEP_MAP";
/** The environment variable with the runs bucket (the hub's organization sweep; unset: the items go inline). */
export const SWEEP_BUCKET_ENV = "EFS_GUARD_SWEEP_BUCKET";
/** Where the runs are in it: runs/NAME/items.json and runs/NAME/results/ (infra/constructs/sweep.ts). */
export const RUNS_PREFIX = "runs";
/** The objects of one execution (its name: one run per execution, so a retried sweep writes the same keys). */
export function runKeys(execution: string): { itemsKey: string; resultsPrefix: string } {
  return { itemsKey: `${RUNS_PREFIX}/${execution}/items.json`, resultsPrefix: `${RUNS_PREFIX}/${execution}/results` };
}
/** Its name, fixed, so that the function can be given its ARN without a reference cycle in the template. */
export const SWEEP_STATE_MACHINE_NAME = "efs-guard-sweep";
/** The errors one item returns in full; the rest are counted (the Map's output must stay within 256 KiB). */
export const ITEM_ERRORS = 20;

/**
 * One item of the Map. `account` is the organization sweep's (issue 13, the member account to assume a role in); the
 * deployment's own sweep leaves it out. `page`: the item's slice of the region's listing; a member's item has none
 * (the whole region of that account: the hub cannot list a member's region before assuming its role).
 */
export interface SweepItem {
  account?: string;
  region: string;
  page?: { index: number; of: number; marker?: string; pages: number };
}

/** One item per member account and guarded region, accounts in the order given, regions inside each account. */
export function planAccountItems(accounts: readonly string[], regions: readonly string[]): SweepItem[] {
  return accounts.flatMap((account) => regions.map((region) => ({ account, region })));
}

/** A child's event (the Map's ItemSelector) and what it returns. */
export interface SweepItemEvent {
  sweepItem: SweepItem;
  /** What the scheduled invocation decided for the whole sweep (the Map passes it to every child). */
  run: { observingUntil?: string };
}
/** The item's own summary, with the item it covers (so the summary step matches results to items). */
export type SweepItemResult = SweepSummary & { sweepItem: SweepItem };
/** What the Map's Catch leaves for an item whose child failed (its input and the error, ResultPath $.error). */
export interface SweepItemFailure {
  sweepItem: SweepItem;
  error: { Error?: string; Cause?: string };
}

/**
 * The state machine's input: the items (inline, or with the runs bucket the key of their object and the prefix of
 * the results), and the tally of the regions that the scheduled invocation swept itself.
 */
export type SweepMapInput = { done: SweepSummary; run: SweepItemEvent["run"] } & (
  | { items: SweepItem[] }
  | { itemsKey: string; resultsPrefix: string }
);
export interface SweepSummaryEvent {
  sweepSummary: { items: SweepItem[]; done: SweepSummary; results: (SweepItemResult | SweepItemFailure)[] };
}
/** The summary step's event with the runs bucket: where the items and the ResultWriter's manifest are. */
export interface SweepRunSummary {
  itemsKey: string;
  done: SweepSummary;
  resultWriter: { Bucket: string; Key: string };
}

/** The ResultWriter's manifest (Step Functions developer guide, "ResultWriter (Map)": exporting to Amazon S3). */
export interface ResultManifest {
  DestinationBucket?: string;
  MapRunArn?: string;
  ResultFiles: Partial<Record<"SUCCEEDED" | "FAILED" | "PENDING", { Key: string; Size?: number }[]>>;
}
/** One child execution in a result file (Transformation NONE): its input and output as JSON text. */
export interface ResultEntry {
  ExecutionArn?: string;
  Status?: string;
  Input?: string;
  Output?: string;
  Error?: string;
  Cause?: string;
}

/**
 * The children's results from the ResultWriter's files. A SUCCEEDED child's Output is the child's result, or the
 * Catch's failure record (its input and error); a FAILED one (the execution itself failed: timed out, aborted, or an
 * error the Catch did not take) is a failure record from its Input and its Error and Cause. An entry whose Input is
 * not a sweep item's is left out: the summary then names that item "no result".
 */
export function resultsOfEntries(entries: readonly ResultEntry[]): (SweepItemResult | SweepItemFailure)[] {
  const parse = (text: string | undefined): unknown => {
    try {
      return text === undefined ? undefined : JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  const results: (SweepItemResult | SweepItemFailure)[] = [];
  for (const entry of entries) {
    if (entry.Status === "SUCCEEDED") {
      const output = parse(entry.Output);
      if (isObject(output) && isObject(output.sweepItem)) results.push(output as unknown as SweepItemResult);
      continue;
    }
    const input = parse(entry.Input);
    if (!isObject(input) || !isObject(input.sweepItem)) continue;
    results.push({
      sweepItem: input.sweepItem as unknown as SweepItem,
      error: { Error: entry.Error ?? entry.Status ?? "States.Runtime", Cause: entry.Cause ?? "" },
    });
  }
  return results;
}

/** The summary step's event with the runs bucket, checked. */
export function runSummaryOf(event: Record<string, unknown>): SweepRunSummary | undefined {
  const { itemsKey, done, resultWriter } = event;
  if (itemsKey === undefined && resultWriter === undefined) return undefined;
  if (
    typeof itemsKey !== "string" ||
    !isObject(done) ||
    !isObject(resultWriter) ||
    typeof resultWriter.Bucket !== "string" ||
    typeof resultWriter.Key !== "string"
  )
    throw new GuardError("EVENT_MALFORMED", "a sweep summary event without its items key, done tally and results");
  return event as unknown as SweepRunSummary;
}

/** A region's items: `markers` are the listing's page markers, `perItem` a multiple of the page size. */
export function planItems(region: string, markers: readonly (string | undefined)[], perItem: number): SweepItem[] {
  const pages = Math.max(1, Math.floor(perItem / LISTING_PAGE));
  const of = Math.ceil(markers.length / pages);
  const items: SweepItem[] = [];
  for (let index = 0; index < of; index += 1) {
    const marker = markers[index * pages];
    items.push({ region, page: { index, of, pages, ...(marker ? { marker } : {}) } });
  }
  return items;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** The item of a child's event, checked: only the state machine invokes with one, but its shape is not trusted. */
export function itemOf(event: unknown): SweepItemEvent | undefined {
  if (!isObject(event) || !isObject(event.sweepItem)) return undefined;
  const { region, page, account } = event.sweepItem;
  const validPage =
    isObject(page) &&
    Number.isInteger(page.index) &&
    Number.isInteger(page.of) &&
    Number.isInteger(page.pages) &&
    (page.pages as number) >= 1 &&
    (page.marker === undefined || typeof page.marker === "string");
  // A member's item is a whole region of a 12-digit account; the deployment's own item is a page of its region.
  const valid =
    typeof region === "string" &&
    /^[a-z]{2}(-[a-z]+)+-\d$/.test(region) &&
    (account === undefined ? validPage : typeof account === "string" && ACCOUNT.test(account) && page === undefined);
  if (!valid)
    throw new GuardError(
      "EVENT_MALFORMED",
      `a sweep item that is not one: ${JSON.stringify(event.sweepItem).slice(0, 300)}`,
    );
  const until = isObject(event.run) ? event.run.observingUntil : undefined;
  return {
    sweepItem: event.sweepItem as unknown as SweepItem,
    run: typeof until === "string" ? { observingUntil: until } : {},
  };
}

export function summaryEventOf(event: unknown): SweepSummaryEvent["sweepSummary"] | SweepRunSummary | undefined {
  if (!isObject(event) || !isObject(event.sweepSummary)) return undefined;
  const run = runSummaryOf(event.sweepSummary);
  if (run) return run;
  const { items, done, results } = event.sweepSummary;
  if (!Array.isArray(items) || !Array.isArray(results) || !isObject(done))
    throw new GuardError("EVENT_MALFORMED", "a sweep summary event without its items, results and done tally");
  return event.sweepSummary as SweepSummaryEvent["sweepSummary"];
}

/**
 * The errors the summary step returns in full; the rest are counted. Its result is the execution's output, which
 * Step Functions limits to 256 KiB: 17,000 failed items would be about 4 MB of errors (the message counts them all).
 */
export const SUMMARY_ERRORS = 200;

/** The unreachable accounts the summary step's output lists (each names its regions and error); the rest counted. */
export const SUMMARY_UNREACHABLE = 100;

/**
 * The summary as the summary step returns it (the execution's output) and logs it: its first SUMMARY_ERRORS errors,
 * SUMMARY_UNREACHABLE unreachable accounts and ACCOUNT_LINES account tallies (those needing attention first, as the
 * message lists them), the rest counted, so that 1,000 accounts x 17 regions, or 17,000 failed items, stay within
 * 256 KiB (test/unit/sweep-summary-size.test.ts). The totals per control cover every account; each account's own
 * counts stay in the children's results, which the ResultWriter keeps in the runs bucket.
 */
export function compactSummary(summary: SweepSummary): SweepSummary {
  let out = capErrors(summary, SUMMARY_ERRORS);
  const unreachable = summary.unreachable ?? [];
  if (unreachable.length > SUMMARY_UNREACHABLE) {
    out = {
      ...out,
      unreachable: unreachable.slice(0, SUMMARY_UNREACHABLE),
      omittedUnreachable: unreachable.length - SUMMARY_UNREACHABLE + (summary.omittedUnreachable ?? 0),
    };
  }
  const accounts = summary.accounts;
  if (accounts && Object.keys(accounts).length > ACCOUNT_LINES) {
    const kept = accountsByAttention(accounts).slice(0, ACCOUNT_LINES);
    out = {
      ...out,
      accounts: Object.fromEntries(kept.map((id) => [id, accounts[id] as AccountTally])),
      omittedAccounts: Object.keys(accounts).length - ACCOUNT_LINES + (summary.omittedAccounts ?? 0),
    };
  }
  return out;
}

/** An item's summary as it leaves the child: its errors capped at ITEM_ERRORS (or `limit`), the rest counted. */
export function capErrors(summary: SweepSummary, limit = ITEM_ERRORS): SweepSummary {
  if (summary.errors.length <= limit) return summary;
  const omitted = summary.errors.length - limit + (summary.omittedErrors ?? 0);
  return { ...summary, errors: summary.errors.slice(0, limit), omittedErrors: omitted };
}

const ACCOUNT = /^\d{12}$/;

const sameItem = (a: SweepItem, b: SweepItem) =>
  a.region === b.region && a.page?.index === b.page?.index && a.account === b.account;

function itemName(item: SweepItem): string {
  if (!item.page) return `account ${item.account} in ${item.region}`;
  const first = item.page.index * item.page.pages * LISTING_PAGE + 1;
  return `item ${item.page.index + 1} of ${item.page.of} (file systems ${first} to ${first + item.page.pages * LISTING_PAGE - 1} of the listing)`;
}

/** Adds `from` (control -> outcome -> count) into `into`. */
function addCounts(into: SweepSummary["counts"], from: SweepSummary["counts"]) {
  for (const [control, outcomes] of Object.entries(from)) {
    const perControl = into[control] ?? {};
    into[control] = perControl;
    for (const [outcome, n] of Object.entries(outcomes) as [keyof typeof outcomes, number][]) {
      perControl[outcome] = (perControl[outcome] ?? 0) + n;
    }
  }
}

/** The per-account tallies of the parts added up per account (an account's regions are separate items). */
function mergeAccounts(parts: readonly SweepSummary[]): Record<string, AccountTally> | undefined {
  if (!parts.some((p) => p.accounts)) return undefined;
  const accounts: Record<string, AccountTally> = {};
  for (const part of parts) {
    for (const [account, tally] of Object.entries(part.accounts ?? {})) {
      const into = accounts[account] ?? { counts: {}, nonCompliant: 0, remediated: 0, failed: 0, errors: 0 };
      accounts[account] = into;
      addCounts(into.counts, tally.counts);
      into.nonCompliant += tally.nonCompliant;
      into.remediated += tally.remediated;
      into.failed += tally.failed;
      into.errors += tally.errors;
    }
  }
  return accounts;
}

/** Adds summaries up: counts per control and outcome, totals, errors, regions (each once), accounts. */
export function mergeSummaries(parts: readonly SweepSummary[]): SweepSummary {
  const counts: SweepSummary["counts"] = {};
  for (const part of parts) addCounts(counts, part.counts);
  const accounts = mergeAccounts(parts);
  const sum = (pick: (s: SweepSummary) => number | undefined) => parts.reduce((n, s) => n + (pick(s) ?? 0), 0);
  const omitted = sum((s) => s.omittedErrors);
  const observe = parts.find((p) => p.observe)?.observe;
  return {
    regions: [...new Set(parts.flatMap((p) => p.regions))],
    counts,
    nonCompliant: sum((s) => s.nonCompliant),
    remediated: sum((s) => s.remediated),
    failed: sum((s) => s.failed),
    errors: parts.flatMap((p) => p.errors),
    ...(omitted > 0 ? { omittedErrors: omitted } : {}),
    ...(observe ? { observe } : {}),
    cutOverPending: parts.flatMap((p) => p.cutOverPending),
    ...(accounts ? { accounts } : {}),
  };
}

/** What a failed child's Cause says: Lambda's error message inside its JSON, else the text itself. */
function causeMessage(cause: unknown): string {
  const text = String(cause ?? "");
  try {
    const parsed = JSON.parse(text) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === "string") return parsed.errorMessage.slice(0, 300);
  } catch {
    // Not Lambda's JSON (States.Timeout, a Step Functions error): its text as is.
  }
  return text.slice(0, 300);
}

/**
 * The one summary of a split sweep: the regions the scheduled invocation swept, plus every item's tally. An item
 * whose child failed, or that has no result at all, is an error of the summary: its file systems were not assessed.
 */
export function summarizeItems(input: SweepSummaryEvent["sweepSummary"]): SweepSummary {
  const parts: SweepSummary[] = [input.done];
  const failures: SweepError[] = [];
  const unreachable = new Map<string, UnreachableAccount>();
  for (const item of input.items) {
    const result = input.results.find((r) => isObject(r) && isObject(r.sweepItem) && sameItem(r.sweepItem, item));
    if (result && "counts" in result && isObject(result.counts)) {
      const { sweepItem: _, ...summary } = result;
      // A member's item is that account's share of the sweep (its child does not repeat it, to keep results small).
      parts.push(item.account ? { ...summary, accounts: { [item.account]: accountTally(summary) } } : summary);
      continue;
    }
    const error = result && "error" in result ? result.error : undefined;
    const code = error?.Error ?? "NoResult";
    const why = error ? causeMessage(error.Cause) : "no result from the Map";
    failures.push({
      guard: "sweep",
      region: item.region,
      code,
      message: `${itemName(item)} not assessed: ${error ? `its child failed (${why})` : why}; the next sweep assesses it`,
      retryable: true,
      ...(item.account ? { account: item.account } : {}),
    });
    if (item.account && error) {
      // One entry per account whose child failed, its failed regions listed: an account without its role fails in
      // every region. (An item with no result at all is an error of the summary, not a verdict on the account.)
      const known = unreachable.get(item.account);
      if (known) known.regions.push(item.region);
      else unreachable.set(item.account, { account: item.account, regions: [item.region], code, message: why });
    }
  }
  const summary = mergeSummaries(parts);
  summary.errors.push(...failures);
  summary.split = { items: input.items.length, failedItems: failures.length };
  if (unreachable.size > 0) summary.unreachable = [...unreachable.values()];
  return summary;
}
