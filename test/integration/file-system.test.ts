import {
  DeleteFileSystemCommand,
  DeleteFileSystemPolicyCommand,
  DescribeBackupPolicyCommand,
  PutBackupPolicyCommand,
  PutFileSystemPolicyCommand,
} from "@aws-sdk/client-efs";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import {
  createFileSystemEvent,
  deleteFileSystemPolicyEvent,
  putBackupPolicyEvent,
  putFileSystemPolicyEvent,
} from "../../events/build.js";
import { type ConfigInput, parseConfig } from "../../shared/config/schema.js";
import { consoleDefaultPolicy, TLS_STATEMENT_SID } from "../../shared/controls/policy.js";
import { fileSystemGuard } from "../../shared/guards/file-system.js";
import { snsNotifier } from "../../shared/notify/sns.js";
import { processEvent } from "../../shared/pipeline/run.js";
import { fixedClock } from "../../shared/runtime/clock.js";
import { guardHandler } from "../../shared/runtime/middleware.js";
import { ACCESS_ENTRY, withoutAccessControls } from "../support/access-off.js";
import { exemptUntil, testDeps } from "../support/deps.js";
import { policyOf, roleOnlyPolicy } from "../support/efs-policy.js";
import { resetEmulator } from "../support/emulator.js";

const ENTRY = "functions/file-system/handler.ts";
const KMS_ENTRY = "functions/kms-key/handler.ts";
const ACCOUNT = "123456789012";
const arnOf = (fs: string) => `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/${fs}`;

/**
 * The file-system function's own TLS path: tlsEnforcement "always", where it writes the deny itself. The default,
 * "unless-clients-break", leaves the control on these events to the ecs-clients function, after the lookup of the
 * file system's ECS clients (test/integration/tls-enforcement.test.ts).
 */
const ALWAYS = { tlsEnforcement: "always" } as const;

let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate(withoutAccessControls(ALWAYS));
});

async function backupOf(seed: Seeder, FileSystemId: string): Promise<string | undefined> {
  try {
    return (await seed.efs.send(new DescribeBackupPolicyCommand({ FileSystemId }))).BackupPolicy?.Status;
  } catch (error) {
    if ((error as Error).name === "PolicyNotFound") return undefined;
    throw error;
  }
}

async function putPolicy(seed: Seeder, FileSystemId: string, policy: unknown) {
  const Policy = typeof policy === "string" ? policy : JSON.stringify(policy);
  await seed.efs.send(new PutFileSystemPolicyCommand({ FileSystemId, Policy }));
  return Policy;
}

async function customerKey(): Promise<string> {
  const kms = new KMSClient({ region: REGION });
  return (await kms.send(new CreateKeyCommand({ Description: "efs data" }))).KeyMetadata!.Arn!;
}

const byControl = (alerts: { message: any; attributes: Record<string, string> }[]) =>
  Object.fromEntries(alerts.map((a) => [a.attributes.control, a]));

const ROLE_ONLY = (fs: string) => roleOnlyPolicy(arnOf(fs), ACCOUNT);

