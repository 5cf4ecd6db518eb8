import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudTrailClient,
  CreateTrailCommand,
  GetEventSelectorsCommand,
  PutEventSelectorsCommand,
  StartLoggingCommand,
} from "@aws-sdk/client-cloudtrail";
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { CreateDetectorCommand, GuardDutyClient, UpdateDetectorCommand } from "@aws-sdk/client-guardduty";
import { CreateKeyCommand, DisableKeyCommand, EnableKeyRotationCommand, KMSClient } from "@aws-sdk/client-kms";
import { beforeEach, describe, expect, inject, it, vi } from "vitest";
import { doctor } from "../../bin/commands/doctor.js";
import { freePort } from "../../emulator/emulator.js";
import { motoCall } from "../../emulator/moto-call.js";
import { PROJECT_ROOT } from "../../emulator/venv.js";
import { type CheckResult, runDoctor } from "../../shared/aws/doctor.js";
import { resetEmulator } from "../support/emulator.js";

const HOME = "us-east-1";
const OTHER = "eu-west-1";

async function bucket(name: string) {
  // A path-style PUT as the emulator's administrator (IAM is enforced: an unsigned call is refused, as on AWS); the
  // SDK's S3 client is not a dependency of the project.
  await motoCall(inject("emulatorEndpoint"), "s3", HOME, "PUT", `/${name}`, "", "application/xml");
}

async function trail(region: string, name: string, options: { multiRegion?: boolean; logging?: boolean } = {}) {
  await bucket(`trail-${name.toLowerCase()}`);
  const ct = new CloudTrailClient({ region });
  await ct.send(
    new CreateTrailCommand({
      Name: name,
      S3BucketName: `trail-${name.toLowerCase()}`,
      IsMultiRegionTrail: options.multiRegion ?? true,
    }),
  );
  if (options.logging ?? true) await ct.send(new StartLoggingCommand({ Name: name }));
  return ct;
}

async function key(options: { rotation?: boolean; policy?: string } = {}) {
  const kms = new KMSClient({ region: HOME });
  const out = await kms.send(
    new CreateKeyCommand({ Description: "efs migrations", ...(options.policy ? { Policy: options.policy } : {}) }),
  );
  const meta = out.KeyMetadata!;
  if (options.rotation ?? true) await kms.send(new EnableKeyRotationCommand({ KeyId: meta.KeyId }));
  return { kms, arn: meta.Arn!, id: meta.KeyId! };
}

const row = (results: CheckResult[], check: string, region = HOME) => {
  const r = results.find((x) => x.check === check && x.region === region);
  if (!r) throw new Error(`no ${check} row for ${region}: ${JSON.stringify(results)}`);
  return r;
};

beforeEach(resetEmulator);

