import { DescribeFileSystemsCommand, EFSClient } from "@aws-sdk/client-efs";
import {
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../bin/cli.js";
import { approve } from "../../bin/commands/approve.js";
import { runMigrate } from "../../bin/commands/migrate.js";
import { reject } from "../../bin/commands/reject.js";
import { FunctionHost } from "../../emulator/host.js";
import { LambdaHost } from "../../emulator/lambda-host.js";
import { synthTemplate } from "../../emulator/template.js";
import { createFileSystemEvent } from "../../events/build.js";
import { signStatement } from "../../shared/aws/approval-statements.js";
import { answerApproval, pendingApproval } from "../../shared/aws/approvals.js";
import { executionArnFor, migrationExecutionName, startMigration } from "../../shared/aws/migration.js";
import { fileSystemGuard } from "../../shared/guards/file-system.js";
import type { Creator } from "../../shared/migration/approval.js";
import { sweepRegion } from "../../shared/pipeline/sweep.js";
import type { Guard } from "../../shared/pipeline/types.js";
import { testDeps } from "../support/deps.js";
import { configureEmulator, resetEmulator } from "../support/emulator.js";
import { type Credentials, identityCenterUser, role, session, stsAs } from "../support/identities.js";
import { AlertInbox, executionEnded, unencryptedFileSystem, waitFor } from "../support/migration.js";

/**
 * Issue 11 item 6, performed as an attacker would: who may answer a migration's approval. The approvers are an IAM
 * Identity Center permission set ("Approvers"); everyone else, the file system's creator included, is refused, and
 * each refusal is alerted while the migration asks again. The answers go through the real CLI code or, for the
 * attacks that do not use it, straight to Step Functions with whatever the attacker could read from the history.
 */

const region = "us-east-1";
const ACCOUNT = "123456789012";
const sfn = new SFNClient({ region });
const efs = new EFSClient({ region });
const APPROVERS = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Approvers_*`;
let host: FunctionHost;
let lambdas: LambdaHost;
let inbox: AlertInbox;
let jane: Credentials; // an approver
let bob: Credentials; // another approver
let mallory: Credentials; // a developer, not an approver

beforeAll(async () => {
  const template = synthTemplate({ approvers: [APPROVERS] });
  await resetEmulator();
  await configureEmulator({ stepfunctions: { execute_state_machine: true } });
  host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  lambdas = await LambdaHost.deploy(template, { topicArn: host.alertsTopicArn, region });
  inbox = new AlertInbox(host);
  jane = await identityCenterUser("Approvers", "jane@example.com");
  bob = await identityCenterUser("Approvers", "bob@example.com");
  mallory = await identityCenterUser("Developers", "mallory@example.com");
}, 120_000);

afterAll(async () => {
  await lambdas?.stop();
  await configureEmulator({ stepfunctions: { execute_state_machine: false } });
});

const ssoArn = (set: string, user: string) =>
  `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_${set}_0123456789abcdef/${user}`;

/** Runs `work` with the process's AWS credentials set to `creds`, as a person running the CLI would. */
async function as<T>(creds: Credentials, work: () => Promise<T>): Promise<T> {
  const keys = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] as const;
  const saved = keys.map((k) => process.env[k]);
  process.env.AWS_ACCESS_KEY_ID = creds.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = creds.secretAccessKey;
  if (creds.sessionToken) process.env.AWS_SESSION_TOKEN = creds.sessionToken;
  else delete process.env.AWS_SESSION_TOKEN;
  try {
    return await work();
  } finally {
    keys.forEach((k, i) => {
      if (saved[i] === undefined) delete process.env[k];
      else process.env[k] = saved[i];
    });
  }
}

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

async function migrate(createdBy?: Creator) {
  const src = await unencryptedFileSystem();
  const started = await startMigration(sfn, lambdas.stateMachineArn, {
    fileSystemId: src.fileSystemId,
    region,
    reason: "efs-encrypted-at-rest: the file system is not encrypted at rest",
    requestedBy: "efs-guard efs-encrypted-at-rest",
    ...(createdBy ? { createdBy } : {}),
  });
  await inbox.next("approval-requested", src.fileSystemId);
  return { src, executionArn: started.executionArn };
}

const fileSystemCount = async () => (await efs.send(new DescribeFileSystemsCommand({}))).FileSystems!.length;

/** The next round's approval request, after a refused answer. */
async function nextRound(fileSystemId: string, executionArn: string, round: number) {
  await inbox.next("approval-requested", fileSystemId);
  await waitFor(`approval round ${round}`, async () =>
    (await pendingApproval(sfn, executionArn).catch(() => undefined))?.round === round ? true : undefined,
  );
}

describe("who may answer an approval", () => {
  it("refuses a bare SendTaskSuccess, a non-approver and a forged signature; alerts each; gives up after 3", async () => {
    const { src, executionArn } = await migrate();
    const before = await fileSystemCount();

    // 1. Anyone allowed GetExecutionHistory reads the token; an admin answers with SendTaskSuccess, claiming a name.
    const token = (await pendingApproval(sfn, executionArn)).taskToken;
    await sfn.send(
      new SendTaskSuccessCommand({
        taskToken: token,
        output: JSON.stringify({ approvedBy: "arn:aws:iam::123456789012:role/SecurityLead", comment: "lgtm" }),
      }),
    );
    const first = await inbox.next("approval-refused", src.fileSystemId);
    expect(first.attributes).toMatchObject({ control: "efs-encrypted-at-rest", severity: "high" });
    expect(first.message.content.description).toContain("approval round 1 of 3");
    expect(first.message.content.description).toContain("carries no valid approver statements");
    expect(first.message.content.description).toContain("the migration asks for approval again");
    await nextRound(src.fileSystemId, executionArn, 2);

    // 2. Mallory (a developer) runs the real command: her own identity is not an approver's.
    const m = captureIo();
    expect(await as(mallory, () => approve.run([executionArn], m.io))).toBe(2);
    expect(m.err.join("\n")).toContain(
      `the workflow refused the answer: ${ssoArn("Developers", "mallory@example.com")} is not one of the approvers (${APPROVERS})`,
    );
    await inbox.next("approval-refused", src.fileSystemId);
    await nextRound(src.fileSystemId, executionArn, 3);

    // 3. Mallory signs "as jane" with jane's access key id (CloudTrail shows it) and session token, not her secret.
    const pending = await pendingApproval(sfn, executionArn);
    const malloryApprover = await session(await role("efs-guard-approver"), "jane@example.com", mallory);
    await answerApproval(sfn, executionArn, "approve", "approved by jane", async (binding) => ({
      identity: await signStatement(stsAs({ ...jane, secretAccessKey: "guessed" }), binding),
      role: await signStatement(stsAs(malloryApprover), binding),
    }));
    const third = await inbox.next("approval-refused", src.fileSystemId);
    expect(third.message.content.description).toContain("SignatureDoesNotMatch");
    expect(third.message.content.description).toContain("this was the last round");
    expect(pending.round).toBe(3);

    const ended = await executionEnded(sfn, executionArn);
    expect(ended.status).toBe("FAILED");
    const failed = await inbox.next("migration-failed", src.fileSystemId);
    expect(failed.message.content.description).toContain("EfsGuard.ApprovalRefused");
    // Nothing was created, and the source is untouched.
    expect(await fileSystemCount()).toBe(before);
  });

  it("refuses the file system's creator (same Identity Center user, another permission set); another approver's answer counts and is recorded", async () => {
    // Jane creates the file system through her Developers permission set; CloudTrail's CreateFileSystem record
    // (through the real EventBridge pattern and file-system handler) starts the migration and names her.
    const src = await unencryptedFileSystem();
    const creator = { arn: ssoArn("Developers", "jane@example.com") };
    host.setEnvironment({ MIGRATION_STATE_MACHINE_ARN: lambdas.stateMachineArn });
    await host.putEvents([createFileSystemEvent({ fileSystemId: src.fileSystemId }, { actor: creator })]);
    await host.drain();
    const executionArn = executionArnFor(lambdas.stateMachineArn, migrationExecutionName(src.fileSystemId));
    const ask = await inbox.next("approval-requested", src.fileSystemId);
    expect(ask.message.content.description).toContain(`*Created by:* ${creator.arn} (CloudTrail CreateFileSystem)`);
    const j = captureIo();
    expect(await as(jane, () => approve.run([src.fileSystemId, "--comment", "mine, fine"], j.io))).toBe(2);
    expect(j.err.join("\n")).toContain(
      `${ssoArn("Approvers", "jane@example.com")} is the same IAM Identity Center user (jane@example.com) that created the file system (${creator.arn}); requireSeparateApprover asks for someone else`,
    );
    const refused = await inbox.next("approval-refused", src.fileSystemId);
    expect(refused.message.content.description).toContain(`signed by ${ssoArn("Approvers", "jane@example.com")}`);
    await nextRound(src.fileSystemId, executionArn, 2);

    const b = captureIo();
    expect(await as(bob, () => approve.run([src.fileSystemId, "--comment", "go ahead"], b.io))).toBe(0);
    expect(b.out.join("\n")).toContain(`verified by AWS STS as ${ssoArn("Approvers", "bob@example.com")}`);
    const ended = await executionEnded(sfn, executionArn);
    expect(ended.status).toBe("SUCCEEDED");
    // The decision the workflow recorded is AWS's identity of the signer, not anything the client claimed.
    expect(JSON.parse(ended.output!).approval).toMatchObject({
      approvedBy: ssoArn("Approvers", "bob@example.com"),
      via: `arn:aws:sts::${ACCOUNT}:assumed-role/efs-guard-approver/bob@example.com`,
      verifiedBy: "sts:GetCallerIdentity",
      comment: "go ahead",
    });
    const done = await inbox.next("migrated", src.fileSystemId);
    expect(done.message.content.description).toContain(
      `*Approved by:* ${ssoArn("Approvers", "bob@example.com")}, verified by AWS STS (through arn:aws:sts::${ACCOUNT}:assumed-role/efs-guard-approver/bob@example.com) (go ahead)`,
    );
  });

  it("an approver's answer copied from one execution's history to another is refused; a verified rejection names the rejecter", async () => {
    const a = await migrate();
    const b = await migrate();
    // Bob approves A; his answer (the SendTaskSuccess output) is in A's history for anyone who may read it.
    expect(await as(bob, () => approve.run([a.executionArn], captureIo().io))).toBe(0);
    await executionEnded(sfn, a.executionArn);
    const history = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: a.executionArn, maxResults: 1000 })))
      .events!;
    const copied = history
      .map((e) => e.taskSucceededEventDetails?.output)
      .find((o) => o !== undefined && JSON.parse(o).statements !== undefined);
    expect(copied).toBeDefined();
    const token = (await pendingApproval(sfn, b.executionArn)).taskToken;
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: copied! }));
    const refused = await inbox.next("approval-refused", b.src.fileSystemId);
    expect(refused.message.content.description).toContain("signed for another answer");
    await nextRound(b.src.fileSystemId, b.executionArn, 2);

    // A forged rejection (SendTaskFailure with a made-up cause) is refused too: rejecting is a decision as well.
    const token2 = (await pendingApproval(sfn, b.executionArn)).taskToken;
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: token2, error: "EfsGuard.Rejected", cause: "rejected by the CISO" }),
    );
    expect((await inbox.next("approval-refused", b.src.fileSystemId)).message.content.description).toContain(
      "Answer:* reject",
    );
    await nextRound(b.src.fileSystemId, b.executionArn, 3);

    const r = captureIo();
    expect(await as(bob, () => reject.run([b.executionArn, "--reason", "not during quarter close"], r.io))).toBe(0);
    const ended = await executionEnded(sfn, b.executionArn);
    expect(ended).toMatchObject({ status: "FAILED", error: "EfsGuard.Rejected" });
    const notice = await inbox.next("migration-rejected", b.src.fileSystemId);
    expect(notice.message.content.description).toContain(
      `*Rejected by:* ${ssoArn("Approvers", "bob@example.com")}, verified by AWS STS`,
    );
    expect(notice.message.content.description).toContain("not during quarter close");
  });
});

describe("one request at a time, and none after a rejection until asked (issue 11 item 7)", () => {
  it("the sweep asks once, not while a request is open, not after a rejection; efs-guard migrate asks again", async () => {
    const src = await unencryptedFileSystem();
    const guard = fileSystemGuard({ migrationStateMachineArn: lambdas.stateMachineArn });
    // The sweep as deployed (after the observe period), over this one file system.
    const only: Guard = { ...guard, inventory: async () => [{ type: "file-system", fileSystemId: src.fileSystemId }] };
    const deps = testDeps({ observeDays: 0, approvers: [APPROVERS] });
    const encryption = async () => {
      const report = await sweepRegion([only], region, deps);
      return report.results.find((r) => r.finding.control === "efs-encrypted-at-rest")!;
    };
    const runs = async () =>
      (await sfn.send(new ListExecutionsCommand({ stateMachineArn: lambdas.stateMachineArn }))).executions!.filter(
        (e) => e.name!.startsWith(`efs-guard-migrate-${src.fileSystemId}`),
      );

    expect((await encryption()).outcome).toBe("migration-started");
    await inbox.next("approval-requested", src.fileSystemId);
    const open = await encryption();
    expect(open.outcome).toBe("migration-started");
    expect(open.detail).toContain("migration already in progress");
    expect(await runs()).toHaveLength(1);

    expect(
      await as(bob, () => reject.run([src.fileSystemId, "--reason", "data is public anyway"], captureIo().io)),
    ).toBe(0);
    await executionEnded(sfn, (await runs())[0]!.executionArn!);
    const after = await encryption();
    expect(after.outcome).toBe("alerted");
    expect(after.detail).toMatch(
      new RegExp(
        `not remediated: the migration was rejected on \\d{4}-\\d{2}-\\d{2} \\(execution efs-guard-migrate-${src.fileSystemId}\\); not asked again until the file system or the migration asked for changes, or an operator runs efs-guard migrate ${src.fileSystemId}`,
      ),
    );
    expect(await runs()).toHaveLength(1);
    expect(inbox.of(src.fileSystemId).filter((a) => a.attributes.outcome === "approval-requested")).toHaveLength(1);

    // An operator asks again.
    const m = captureIo();
    const args = [src.fileSystemId, "--region", region, "--state-machine", lambdas.stateMachineArn];
    expect(await runMigrate(args, m.io)).toBe(0);
    expect(m.out[0]).toContain(`started: migration efs-guard-migrate-${src.fileSystemId}-2 started`);
    const second = await inbox.next("approval-requested", src.fileSystemId);
    expect(second.message.content.description).toContain(
      "requested by efs-guard migrate, run by arn:aws:sts::123456789012:user/moto",
    );
    const again = captureIo();
    expect(await runMigrate(args, again.io)).toBe(0);
    expect(again.out[0]).toContain("not started: migration already in progress");
    expect(await runs()).toHaveLength(2);
    expect(await as(bob, () => reject.run([src.fileSystemId, "--reason", "still no"], captureIo().io))).toBe(0);
  });

  it("efs-guard migrate says why it starts nothing: exempt, not found, not a file system id", async () => {
    // An exemption is honoured only with an end within maxExemptionDays (90 by default).
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const exempt = await unencryptedFileSystem({
      "efs-guard:exempt": "efs-encrypted-at-rest",
      "efs-guard:exempt-until": until,
    });
    const e = captureIo();
    expect(await runMigrate([exempt.fileSystemId, "--region", region], e.io)).toBe(1);
    expect(e.out[0]).toContain(
      `not started: ${exempt.fileSystemId} (winterday-shared) is not encrypted at rest, but exempted by tag efs-guard:exempt`,
    );
    const gone = captureIo();
    expect(await runMigrate(["fs-0123456789abcdef0", "--region", region], gone.io)).toBe(1);
    expect(gone.out[0]).toBe("nothing to migrate: fs-0123456789abcdef0 no longer exists");
    const usage = captureIo();
    expect(await main(["migrate", "vol-1"], usage.io)).toBe(2);
    expect(usage.err.join("\n")).toContain("vol-1 is not a file system id");
    const help = captureIo();
    expect(await main(["migrate", "--help"], help.io)).toBe(0);
    expect(help.out[0]).toContain("Usage: efs-guard migrate <fs-id>");
  });
});