describe("file-system guard end to end: CloudTrail event -> real rule -> handler -> emulator -> alert", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });

  /**
   * The handler with another configuration, built the way functions/file-system/handler.ts builds it (importing
   * that module here would initialize it outside the host, without the function's environment).
   */
  function useConfig(config: ConfigInput, options: { migrationStateMachineArn?: string } = {}) {
    const guard = fileSystemGuard(options);
    const deps = {
      config: parseConfig({ ...ALWAYS, ...config }),
      clock: fixedClock("2026-11-26T12:00:00Z"),
      notifier: snsNotifier(host.alertsTopicArn),
    };
    host.use(
      ENTRY,
      guardHandler(async (event: unknown) => processEvent(event, guard, deps)),
    );
  }

  it("CreateFileSystem, unencrypted: TLS policy written, backups alerted, a missing workflow reported", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    await host.putEvents([createFileSystemEvent({ fileSystemId: fs })]);
    // CreateFileSystem also reaches the kms-key function (for an unencrypted file system it has nothing to say) and
    // the efs-access function (its controls are off here: tests/support/access-off.ts).
    const invocations = await host.drain();
    expect(invocations.map((i) => i.entry).sort()).toEqual([ACCESS_ENTRY, ENTRY, KMS_ENTRY]);
    expect(invocations.map((i) => i.error)).toEqual([undefined, undefined, undefined]);
    const keyFindings = invocations.find((i) => i.entry === KMS_ENTRY)!.result as any;
    expect(keyFindings.findings).toEqual([]);

    expect(JSON.parse((await policyOf(seed, fs))!)).toEqual(consoleDefaultPolicy(arnOf(fs)));
    expect(await backupOf(seed, fs)).toBeUndefined();

    const alerts = byControl(await host.alerts());
    expect(Object.keys(alerts).sort()).toEqual(["efs-backup-enabled", "efs-encrypted-at-rest", "efs-tls-enforced"]);
    expect(alerts["efs-tls-enforced"]?.attributes).toEqual({
      control: "efs-tls-enforced",
      severity: "high",
      outcome: "remediated",
    });
    expect(alerts["efs-tls-enforced"]?.message.content.description).toContain("denies every request without TLS");
    expect(alerts["efs-tls-enforced"]?.message.content.nextSteps.join(" ")).toContain("mount -t efs -o tls");
    expect(alerts["efs-backup-enabled"]?.attributes).toMatchObject({ severity: "medium", outcome: "alerted" });
    const migration = alerts["efs-encrypted-at-rest"]!;
    expect(migration.attributes).toEqual({
      control: "efs-encrypted-at-rest",
      severity: "critical",
      outcome: "remediation-failed",
    });
    // The deployed function names the stack's state machine; this test deploys no workflow, as if it had been
    // deleted: the start is refused by Step Functions and reported, never retried.
    expect(migration.message.content.description).toContain("remediation failed: states:StartExecution failed");
    expect(migration.message.metadata.additionalContext.error).toMatch(/StateMachineDoesNotExist/);
  });

  it("CreateFileSystem encrypted with the AWS managed key is flagged; with a customer managed key it is not", async () => {
    const seed = new Seeder();
    const aws = await seed.fileSystem({ encrypted: true });
    const key = await customerKey();
    const cmk = await seed.fileSystem({ encrypted: true, kmsKeyId: key });
    await host.putEvents([
      createFileSystemEvent({ fileSystemId: aws, encrypted: true }),
      createFileSystemEvent({ fileSystemId: cmk, encrypted: true, kmsKeyId: key }),
    ]);
    await host.drain();
    const encryption = (await host.alerts()).filter((a) => a.attributes.control === "efs-encrypted-at-rest");
    expect(encryption).toHaveLength(1);
    expect(encryption[0]?.message.metadata.additionalContext.resource).toBe(aws);
    expect(encryption[0]?.attributes.severity).toBe("high");
    expect(encryption[0]?.message.content.description).toContain("AWS managed key aws/elasticfilesystem");
  });

  it("PutFileSystemPolicy without the deny: merged in, the existing statement kept as it was", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const original = ROLE_ONLY(fs);
    const text = await putPolicy(seed, fs, original);
    await host.putEvents([putFileSystemPolicyEvent(fs, text)]);
    await host.drain();
    const written = JSON.parse((await policyOf(seed, fs))!);
    expect(written.Version).toBe("2012-10-17");
    expect(written.Statement).toHaveLength(2);
    expect(written.Statement[0]).toEqual(original.Statement[0]);
    expect(written.Statement[1]).toMatchObject({
      Sid: TLS_STATEMENT_SID,
      Effect: "Deny",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    const alerts = await host.alerts();
    expect(alerts.map((a) => [a.attributes.control, a.attributes.outcome])).toEqual([
      ["efs-tls-enforced", "remediated"],
    ]);
  });

  it("PutFileSystemPolicy granting to everyone: efs-policy-not-public alerts (alert only), TLS still merged", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const open = {
      Version: "2012-10-17",
      Statement: [{ Sid: "Open", Effect: "Allow", Principal: { AWS: "*" }, Action: "*", Resource: arnOf(fs) }],
    };
    const text = await putPolicy(seed, fs, open);
    await host.putEvents([putFileSystemPolicyEvent(fs, text)]);
    await host.drain();
    const alerts = byControl(await host.alerts());
    expect(alerts["efs-policy-not-public"]?.attributes).toEqual({
      control: "efs-policy-not-public",
      severity: "critical",
      outcome: "alerted",
    });
    expect(alerts["efs-policy-not-public"]?.message.content.description).toContain("to everyone");
    const written = JSON.parse((await policyOf(seed, fs))!);
    // The public grant is the owner's to fix: EFS Guard only added the TLS deny next to it.
    expect(written.Statement[0]).toEqual(open.Statement[0]);
    expect(written.Statement).toHaveLength(2);
  });

  it("DeleteFileSystemPolicy: the console's pair is written back", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    await putPolicy(seed, fs, consoleDefaultPolicy(arnOf(fs)));
    await seed.efs.send(new DeleteFileSystemPolicyCommand({ FileSystemId: fs }));
    await host.putEvents([deleteFileSystemPolicyEvent(fs)]);
    await host.drain();
    expect(JSON.parse((await policyOf(seed, fs))!)).toEqual(consoleDefaultPolicy(arnOf(fs)));
    expect((await host.alerts()).map((a) => a.attributes.outcome)).toEqual(["remediated"]);
  });

  it("PutBackupPolicy DISABLED: alert by default, nothing changed", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    await seed.efs.send(new PutBackupPolicyCommand({ FileSystemId: fs, BackupPolicy: { Status: "DISABLED" } }));
    await host.putEvents([putBackupPolicyEvent(fs, "DISABLED")]);
    await host.drain();
    expect(await backupOf(seed, fs)).toBe("DISABLED");
    const alerts = await host.alerts();
    expect(alerts.map((a) => [a.attributes.control, a.attributes.outcome])).toEqual([
      ["efs-backup-enabled", "alerted"],
    ]);
    expect(alerts[0]?.message.content.description).toContain("automatic backups are disabled");
  });

  it("PutBackupPolicy DISABLED in remediate mode: backups back on; the guard's own PutBackupPolicy is a no-op", async () => {
    useConfig({ modes: { "efs-backup-enabled": "remediate" } });
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    await seed.efs.send(new PutBackupPolicyCommand({ FileSystemId: fs, BackupPolicy: { Status: "DISABLED" } }));
    await host.putEvents([putBackupPolicyEvent(fs, "DISABLED")]);
    await host.drain();
    expect(await backupOf(seed, fs)).toBe("ENABLED");
    expect((await host.alerts()).map((a) => a.attributes.outcome)).toEqual(["remediated"]);

    // Loop safety: the guard's own call comes back through CloudTrail.
    await host.putEvents([
      putBackupPolicyEvent(fs, "ENABLED", {
        actor: { arn: "arn:aws:sts::123456789012:assumed-role/EfsGuard-FileSystem/fn" },
      }),
    ]);
    const [replay] = await host.drain();
    expect((replay!.result as any).findings).toMatchObject([
      { control: "efs-backup-enabled", verdict: "compliant", action: "none" },
    ]);
    expect(await host.alerts()).toEqual([]);
  });

  it("loop safety: the guard's own PutFileSystemPolicy finds the file system compliant and does nothing", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    await host.putEvents([deleteFileSystemPolicyEvent(fs)]);
    await host.drain();
    await host.alerts();
    const own = (await policyOf(seed, fs))!;
    await host.putEvents([putFileSystemPolicyEvent(fs, own)]);
    const [replay] = await host.drain();
    expect((replay!.result as any).findings).toMatchObject([
      { control: "efs-tls-enforced", verdict: "compliant", action: "none" },
      { control: "efs-policy-not-public", verdict: "compliant", action: "none" },
    ]);
    expect(await policyOf(seed, fs)).toBe(own);
    expect(await host.alerts()).toEqual([]);
  });

  it("an exempt file system is reported as exempt and left alone; an expired exemption no longer applies", async () => {
    const seed = new Seeder();
    const exempt = await seed.fileSystem({
      tags: { Name: "legacy", "efs-guard:exempt": "efs-tls-enforced", "efs-guard:exempt-until": exemptUntil() },
    });
    const lapsed = await seed.fileSystem({
      tags: { Name: "old", "efs-guard:exempt": "efs-tls-enforced", "efs-guard:exempt-until": "2026-01-31" },
    });
    await host.putEvents([deleteFileSystemPolicyEvent(exempt), deleteFileSystemPolicyEvent(lapsed)]);
    await host.drain();
    expect(await policyOf(seed, exempt)).toBeUndefined();
    expect(await policyOf(seed, lapsed)).toBeDefined();
    const alerts = Object.fromEntries(
      (await host.alerts()).map((a) => [a.message.metadata.additionalContext.resource, a]),
    );
    expect(alerts[exempt]?.attributes.outcome).toBe("exempt");
    expect(alerts[lapsed]?.attributes.outcome).toBe("remediated");
    expect(alerts[lapsed]?.message.content.description).toContain("exemption expired on 2026-01-31");
  });

  it("dry run reports what it would do and changes nothing", async () => {
    useConfig({ dryRun: true, modes: { "efs-backup-enabled": "remediate" } });
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    await host.putEvents([createFileSystemEvent({ fileSystemId: fs })]);
    await host.drain();
    expect(await policyOf(seed, fs)).toBeUndefined();
    expect(await backupOf(seed, fs)).toBeUndefined();
    const alerts = byControl(await host.alerts());
    expect(alerts["efs-tls-enforced"]?.attributes.outcome).toBe("would-remediate");
    expect(alerts["efs-backup-enabled"]?.attributes.outcome).toBe("would-remediate");
    expect(alerts["efs-encrypted-at-rest"]?.attributes.outcome).toBe("would-remediate");
    expect(alerts["efs-tls-enforced"]?.message.content.description).toContain(
      "dry run: would write the console's default policy",
    );
  });

  it("alert mode for TLS: reported, policy untouched", async () => {
    useConfig({ modes: { "efs-tls-enforced": "alert" } });
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    await host.putEvents([deleteFileSystemPolicyEvent(fs)]);
    await host.drain();
    expect(await policyOf(seed, fs)).toBeUndefined();
    expect((await host.alerts()).map((a) => a.attributes.outcome)).toEqual(["alerted"]);
  });

  it("with the migration workflow deployed, the migration starts once per file system", async () => {
    const sfn = new SFNClient({ region: REGION });
    const machine = await sfn.send(
      new CreateStateMachineCommand({
        name: "efs-guard-migration",
        roleArn: `arn:aws:iam::${ACCOUNT}:role/efs-guard-migration`,
        definition: JSON.stringify({ StartAt: "Wait", States: { Wait: { Type: "Pass", End: true } } }),
      }),
    );
    useConfig({}, { migrationStateMachineArn: machine.stateMachineArn! });
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const event = createFileSystemEvent({ fileSystemId: fs });
    await host.putEvents([event, event]);
    await host.drain();
    const executions = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn! }));
    expect(executions.executions?.map((e) => e.name)).toEqual([`efs-guard-migrate-${fs}`]);
    const migration = (await host.alerts()).filter((a) => a.attributes.control === "efs-encrypted-at-rest");
    expect(migration.map((a) => a.attributes.outcome)).not.toContain("remediation-failed");
    // Starting the migration fixes nothing yet: the alert says so, never "remediated".
    // (The second delivery finds the execution running, or already done with this one-state machine.)
    expect(migration.map((a) => a.attributes.outcome)).toHaveLength(2);
    for (const a of migration) expect(["migration-started", "cut-over-pending"]).toContain(a.attributes.outcome);
    expect(migration[0]?.attributes).toEqual({
      control: "efs-encrypted-at-rest",
      severity: "critical",
      outcome: "migration-started",
    });
    expect(migration[0]?.message.content.title).toBe(
      `:arrows_counterclockwise: EFS Guard: efs-encrypted-at-rest migration started (approval needed; the source stays as it is) on ${fs}`,
    );
    expect(migration[0]?.message.content.description).toContain("*Decision:* migration-started");
    expect(migration[0]?.message.content.description).toContain("started the migration workflow");
    const input = JSON.parse(
      (await sfn.send(new DescribeExecutionCommand({ executionArn: executions.executions![0]!.executionArn! }))).input!,
    );
    expect(input).toMatchObject({ fileSystemId: fs, severity: "critical" });
  });

  it("a file system deleted after the event is not applicable: no crash, no alert", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    await seed.efs.send(new DeleteFileSystemCommand({ FileSystemId: fs }));
    await host.putEvents([createFileSystemEvent({ fileSystemId: fs }), putFileSystemPolicyEvent(fs, "{}")]);
    // Both events reach the file-system and the efs-access function; CreateFileSystem also reaches the kms-key one.
    const invocations = await host.drain();
    expect(invocations.map((i) => i.entry).sort()).toEqual([ACCESS_ENTRY, ACCESS_ENTRY, ENTRY, ENTRY, KMS_ENTRY]);
    expect(invocations.map((i) => i.error)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    for (const invocation of invocations) {
      for (const finding of (invocation.result as any).findings) expect(finding.verdict).toBe("not-applicable");
    }
    expect(await host.alerts()).toEqual([]);
  });

  it("s3files CreateFileSystem and a failed PutFileSystemPolicy never reach the handler", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const foreign = createFileSystemEvent({ fileSystemId: fs });
    foreign.source = "aws.s3files";
    (foreign.detail as any).eventSource = "s3files.amazonaws.com";
    const failed = putFileSystemPolicyEvent(fs, "{}", { errorCode: "InvalidPolicyException", errorMessage: "bad" });
    await host.putEvents([foreign, failed]);
    expect(await host.drain()).toEqual([]);
    expect(await policyOf(seed, fs)).toBeUndefined();
  });
});