describe("efs-guard doctor against the emulator", () => {
  it("passes with a logging multi-region trail, a good key and no deployment (reported, not failed)", async () => {
    await trail(HOME, "org-trail");
    const { arn } = await key();
    const results = await runDoctor({ regions: [HOME, OTHER], kmsKeyArn: arn, stackName: "EfsGuard" });
    expect(row(results, "credentials")).toMatchObject({
      status: "pass",
      detail: expect.stringMatching(/^account \d{12} as arn:/),
    });
    // The trail is homed in us-east-1 and covers eu-west-1 as a shadow trail.
    expect(row(results, "cloudtrail trail")).toMatchObject({
      status: "pass",
      detail: expect.stringContaining("org-trail"),
    });
    expect(row(results, "cloudtrail trail", OTHER)).toMatchObject({ status: "pass" });
    expect(row(results, "migration key (kmsKeyArn)")).toMatchObject({ status: "pass" });
    expect(row(results, "migration key (regionKmsKeyArns)", OTHER)).toMatchObject({
      status: "info",
      detail: "not configured: the forwarder stack EfsGuardForwarder-eu-west-1 creates one (alias/efs-guard-migration)",
    });
    expect(row(results, "deployed stack")).toMatchObject({
      status: "info",
      detail: expect.stringContaining("not deployed"),
    });
    expect(row(results, "deployed forwarder", OTHER)).toMatchObject({ status: "info" });
    expect(results.some((r) => r.status === "fail")).toBe(false);
  });

  it("fails without a trail, and for a region that only a single-region trail elsewhere records", async () => {
    let results = await runDoctor({ regions: [HOME], stackName: "EfsGuard" });
    expect(row(results, "cloudtrail trail")).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/^no trail records us-east-1/),
    });
    await trail(HOME, "local-trail", { multiRegion: false });
    results = await runDoctor({ regions: [HOME, OTHER], stackName: "EfsGuard" });
    expect(row(results, "cloudtrail trail")).toMatchObject({ status: "pass" });
    expect(row(results, "cloudtrail trail", OTHER)).toMatchObject({ status: "fail" });
  });

  it("fails for a trail that is not logging", async () => {
    await trail(HOME, "stopped-trail", { logging: false });
    const results = await runDoctor({ regions: [HOME], stackName: "EfsGuard" });
    expect(row(results, "cloudtrail trail")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("stopped-trail is not logging"),
    });
  });

  it("fails for read-only selectors and names a source excluded by advanced selectors", async () => {
    const ct = await trail(HOME, "readonly-trail");
    await ct.send(
      new PutEventSelectorsCommand({
        TrailName: "readonly-trail",
        EventSelectors: [{ ReadWriteType: "ReadOnly", IncludeManagementEvents: true }],
      }),
    );
    let results = await runDoctor({ regions: [HOME], stackName: "EfsGuard" });
    expect(row(results, "cloudtrail trail")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("records no management write events"),
    });

    await ct.send(
      new PutEventSelectorsCommand({
        TrailName: "readonly-trail",
        AdvancedEventSelectors: [
          {
            Name: "management without KMS",
            FieldSelectors: [
              { Field: "eventCategory", Equals: ["Management"] },
              { Field: "eventSource", NotEquals: ["kms.amazonaws.com"] },
            ],
          },
        ],
      }),
    );
    results = await runDoctor({ regions: [HOME], stackName: "EfsGuard" });
    expect(row(results, "cloudtrail trail")).toMatchObject({
      status: "fail",
      detail: "no logging trail records write management events of kms.amazonaws.com",
    });
  });

  it("fails a key without rotation, a disabled key, and a key policy that does not let EFS and Backup use it", async () => {
    await trail(HOME, "org-trail");
    const noRotation = await key({ rotation: false });
    let results = await runDoctor({ regions: [HOME], kmsKeyArn: noRotation.arn, stackName: "EfsGuard" });
    expect(row(results, "migration key (kmsKeyArn)")).toMatchObject({
      status: "fail",
      detail: "automatic rotation is off",
    });

    const disabled = await key();
    await disabled.kms.send(new DisableKeyCommand({ KeyId: disabled.id }));
    results = await runDoctor({ regions: [HOME], kmsKeyArn: disabled.arn, stackName: "EfsGuard" });
    expect(row(results, "migration key (kmsKeyArn)").detail).toContain("state is Disabled, not Enabled");

    // A configured key of another region is checked in that region.
    const otherKms = new KMSClient({ region: OTHER });
    const regional = (await otherKms.send(new CreateKeyCommand({ Description: "eu migrations" }))).KeyMetadata!;
    results = await runDoctor({
      regions: [HOME, OTHER],
      regionKmsKeyArns: { [OTHER]: regional.Arn! },
      stackName: "EfsGuard",
    });
    expect(row(results, "migration key (regionKmsKeyArns)", OTHER)).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("automatic rotation is off"),
    });
    await otherKms.send(new EnableKeyRotationCommand({ KeyId: regional.KeyId }));
    results = await runDoctor({
      regions: [HOME, OTHER],
      regionKmsKeyArns: { [OTHER]: regional.Arn! },
      stackName: "EfsGuard",
    });
    expect(row(results, "migration key (regionKmsKeyArns)", OTHER)).toMatchObject({ status: "pass" });

    const narrow = await key({
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::123456789012:root" },
            Action: "kms:*",
            Resource: "*",
            Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
          },
        ],
      }),
    });
    results = await runDoctor({ regions: [HOME], kmsKeyArn: narrow.arn, stackName: "EfsGuard" });
    const detail = row(results, "migration key (kmsKeyArn)").detail;
    expect(detail).toContain("does not let EFS use the key");
    expect(detail).toContain("does not let AWS Backup use the key");

    results = await runDoctor({
      regions: [HOME],
      kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
      stackName: "EfsGuard",
    });
    expect(row(results, "migration key (kmsKeyArn)")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("NotFoundException"),
    });
  });

  it("checks a deployed stack's rules: enabled, with a dead-letter queue on every target", async () => {
    await trail(HOME, "org-trail");
    const events = new EventBridgeClient({ region: HOME });
    const pattern = JSON.stringify({ source: ["aws.ec2"] });
    await events.send(new PutRuleCommand({ Name: "EfsGuard-NfsIngressRule0-ABC", EventPattern: pattern }));
    await events.send(
      new PutTargetsCommand({
        Rule: "EfsGuard-NfsIngressRule0-ABC",
        Targets: [
          {
            Id: "Target0",
            Arn: "arn:aws:lambda:us-east-1:123456789012:function:f",
            DeadLetterConfig: { Arn: "arn:aws:sqs:us-east-1:123456789012:dlq" },
          },
        ],
      }),
    );
    let results = await runDoctor({ regions: [HOME], stackName: "EfsGuard" });
    expect(row(results, "deployed stack")).toMatchObject({
      status: "pass",
      detail: expect.stringMatching(/^1 rules of EfsGuard/),
    });

    await events.send(new PutRuleCommand({ Name: "EfsGuard-NfsIngressRule1-DEF", EventPattern: pattern }));
    await events.send(
      new PutTargetsCommand({
        Rule: "EfsGuard-NfsIngressRule1-DEF",
        Targets: [{ Id: "Target0", Arn: "arn:aws:lambda:us-east-1:123456789012:function:f" }],
      }),
    );
    results = await runDoctor({ regions: [HOME], stackName: "EfsGuard" });
    expect(row(results, "deployed stack")).toMatchObject({
      status: "fail",
      detail: "EfsGuard-NfsIngressRule1-DEF target Target0 has no dead-letter queue",
    });
  });

  it("the command prints a table and exits 0 when all pass, 1 when one fails", async () => {
    const dir = mkdtempSync(join(tmpdir(), "efs-guard-doctor-"));
    const config = join(dir, "cdk.json");
    writeFileSync(config, JSON.stringify({ context: { efsGuard: { regions: [OTHER] } } }));
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const io = { out: (t: string) => console.log(t), err: (t: string) => console.error(t) };
    try {
      expect(await doctor.run(["--region", HOME, "--config", config], io)).toBe(1);
      expect(log.mock.calls.at(-1)?.[0]).toMatch(/^status\s+check\s+region\s+detail\nPASS\s+credentials\s+us-east-1/);
      expect(log.mock.calls.at(-1)?.[0]).toMatch(/FAIL\s+cloudtrail trail\s+eu-west-1\s+no trail records eu-west-1/);
      await trail(HOME, "org-trail");
      expect(await doctor.run(["--region", HOME, "--config", config, "--json"], io)).toBe(0);
      const rows = JSON.parse(log.mock.calls.at(-1)?.[0]) as CheckResult[];
      expect(rows.map((r) => `${r.status} ${r.check} ${r.region}`)).toEqual([
        "pass credentials us-east-1",
        "pass cloudtrail trail us-east-1",
        "pass cloudtrail kms reads us-east-1",
        "pass cloudtrail trail eu-west-1",
        "pass cloudtrail kms reads eu-west-1",
        // GuardDuty off warns, with the command; it does not fail the run (exit 0).
        "warn guardduty us-east-1",
        "warn guardduty eu-west-1",
        "info migration key (kmsKeyArn) us-east-1",
        "info migration key (regionKmsKeyArns) eu-west-1",
        "info deployed stack us-east-1",
        "info deployed forwarder eu-west-1",
      ]);
    } finally {
      log.mockRestore();
    }
  });
});

