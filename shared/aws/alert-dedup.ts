import {
  type AttributeValue,
  DynamoDBClient,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import type { DedupStore, FirstAlert, OpenRequest, WindowItem } from "../notify/alert-router.js";
import { call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const dynamoDbClient = perRegion((region) => new DynamoDBClient(clientConfig(region)));

const n = (value: number): AttributeValue => ({ N: String(value) });
const s = (value: string): AttributeValue => ({ S: value });
const TRUE: AttributeValue = { BOOL: true };
const FALSE: AttributeValue = { BOOL: false };

/** The first alert's fields, written when a window opens (the count message is made of them). */
const FIRST_FIELDS =
  "windowStart = :now, windowEnd = :end, merged = :zero, firstId = :id, lastId = :id, delivered = :false, expiresAt = :ttl, " +
  "firstTitle = :title, firstResource = :resource, firstThread = :thread, " +
  "control = :control, severity = :severity, outcome = :outcome";

function firstValues(request: OpenRequest): Record<string, AttributeValue> {
  const f = request.first;
  return {
    ":now": n(request.now),
    ":end": n(request.windowEnd),
    ":zero": n(0),
    ":id": s(f.id),
    ":false": FALSE,
    ":ttl": n(request.expiresAt),
    ":title": s(f.title),
    ":resource": s(f.resource),
    ":thread": s(f.threadId),
    ":control": s(f.attributes.control),
    ":severity": s(f.attributes.severity),
    ":outcome": s(f.attributes.outcome),
  };
}

function num(item: Record<string, AttributeValue>, name: string): number {
  const v = item[name]?.N;
  return v === undefined ? 0 : Number(v);
}

function str(item: Record<string, AttributeValue>, name: string): string {
  return item[name]?.S ?? "";
}

export function toWindowItem(item: Record<string, AttributeValue>): WindowItem {
  const first: FirstAlert = {
    id: str(item, "firstId"),
    title: str(item, "firstTitle"),
    resource: str(item, "firstResource"),
    threadId: str(item, "firstThread"),
    attributes: { control: str(item, "control"), severity: str(item, "severity"), outcome: str(item, "outcome") },
  };
  return {
    windowStart: num(item, "windowStart"),
    windowEnd: num(item, "windowEnd"),
    merged: num(item, "merged"),
    delivered: item.delivered?.BOOL === true,
    ...(item.reportedStart?.N !== undefined ? { reportedStart: num(item, "reportedStart") } : {}),
    prevStart: num(item, "prevStart"),
    prevEnd: num(item, "prevEnd"),
    prevMerged: num(item, "prevMerged"),
    prevReportedStart: num(item, "prevReportedStart"),
    first,
  };
}

/**
 * The dedup table: one item per dedup key (`pk`), each decision one conditional UpdateItem, so that concurrent
 * alerts functions agree without a lock (DynamoDB Developer Guide, "Condition expressions"; UpdateItem's
 * right-hand operands read the item as it was before the update). `expiresAt` is the table's TTL attribute.
 * A condition that does not hold is an answer (undefined), not an error; every other failure throws (AwsCallError).
 */
export function dynamoDbDedupStore(client: DynamoDBClient, tableName: string): DedupStore {
  const update = async (
    operation: string,
    input: Omit<UpdateItemCommandInput, "TableName" | "Key">,
    key: string,
  ): Promise<WindowItem | undefined> => {
    try {
      const out = await call(`dynamodb:UpdateItem (${operation})`, () =>
        client.send(new UpdateItemCommand({ TableName: tableName, Key: { pk: s(key) }, ...input })),
      );
      return out.Attributes ? toWindowItem(out.Attributes) : undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  };
  return {
    openWindow: (key, request) =>
      update(
        "open window",
        {
          // The previous window is kept for the next alert's note; its fields are read before this update.
          UpdateExpression:
            "SET prevStart = if_not_exists(windowStart, :zero), prevEnd = if_not_exists(windowEnd, :zero), " +
            "prevMerged = if_not_exists(merged, :zero), prevReportedStart = if_not_exists(reportedStart, :zero), " +
            FIRST_FIELDS,
          ConditionExpression: "attribute_not_exists(pk) OR (windowEnd <= :now AND delivered = :true)",
          ExpressionAttributeValues: { ...firstValues(request), ":true": TRUE },
          ReturnValues: "ALL_NEW",
        },
        key,
      ),
    reopenUndelivered: (key, request) =>
      update(
        "reopen undelivered window",
        {
          UpdateExpression: `SET ${FIRST_FIELDS}`,
          ConditionExpression: "delivered = :false",
          ExpressionAttributeValues: firstValues(request),
          ReturnValues: "ALL_NEW",
        },
        key,
      ),
    countDuplicate: (key, now, id) =>
      update(
        "count duplicate",
        {
          UpdateExpression: "SET lastId = :id ADD merged :one",
          ConditionExpression: "windowEnd > :now AND delivered = :true AND lastId <> :id",
          ExpressionAttributeValues: { ":now": n(now), ":id": s(id), ":one": n(1), ":true": TRUE },
          ReturnValues: "ALL_NEW",
        },
        key,
      ),
    async markDelivered(key, windowStart) {
      await update(
        "mark delivered",
        {
          // The previous window's note went out with this alert.
          UpdateExpression: "SET delivered = :true, prevReportedStart = prevStart",
          ConditionExpression: "windowStart = :ws",
          ExpressionAttributeValues: { ":ws": n(windowStart), ":true": TRUE },
        },
        key,
      );
    },
    claimReport: (key, windowStart) =>
      update(
        "claim count report",
        {
          UpdateExpression: "SET reportedStart = :ws",
          ConditionExpression:
            "windowStart = :ws AND merged > :zero AND (attribute_not_exists(reportedStart) OR reportedStart <> :ws)",
          ExpressionAttributeValues: { ":ws": n(windowStart), ":zero": n(0) },
          ReturnValues: "ALL_NEW",
        },
        key,
      ),
    async releaseReport(key, windowStart) {
      await update(
        "release count report",
        {
          UpdateExpression: "REMOVE reportedStart",
          ConditionExpression: "windowStart = :ws AND reportedStart = :ws",
          ExpressionAttributeValues: { ":ws": n(windowStart) },
        },
        key,
      );
    },
  };
}

function isConditionFailed(error: unknown): boolean {
  return (error as { awsCode?: string })?.awsCode === "ConditionalCheckFailedException";
}