describe("policies EFS Guard must not overwrite, and concurrent changes", () => {
  beforeEach(resetEmulator);

  it("a policy that is not valid JSON is reported and left as it is", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const broken = await putPolicy(seed, fs, '{"Statement": [');
    const deps = testDeps(ALWAYS);
    const report = await processEvent(putFileSystemPolicyEvent(fs, broken), fileSystemGuard(), deps);
    expect(report.findings).toMatchObject([
      { control: "efs-tls-enforced", verdict: "non-compliant", action: "none", outcome: "alerted" },
      { control: "efs-policy-not-public", verdict: "non-compliant", outcome: "alerted" },
    ]);
    expect(report.findings[0]?.detail).toContain("no automatic remediation");
    expect(deps.notifier.published[0]?.result.finding.summary).toContain("will not merge into it or overwrite it");
    expect(await policyOf(seed, fs)).toBe(broken);
  });

  it("a policy that would exceed 20,000 characters with the deny is reported and left as it is", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const big = await putPolicy(seed, fs, {
      Version: "2012-10-17",
      Statement: [
        { Sid: "x".repeat(19_800), Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "*" },
      ],
    });
    const deps = testDeps(ALWAYS);
    const report = await processEvent(putFileSystemPolicyEvent(fs, big), fileSystemGuard(), deps);
    expect(report.findings[0]).toMatchObject({
      control: "efs-tls-enforced",
      verdict: "non-compliant",
      outcome: "alerted",
    });
    expect(deps.notifier.published[0]?.result.finding.summary).toContain("over EFS's limit of 20000");
    expect(await policyOf(seed, fs)).toBe(big);
  });

  it("a policy changed between evaluation and write is re-read and the deny merged into the new one", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const guard = fileSystemGuard();
    const deps = testDeps(ALWAYS);
    const first = await putPolicy(seed, fs, ROLE_ONLY(fs));
    const finding = (
      await guard.assess({ type: "file-system", fileSystemId: fs }, REGION, deps.config, deps.clock)
    ).find((f) => f.control === "efs-tls-enforced");
    expect(finding?.plan?.kind).toBe("put-file-system-policy");
    if (finding?.plan?.kind !== "put-file-system-policy") return;
    expect(finding.plan.basedOn).toBe(first);
    // Someone else adds a statement after the evaluation.
    const concurrent = ROLE_ONLY(fs);
    concurrent.Statement.push({
      Sid: "Backup",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/backup` },
      Action: ["elasticfilesystem:ClientMount"],
      Resource: arnOf(fs),
    });
    await putPolicy(seed, fs, concurrent);
    const outcome = await guard.remediate(finding.plan, REGION, deps.config);
    expect(outcome.status).toBe("done");
    expect(outcome.detail).toContain("changed since the evaluation");
    const written = JSON.parse((await policyOf(seed, fs))!);
    expect(written.Statement.map((s: any) => s.Sid)).toEqual(["AppRole", "Backup", TLS_STATEMENT_SID]);
  });

  it("a policy that meanwhile enforces TLS is left alone (already done)", async () => {
    const seed = new Seeder();
    const fs = await seed.fileSystem();
    const guard = fileSystemGuard();
    const deps = testDeps(ALWAYS);
    const finding = (
      await guard.assess({ type: "file-system", fileSystemId: fs }, REGION, deps.config, deps.clock)
    ).find((f) => f.control === "efs-tls-enforced");
    if (finding?.plan?.kind !== "put-file-system-policy") throw new Error("expected a policy plan");
    const theirs = await putPolicy(seed, fs, {
      Statement: [
        {
          Effect: "Deny",
          Principal: "*",
          Action: "elasticfilesystem:Client*",
          Condition: { BoolIfExists: { "aws:SecureTransport": false } },
        },
      ],
    });
    expect(await guard.remediate(finding.plan, REGION, deps.config)).toMatchObject({ status: "already-done" });
    expect(await policyOf(seed, fs)).toBe(theirs);
  });

  it("the sweep inventory lists every file system of the region", async () => {
    const seed = new Seeder();
    const ids = [await seed.fileSystem(), await seed.fileSystem(), await seed.fileSystem()];
    const triggers = await fileSystemGuard().inventory(REGION, parseConfig({}));
    expect(triggers.map((t) => (t as any).fileSystemId).sort()).toEqual([...ids].sort());
    expect(
      await fileSystemGuard().inventory(
        REGION,
        parseConfig({
          modes: Object.fromEntries(
            ["efs-encrypted-at-rest", "efs-tls-enforced", "efs-backup-enabled", "efs-policy-not-public"].map((c) => [
              c,
              "off",
            ]),
          ),
        }),
      ),
    ).toEqual([]);
  });
});