describe("efs-guard doctor as a process: errors exit 2 with a clear message", () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/efs-guard.mjs"), "doctor", ...args], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      env: { ...process.env, NODE_NO_WARNINGS: "1", ...env },
      timeout: 60_000,
    });

  it("refuses unknown options and a bad region", () => {
    let run = cli(["--bogus"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("efs-guard doctor: Unknown option '--bogus'");
    run = cli(["--region", "Europe"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--region (got "Europe"): an AWS region name');
  });

  it("refuses an invalid configuration file, naming the key", () => {
    const dir = mkdtempSync(join(tmpdir(), "efs-guard-doctor-"));
    writeFileSync(join(dir, "cdk.json"), JSON.stringify({ context: { efsGuard: { kmsKeyArn: "alias/x" } } }));
    const run = cli(["--region", HOME, "--config", join(dir, "cdk.json")]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('kmsKeyArn (got "alias/x"): a KMS key ARN');
  });

  it("exits 2 and says so when the endpoint cannot be reached", async () => {
    const port = await freePort();
    const run = cli(["--region", HOME], { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`cannot reach AWS \\(http://127\\.0\\.0\\.1:${port}\\): .*ECONNREFUSED`));
  });
});

describe("efs-guard doctor: KMS read events and GuardDuty", () => {
  it("warns when the trail excludes KMS events, with a fix that, applied as printed, makes it pass", async () => {
    const ct = await trail(HOME, "no-kms-trail");
    const data = {
      ReadWriteType: "All" as const,
      IncludeManagementEvents: false,
      DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3"] }],
    };
    await ct.send(
      new PutEventSelectorsCommand({
        TrailName: "no-kms-trail",
        EventSelectors: [
          { ReadWriteType: "All", IncludeManagementEvents: true, ExcludeManagementEventSources: ["kms.amazonaws.com"] },
          data,
        ],
      }),
    );
    let results = await runDoctor({ regions: [HOME, OTHER], stackName: "EfsGuard" });
    // EFS Guard still gets the write events of EC2 and EFS, but not KMS's: the trail row fails, the audit row warns.
    expect(row(results, "cloudtrail trail").status).toBe("fail");
    for (const region of [HOME, OTHER]) {
      expect(row(results, "cloudtrail kms reads", region)).toMatchObject({
        status: "warn",
        detail: expect.stringContaining("no-kms-trail does not record KMS read events"),
      });
    }
    const detail = row(results, "cloudtrail kms reads").detail;
    const fix = detail.slice(detail.indexOf("fix: ") + 5);
    expect(fix).toMatch(
      /^aws cloudtrail put-event-selectors --trail-name 'arn:aws:cloudtrail:us-east-1:\d{12}:trail\/no-kms-trail' --region us-east-1 --event-selectors '/,
    );
    const selectors = JSON.parse(fix.slice(fix.indexOf("--event-selectors '") + 19, -1));
    await new CloudTrailClient({ region: HOME }).send(
      new PutEventSelectorsCommand({ TrailName: "no-kms-trail", EventSelectors: selectors }),
    );
    results = await runDoctor({ regions: [HOME, OTHER], stackName: "EfsGuard" });
    expect(row(results, "cloudtrail kms reads")).toMatchObject({
      status: "pass",
      detail: expect.stringContaining("no-kms-trail"),
    });
    expect(row(results, "cloudtrail kms reads", OTHER)).toMatchObject({ status: "pass" });
    expect(row(results, "cloudtrail trail")).toMatchObject({ status: "pass" });
    // The data-event selector is still there.
    const after = await new CloudTrailClient({ region: HOME }).send(
      new GetEventSelectorsCommand({ TrailName: "no-kms-trail" }),
    );
    expect(after.EventSelectors?.[1]).toMatchObject(data);
  });

  it("warns where GuardDuty is off or its detector disabled, with the command; passes where it is enabled", async () => {
    await trail(HOME, "org-trail");
    let results = await runDoctor({ regions: [HOME, OTHER], stackName: "EfsGuard" });
    expect(row(results, "guardduty")).toEqual({
      check: "guardduty",
      region: HOME,
      status: "warn",
      detail: "GuardDuty is off (no detector); fix: aws guardduty create-detector --enable --region us-east-1",
    });
    expect(row(results, "guardduty", OTHER).status).toBe("warn");

    const home = new GuardDutyClient({ region: HOME });
    const { DetectorId } = await home.send(new CreateDetectorCommand({ Enable: true }));
    results = await runDoctor({ regions: [HOME, OTHER], stackName: "EfsGuard" });
    expect(row(results, "guardduty")).toMatchObject({ status: "pass", detail: `detector ${DetectorId} enabled` });
    expect(row(results, "guardduty", OTHER).detail).toContain("--region eu-west-1");

    await home.send(new UpdateDetectorCommand({ DetectorId, Enable: false }));
    results = await runDoctor({ regions: [HOME], stackName: "EfsGuard" });
    expect(row(results, "guardduty")).toMatchObject({
      status: "warn",
      detail: `detector ${DetectorId} is DISABLED; fix: aws guardduty update-detector --detector-id ${DetectorId} --enable --region us-east-1`,
    });
    // Warnings do not fail the run.
    expect(results.some((r) => r.status === "fail")).toBe(false);
  });
});
