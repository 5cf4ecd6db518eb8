import { parseCloudTrail } from "../events/cloudtrail.js";
import { toTriggers } from "../events/triggers.js";
import { errorMessage, GuardError } from "../runtime/errors.js";
import { type PipelineDeps, processEvent, summarize } from "./run.js";
import type { EventReport, Guard, Notifier, Result } from "./types.js";

/**
 * An event report from every guard that handles the event. `failed`: an AWS call failed while reading or acting
 * (processEvent threw); the findings decided before the failure are kept, and `error` says what failed.
 */
export interface RoutedReport extends Omit<EventReport, "outcome"> {
  outcome: EventReport["outcome"] | "failed";
  error?: { code: string; message: string; cause: unknown };
}

/** Keeps what a guard published, so that the decisions made before processEvent threw are not lost. */
function recording(notifier: Notifier): Notifier & { results: Result[] } {
  const results: Result[] = [];
  return {
    results,
    async publish(result, origin) {
      results.push(result);
      await notifier.publish(result, origin);
    },
  };
}

/**
 * Routes one raw event (EventBridge envelope or bare CloudTrail record) to every guard whose events include its
 * "eventSource:eventName", through the same processEvent as the deployed functions. An event no guard handles is
 * ignored with the reason the functions would give (unsupported-event, or foreign-source when another service
 * emits a name a guard knows); failed calls and malformed records likewise.
 */
export async function routeEvent(raw: unknown, guards: readonly Guard[], deps: PipelineDeps): Promise<RoutedReport> {
  const parsed = parseCloudTrail(raw);
  const all = Object.assign({}, ...guards.map((g) => g.events));
  const handlers =
    parsed.kind === "event"
      ? guards.filter((g) => Object.hasOwn(g.events, `${parsed.event.eventSource}:${parsed.event.eventName}`))
      : [];
  if (handlers.length === 0) {
    const ignored = toTriggers(raw, all);
    if (ignored.kind === "ignored") {
      const { kind: _, ...rest } = ignored;
      return { outcome: "ignored", ...rest, findings: [] };
    }
  }
  let merged: RoutedReport | undefined;
  for (const guard of handlers) {
    const notifier = recording(deps.notifier);
    let report: RoutedReport;
    try {
      report = await processEvent(raw, guard, { ...deps, notifier });
    } catch (error) {
      const code = error instanceof GuardError ? ((error as { awsCode?: string }).awsCode ?? error.code) : "Error";
      const event = parsed.kind === "event" ? parsed.event : undefined;
      report = {
        ...(event ? { eventId: event.eventId, eventName: event.eventName, eventSource: event.eventSource } : {}),
        outcome: "failed",
        findings: notifier.results.map(summarize),
        error: { code, message: errorMessage(error), cause: error },
      };
    }
    merged = merged ? merge(merged, report) : report;
  }
  return merged!;
}

function merge(a: RoutedReport, b: RoutedReport): RoutedReport {
  const rank = { ignored: 0, evaluated: 1, failed: 2 } as const;
  const winner = rank[b.outcome] > rank[a.outcome] ? b : a;
  const out: RoutedReport = { ...winner, findings: [...a.findings, ...b.findings] };
  if (out.outcome !== "ignored") {
    delete out.reason;
    delete out.detail;
  }
  return out;
}
