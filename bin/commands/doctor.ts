import { parseArgs } from "node:util";
import type { CheckResult } from "../../shared/aws/doctor.js";
import { defaultRegion, parsing, UsageError } from "../args.js";
import { loadConfig } from "../config.js";
import type { Command } from "./types.js";

const HELP = `Usage: efs-guard doctor [--region REGION] [--config FILE] [--stack NAME] [--json]

Checks what a deployment of EFS Guard relies on, for the current credentials' account:
  credentials          STS GetCallerIdentity answers
  cloudtrail trail     in the home region and each of the configured regions, a trail is logging the write
                       management events of EC2, EFS and KMS (EventBridge gets no CloudTrail events without one)
  cloudtrail kms reads in each of those regions, a logging trail records KMS's read management events, so
                       kms:Decrypt of the file systems' keys is auditable (WARN otherwise: not excluded by
                       ExcludeManagementEventSources, ReadWriteType or readOnly), with the put-event-selectors command
                       that fixes the trail and keeps its data-event selectors
  guardduty            in each of those regions, a GuardDuty detector is enabled (it sees NFS scanning; WARN with the
                       create-detector or update-detector command otherwise)
  migration key        the configured kmsKeyArn is enabled, customer managed, symmetric, rotating, in the home
                       region, and its key policy lets EFS and AWS Backup use it; likewise each key of
                       regionKmsKeyArns in its region
  deployed stack       if deployed: the stack's EventBridge rules (and each forwarder's) are enabled and every
                       target has a dead-letter queue (optional: "not deployed" is not a failure)

Options:
  --region REGION   home region (default: AWS_REGION, then AWS_DEFAULT_REGION)
  --config FILE     EFS Guard configuration, as for scan and replay: the efsGuard object (JSON) or a cdk.json
                    (its efsGuard context); default: the efsGuard context of ./cdk.json when present, else the
                    defaults. Its regions and keys (kmsKeyArn,
                    regionKmsKeyArns) are checked.
  --stack NAME      the home stack's name (default: EfsGuard)
  --json            print the results as JSON instead of a table

Exit code: 0 when every check passes (info and warn rows included), 1 when any check fails, 2 on an error
(bad arguments, invalid configuration, unreachable endpoint).`;

const MARK: Record<CheckResult["status"], string> = { pass: "PASS", fail: "FAIL", warn: "WARN", info: "INFO" };

export function formatTable(results: CheckResult[]): string {
  const rows = [
    ["status", "check", "region", "detail"],
    ...results.map((r) => [MARK[r.status], r.check, r.region, r.detail]),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => [...r.slice(0, 3).map((cell, c) => cell.padEnd(widths[c]!)), r[3]].join("  ")).join("\n");
}

export const doctor: Command = {
  name: "doctor",
  summary: "check the deploy prerequisites (credentials, CloudTrail, KMS audit, GuardDuty, migration key, stack)",
  aws: true,
  help: HELP,
  async run(args, io) {
    const { values } = parsing(() =>
      parseArgs({
        args,
        options: {
          region: { type: "string" },
          config: { type: "string" },
          stack: { type: "string", default: "EfsGuard" },
          json: { type: "boolean", default: false },
        },
        strict: true,
        allowPositionals: false,
      }),
    );
    const home = values.region ?? defaultRegion();
    if (!home) throw new UsageError("no region: pass --region or set AWS_REGION");
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(home))
      throw new UsageError(`--region (got "${home}"): an AWS region name such as eu-west-1`);
    const { config } = loadConfig(values.config);
    const { runDoctor } = await import("../../shared/aws/doctor.js");
    const results = await runDoctor({
      regions: [home, ...config.regions.filter((r) => r !== home)],
      ...(config.kmsKeyArn ? { kmsKeyArn: config.kmsKeyArn } : {}),
      regionKmsKeyArns: config.regionKmsKeyArns,
      stackName: values.stack,
    });
    io.out(values.json ? JSON.stringify(results, null, 2) : formatTable(results));
    return results.some((r) => r.status === "fail") ? 1 : 0;
  },
};
