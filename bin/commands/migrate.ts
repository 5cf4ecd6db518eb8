import { parseArgs } from "node:util";
import { EFSClient } from "@aws-sdk/client-efs";
import { KMSClient } from "@aws-sdk/client-kms";
import { accountAccess, partitionOfArn, sessionNameFor } from "../../shared/aws/accounts.js";
import { migrationStateMachineArn } from "../../shared/aws/approvals.js";
import { migrationSubject, startMigration } from "../../shared/aws/migration.js";
import { callerIdentity } from "../../shared/aws/sts.js";
import * as encryption from "../../shared/controls/encrypted-at-rest.js";
import { assessFileSystem, defaultFileSystemClients, type FileSystemClients } from "../../shared/guards/file-system.js";
import { RECORD_KEY_ALIAS, RECORD_KEY_ENV } from "../../shared/migration/record.js";
import { decide } from "../../shared/pipeline/decide.js";
import { type Clock, systemClock } from "../../shared/runtime/clock.js";
import { defaultRegion, parsing, UsageError } from "../args.js";
import { describeAwsFailure } from "../aws-problem.js";
import { loadConfig } from "../config.js";
import type { Command, Io } from "./types.js";

const HELP = `Usage: efs-guard migrate <fs-id> [--region REGION] [--account ID] [--state-machine ARN] [--config FILE]

Asks (again) for the approval-gated migration of a file system that fails efs-encrypted-at-rest (unencrypted, or
on the AWS managed key). EFS Guard asks once per file system: one approval request open at a time, and after a
rejection it does not ask again by itself until the file system or the migration asked for changes. This command
is an operator asking again. It evaluates the file system with the deployed guard's own evaluator (and the
configuration of --config FILE, else ./cdk.json's efsGuard context, else the defaults) and, if it needs it, starts
the migration workflow, which asks for approval; nothing is copied or created before an approver approves.

Options:
  --region REGION        the file system's region (default: AWS_REGION, else AWS_DEFAULT_REGION)
  --account ID           the member account the file system is in (the hub migrating a member's file system): it is
                         read through the member role (organization.memberRoleName), as efs-guard scan --accounts
                         does, and the hub's workflow migrates it there (default: the account of your credentials)
  --state-machine ARN    the migration workflow (default: the state machine named efs-guard-migration in REGION;
                         for a file system in one of the stack's other regions, give the home region's workflow)
  --config FILE          EFS Guard configuration (the efsGuard object, JSON)
  -h, --help             this help

Not started, and said why: the file system needs no migration, it is exempt (efs-guard:exempt), the control is
off; or a migration of it is already in progress or already done.
Your credentials need elasticfilesystem:DescribeFileSystems, kms:DescribeKey (for an encrypted file system),
states:ListStateMachines (without --state-machine), and states:DescribeExecution and states:StartExecution on the
workflow. The request names you (STS GetCallerIdentity); CloudTrail records the StartExecution.

Exit codes: 0 started, or already in progress or done; 1 nothing to migrate (compliant, exempt, control off);
2 usage error or an AWS call failed.`;

const FILE_SYSTEM_ID = /^fs-[0-9a-f]{8,40}$/;

export async function runMigrate(args: string[], io: Io, clock: Clock = systemClock): Promise<number> {
  const { values, positionals } = parsing(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        region: { type: "string" },
        account: { type: "string" },
        "state-machine": { type: "string" },
        config: { type: "string" },
      },
    }),
  );
  if (positionals.length !== 1) throw new UsageError("give exactly one file system id (fs-...)");
  const fileSystemId = positionals[0]!;
  if (!FILE_SYSTEM_ID.test(fileSystemId)) throw new UsageError(`${fileSystemId} is not a file system id (fs-...)`);
  const region = values.region ?? values["state-machine"]?.split(":")[3] ?? defaultRegion();
  if (!region) throw new UsageError("no region: pass --region REGION or set AWS_REGION");
  if (values.account !== undefined && !/^\d{12}$/.test(values.account)) {
    throw new UsageError(`--account ${values.account}: not a 12-digit account id`);
  }
  const { config } = loadConfig(values.config);
  try {
    const me = await callerIdentity(region);
    // Another account's file system: read there through the member role; the workflow stays the hub's (ours).
    const account = values.account !== undefined && values.account !== me.account ? values.account : undefined;
    const clients = account ? memberClients(me, account, region, config.organization?.memberRoleName) : undefined;
    const [finding] = await assessFileSystem(
      clients ?? defaultFileSystemClients,
      fileSystemId,
      region,
      [encryption.CONTROL],
      config,
      clock,
      // The record key is the hub's: a member's KMS client cannot verify with it (as the hub's member guard).
      account ? {} : { recordKeyArn: process.env[RECORD_KEY_ENV] || RECORD_KEY_ALIAS },
    );
    if (finding?.verdict !== "non-compliant" || finding.plan?.kind !== "start-migration") {
      io.out(`nothing to migrate: ${finding?.summary ?? `${fileSystemId} was not found`}`);
      return 1;
    }
    const decision = decide(finding, config, clock);
    if (decision.intent === "exempt" || decision.intent === "none") {
      io.out(`not started: ${finding.summary}, but ${decision.why}`);
      return 1;
    }
    // The workflow runs in the stack's home region for every guarded region: its client is the workflow's region.
    const home = values["state-machine"]?.split(":")[3] ?? region;
    const sfn = defaultFileSystemClients.sfn(home);
    const stateMachineArn = await migrationStateMachineArn(sfn, values["state-machine"]);
    const started = await startMigration(
      sfn,
      stateMachineArn,
      {
        fileSystemId,
        region,
        reason: finding.plan.reason,
        requestedBy: `efs-guard migrate, run by ${me.arn}`,
        ...(finding.plan.severity ? { severity: finding.plan.severity } : {}),
        ...(account ? { account } : {}),
        subject: migrationSubject({
          fileSystemId,
          reason: finding.plan.reason,
          kmsKeyArn: region === home ? config.kmsKeyArn : config.regionKmsKeyArns[region],
          strategy: config.migrationStrategy,
        }),
      },
      { askAgain: true },
    );
    io.out(`${started.status === "done" ? "started" : "not started"}: ${started.detail}`);
    io.out(`execution: ${started.executionArn}`);
    return 0;
  } catch (error) {
    io.err(`efs-guard migrate: ${describeAwsFailure(error, region)}`);
    return 2;
  }
}

/** The member's EFS and KMS clients (its member role, like efs-guard scan --accounts); Step Functions stays ours. */
function memberClients(
  me: { account: string; arn: string },
  account: string,
  region: string,
  roleName = "efs-guard-member",
): FileSystemClients {
  const access = accountAccess({
    homeAccount: me.account,
    partition: partitionOfArn(me.arn) ?? "aws",
    roleName,
    sessionName: sessionNameFor("migrate"),
    region,
  });
  return {
    ...defaultFileSystemClients,
    efs: access.clients(account, (settings) => new EFSClient(settings)),
    kms: access.clients(account, (settings) => new KMSClient(settings)),
  };
}

export const migrate: Command = {
  name: "migrate",
  summary: "ask (again) for the approval-gated migration of a file system",
  aws: true,
  help: HELP,
  run: (args, io) => runMigrate(args, io),
};
