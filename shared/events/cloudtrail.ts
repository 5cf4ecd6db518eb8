/**
 * The CloudTrail record as EventBridge delivers it ("AWS API Call via CloudTrail"), reduced to what the guard
 * uses. Parsing is tolerant on purpose: real records omit optional fields, wrap EC2 lists in {"items": [...]},
 * use {} for empty lists and sometimes lack recipientAccountId.
 */
export interface Actor {
  type?: string;
  arn?: string;
  principalId?: string;
  accountId?: string;
  invokedBy?: string;
  /** The role behind an assumed-role session; what an operator recognises. */
  sessionIssuerArn?: string;
  sourceIPAddress?: string;
  userAgent?: string;
}

export interface CloudTrailEvent {
  eventId: string;
  eventName: string;
  eventSource: string;
  eventTime?: string;
  region: string;
  account: string;
  actor: Actor;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown>;
  responseElements: Record<string, unknown>;
  resources: { ARN?: string; type?: string; accountId?: string }[];
}

export type IgnoreReason =
  | "malformed"
  | "failed-call"
  | "foreign-source"
  | "unsupported-event"
  | "foreign-account"
  /** The hub cannot assume the member role of the event's account (alerted once, not retried). */
  | "member-role-unavailable"
  /** The hub's event from an account outside organization.accounts, the configured targets: no role is assumed. */
  | "not-a-member";

export type ParsedEvent =
  | { kind: "event"; event: CloudTrailEvent }
  | {
      kind: "ignored";
      reason: IgnoreReason;
      detail: string;
      eventId?: string;
      eventName?: string;
      eventSource?: string;
    };

export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** EC2 lists arrive as {"items":[...]}, as plain arrays, as a single object, or as {} when empty. */
export function items(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isRecord(value)) {
    if (Array.isArray(value.items)) return value.items;
    if (Object.keys(value).length === 0) return [];
    return [value];
  }
  return [];
}

function actorOf(record: Record<string, unknown>): Actor {
  const identity = isRecord(record.userIdentity) ? record.userIdentity : {};
  const session = isRecord(identity.sessionContext) ? identity.sessionContext : {};
  const issuer = isRecord(session.sessionIssuer) ? session.sessionIssuer : {};
  const actor: Actor = {};
  const set = (key: keyof Actor, value: unknown) => {
    const s = str(value);
    if (s !== undefined) actor[key] = s;
  };
  set("type", identity.type);
  set("arn", identity.arn);
  set("principalId", identity.principalId);
  set("accountId", identity.accountId);
  set("invokedBy", identity.invokedBy);
  set("sessionIssuerArn", issuer.arn);
  set("sourceIPAddress", record.sourceIPAddress);
  set("userAgent", record.userAgent);
  return actor;
}

/**
 * Accepts an EventBridge envelope or a bare CloudTrail record and returns the normalised event, or the reason it
 * must be ignored. Which event names and sources matter is the caller's business (see triggers.ts); this only
 * checks that the record is a CloudTrail API call at all and whether the call succeeded.
 */
export function parseCloudTrail(input: unknown): ParsedEvent {
  if (!isRecord(input)) return { kind: "ignored", reason: "malformed", detail: "event is not a JSON object" };

  let record: Record<string, unknown>;
  let envelopeRegion: string | undefined;
  let envelopeAccount: string | undefined;
  if ("detail" in input || "detail-type" in input) {
    if (input["detail-type"] !== CLOUDTRAIL_DETAIL_TYPE) {
      return {
        kind: "ignored",
        reason: "malformed",
        detail: `detail-type is ${describeValue(input["detail-type"])}, not "${CLOUDTRAIL_DETAIL_TYPE}"`,
        ...idsOf(input),
      };
    }
    if (!isRecord(input.detail)) {
      return { kind: "ignored", reason: "malformed", detail: "detail is not an object", ...idsOf(input) };
    }
    record = input.detail;
    envelopeRegion = str(input.region);
    envelopeAccount = str(input.account);
  } else {
    record = input;
  }

  const eventName = str(record.eventName);
  const eventSource = str(record.eventSource);
  const eventId = str(record.eventID) ?? str(record.eventId) ?? str(input.id);
  const base = { eventId, eventName, eventSource };
  if (eventName === undefined || eventSource === undefined) {
    return { kind: "ignored", reason: "malformed", detail: "eventName or eventSource is missing", ...base };
  }
  const region = str(record.awsRegion) ?? envelopeRegion;
  const identityAccount = isRecord(record.userIdentity) ? str(record.userIdentity.accountId) : undefined;
  // EventBridge's `account` first: EventBridge sets it (a member cannot choose it on a cross-account bus), while the
  // detail is the CloudTrail record's text; a record read from a trail file has only the latter.
  const account = envelopeAccount ?? str(record.recipientAccountId) ?? identityAccount;
  if (region === undefined || account === undefined) {
    return { kind: "ignored", reason: "malformed", detail: "region or account cannot be determined", ...base };
  }
  const errorCode = str(record.errorCode);
  if (errorCode !== undefined) {
    // A failed call changed nothing; acting on it would act on a change that never happened.
    return { kind: "ignored", reason: "failed-call", detail: `the call failed with ${errorCode}`, ...base };
  }
  const requestParameters = parseMaybeJson(record.requestParameters);
  const responseElements = parseMaybeJson(record.responseElements);
  const resources = Array.isArray(record.resources) ? record.resources.filter(isRecord) : [];
  const event: CloudTrailEvent = {
    eventId: eventId ?? `${eventSource}:${eventName}:${str(record.eventTime) ?? "unknown-time"}`,
    eventName,
    eventSource,
    region,
    account,
    actor: actorOf(record),
    requestParameters,
    responseElements,
    resources: resources as CloudTrailEvent["resources"],
  };
  const eventTime = str(record.eventTime);
  if (eventTime !== undefined) event.eventTime = eventTime;
  return { kind: "event", event };
}

function describeValue(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value.slice(0, 100)) : value === null ? "null" : typeof value;
}

/** Whatever names the event, so that even a malformed one can be found in the logs by its id. */
function idsOf(input: Record<string, unknown>): { eventId?: string; eventName?: string; eventSource?: string } {
  const record = isRecord(input.detail) ? input.detail : {};
  const ids: { eventId?: string; eventName?: string; eventSource?: string } = {};
  const eventId = str(record.eventID) ?? str(record.eventId) ?? str(input.id);
  const eventName = str(record.eventName);
  const eventSource = str(record.eventSource);
  if (eventId !== undefined) ids.eventId = eventId;
  if (eventName !== undefined) ids.eventName = eventName;
  if (eventSource !== undefined) ids.eventSource = eventSource;
  return ids;
}

function parseMaybeJson(value: unknown): Record<string, unknown> {
  if (isRecord(value)) return value;
  if (typeof value === "string") {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isRecord(parsed)) return parsed;
    } catch {
      // fall through: an unparseable string is as good as absent
    }
  }
  return {};
}
