import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { logger } from "./logger.js";

/**
 * The middy stack every guard function shares: Lambda context on each log line, keys reset between
 * invocations so one event's ids never leak into the next.
 */
export function guardHandler<E, R>(fn: (event: E, context: Context) => Promise<R>) {
  return middy(fn).use(injectLambdaContext(logger, { resetKeys: true }));
}
