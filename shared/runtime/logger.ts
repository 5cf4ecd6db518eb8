import { Logger } from "@aws-lambda-powertools/logger";

/**
 * One structured JSON logger for every function, the sweep and the CLI. LOG_LEVEL and POWERTOOLS_SERVICE_NAME
 * follow the Powertools conventions, so operators can turn on debug logs without a deploy of new code.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "efs-guard",
  logLevel: (process.env.LOG_LEVEL as "INFO" | undefined) ?? "INFO",
});
