import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../emulator/emulator.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import { authorizeIngressEvent, cloudTrailEnvelope, createFileSystemEvent } from "../../events/build.js";
import { runCli, spawnCli } from "../support/cli.js";
import { resetEmulator } from "../support/emulator.js";

/** A group on a mount target with a VPC-internal NFS rule and a world-open one; the event that opened it. */
async function openGroup() {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId);
  const fileSystemId = await seed.fileSystem();
  await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
  const inside = await seed.nfsFrom(groupId, "10.0.0.0/16");
  const open = await seed.nfsFrom(groupId, "0.0.0.0/0");
  const envelope = authorizeIngressEvent({ groupId, ruleId: open, cidr: "0.0.0.0/0" });
  return { seed, groupId, inside, open, envelope, record: envelope.detail };
}

const ruleIds = async (seed: Seeder, groupId: string) =>
  (await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId).sort();

function dir() {
  return mkdtempSync(join(tmpdir(), "efs-guard-replay-"));
}

function write(path: string, value: unknown) {
  writeFileSync(path, typeof value === "string" || Buffer.isBuffer(value) ? value : JSON.stringify(value));
  return path;
}

const lines = (stdout: string) =>
  stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

const unsupported = (groupId: string) =>
  cloudTrailEnvelope({
    eventSource: "ec2.amazonaws.com",
    eventName: "AuthorizeSecurityGroupEgress",
    requestParameters: { groupId },
  }).detail;

const failed = (groupId: string) =>
  authorizeIngressEvent(
    { groupId, ruleId: "sgr-0", cidr: "0.0.0.0/0" },
    { errorCode: "Client.UnauthorizedOperation", errorMessage: "not allowed" },
  ).detail;

describe("efs-guard replay against the emulator", () => {
  beforeEach(resetEmulator);

  it("--dry-run on an EventBridge envelope: would-remediate, state unchanged, exit 0", async () => {
    const { seed, groupId, envelope, open } = await openGroup();
    const before = await ruleIds(seed, groupId);
    const file = write(join(dir(), "event.json"), envelope);
    const run = await runCli(["replay", file, "--dry-run", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("dry run, nothing will be changed");
    expect(run.stderr).toContain("alerts not published");
    const [line, ...rest] = lines(run.stdout);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      file,
      eventId: envelope.detail.eventID,
      eventName: "AuthorizeSecurityGroupIngress",
      eventSource: "ec2.amazonaws.com",
      outcome: "evaluated",
      findings: [
        {
          control: "efs-nfs-ingress-restricted",
          resource: groupId,
          verdict: "non-compliant",
          action: "would-remediate",
          outcome: "would-remediate",
        },
      ],
    });
    expect(line.index).toBeUndefined();
    expect(line.findings[0].detail).toContain(open);
    expect(await ruleIds(seed, groupId)).toEqual(before);
  });

  it("without --dry-run a bare CloudTrail record is acted on: exactly the open rule is revoked", async () => {
    const { seed, groupId, record, inside, open } = await openGroup();
    const file = write(join(dir(), "record.json"), record);
    const run = await runCli(["replay", "--json", file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("acting: controls in remediate mode will remediate");
    const [line] = lines(run.stdout);
    expect(line).toMatchObject({ outcome: "evaluated", findings: [{ action: "remediated", outcome: "remediated" }] });
    expect(line.findings[0].detail).toContain(open);
    expect(await ruleIds(seed, groupId)).toEqual([inside]);

    // Replaying the same record again finds the group compliant: nothing new, no loop.
    const again = await runCli(["replay", "--json", file]);
    expect(lines(again.stdout)[0].findings[0]).toMatchObject({ verdict: "compliant", action: "none" });
  });

  it("a CloudTrail log file, plain and gzip: every record, with its index and the ignore reasons", async () => {
    const { seed, groupId, record, inside } = await openGroup();
    const log = { Records: [unsupported(groupId), failed(groupId), record] };
    const d = dir();
    const plain = write(join(d, "log.json"), log);
    // gzip is recognised by its bytes, not its name
    const gz = write(join(d, "123456789012_CloudTrail_us-east-1_20261126T1200Z_abc"), gzipSync(JSON.stringify(log)));

    const dry = await runCli(["replay", "--dry-run", "--json", gz]);
    expect(dry.code, dry.stderr).toBe(0);
    const got = lines(dry.stdout);
    expect(got.map((l) => [l.index, l.outcome, l.reason ?? null])).toEqual([
      [0, "ignored", "unsupported-event"],
      [1, "ignored", "failed-call"],
      [2, "evaluated", null],
    ]);
    expect(got.every((l) => l.file === gz)).toBe(true);
    expect(got[0].eventName).toBe("AuthorizeSecurityGroupEgress");
    expect(got[2].findings[0].action).toBe("would-remediate");
    expect((await ruleIds(seed, groupId)).length).toBe(2);

    const real = await runCli(["replay", plain]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toContain(
      `${plain} Records[0]: AuthorizeSecurityGroupEgress (ec2.amazonaws.com): ignored (unsupported-event`,
    );
    expect(real.stdout).toContain(
      `${plain} Records[1]: AuthorizeSecurityGroupIngress (ec2.amazonaws.com): ignored (failed-call`,
    );
    expect(real.stdout).toMatch(
      /Records\[2\]: AuthorizeSecurityGroupIngress .*: evaluated\n\s+efs-nfs-ingress-restricted sg-\w+: non-compliant -> remediated/,
    );
    expect(real.stdout.trimEnd().split("\n").at(-1)).toBe(
      "3 record(s) read from 1 file(s): 1 evaluated, 2 ignored (1 failed-call, 1 unsupported-event), 0 failed, " +
        "0 malformed; 1 non-compliant finding(s); actions: 1 remediated",
    );
    expect(await ruleIds(seed, groupId)).toEqual([inside]);
  });

  it("a directory is walked recursively in path order; other files and digest files are left out", async () => {
    const { groupId, envelope, record } = await openGroup();
    const d = dir();
    mkdirSync(join(d, "b", "deeper"), { recursive: true });
    mkdirSync(join(d, "a"));
    write(join(d, "b", "deeper", "2.json.gz"), gzipSync(JSON.stringify({ Records: [record] })));
    write(join(d, "a", "1.json"), envelope);
    write(join(d, "b", "0.json"), unsupported(groupId));
    write(join(d, "a", "notes.txt"), "not an event");
    write(join(d, "b", "digest.json"), { digestStartTime: "2026-11-26T11:00:00Z", logFiles: [] });
    const run = await runCli(["replay", "--dry-run", "--json", d]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`${join(d, "b", "digest.json")}: skipped: a CloudTrail digest file`);
    expect(lines(run.stdout).map((l) => [l.file.slice(d.length + 1), l.outcome])).toEqual([
      ["a/1.json", "evaluated"],
      ["b/0.json", "ignored"],
      ["b/deeper/2.json.gz", "evaluated"],
    ]);
  });

  it("a malformed file and a malformed record are named; the rest still runs; exit 1", async () => {
    const { groupId, envelope, record } = await openGroup();
    const d = dir();
    const broken = write(join(d, "1-broken.json"), '{"Records": [');
    const badGzip = write(join(d, "2-bad.json.gz"), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]));
    const mixed = write(join(d, "3-mixed.json"), {
      Records: [record, 42, { eventSource: "ec2.amazonaws.com", awsRegion: "us-east-1" }],
    });
    write(join(d, "4-good.json"), envelope);
    const run = await runCli(["replay", "--dry-run", "--json", d]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${broken}: malformed: not valid JSON`);
    expect(run.stderr).toContain(`${badGzip}: malformed: gzip data that does not decompress`);
    expect(run.stderr).toContain(`${mixed} Records[1]: malformed: 42 is not an event object`);
    expect(run.stderr).toContain(`${mixed} Records[2]: malformed: eventName or eventSource is missing`);
    const got = lines(run.stdout);
    expect(got.map((l) => [l.file.slice(d.length + 1), l.index ?? null, l.outcome, l.reason ?? null])).toEqual([
      ["1-broken.json", null, "ignored", "malformed"],
      ["2-bad.json.gz", null, "ignored", "malformed"],
      ["3-mixed.json", 0, "evaluated", null],
      ["3-mixed.json", 1, "ignored", "malformed"],
      ["3-mixed.json", 2, "ignored", "malformed"],
      ["4-good.json", null, "evaluated", null],
    ]);
    expect(got[5].findings[0]).toMatchObject({ resource: groupId, action: "would-remediate" });
  });

  it("--topic publishes the alerts to SNS", async () => {
    const { envelope } = await openGroup();
    const sns = new SNSClient({ region: REGION });
    const sqs = new SQSClient({ region: REGION });
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "efs-guard-alerts" }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "alerts" }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: "sqs",
        Endpoint: Attributes!.QueueArn!,
        Attributes: { RawMessageDelivery: "true" },
      }),
    );
    const file = write(join(dir(), "event.json"), envelope);
    const run = await runCli(["replay", "--dry-run", "--topic", TopicArn!, file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`alerts published to ${TopicArn}`);
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"] }),
    );
    expect(received.Messages).toHaveLength(1);
    expect(received.Messages![0]!.MessageAttributes?.outcome?.StringValue).toBe("would-remediate");
  });

  it("usage errors exit 2 before anything runs: unknown option, no input, missing or dangling path, bad topic", async () => {
    const d = dir();
    const unknown = await runCli(["replay", "--dryrun", d]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--dryrun'");
    expect(unknown.stderr).toContain("efs-guard replay --help");

    const none = await runCli(["replay", "--dry-run"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no input: give one or more event files or directories");

    const missing = await runCli(["replay", join(d, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no such file or directory: ${join(d, "nope.json")}`);

    const dangling = join(d, "dangling.json");
    symlinkSync(join(d, "gone.json"), dangling);
    const unreadable = await runCli(["replay", dangling]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain(dangling);

    const empty = await runCli(["replay", d]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`no event files (*.json, *.json.gz) under ${d}`);

    const topic = await runCli(["replay", "--topic", "alerts", dangling]);
    expect(topic.code).toBe(2);
    expect(topic.stderr).toContain("not an SNS topic ARN: alerts");

    const both = await runCli(["replay", "--quiet", "--only-evaluated", d]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--quiet prints no event and --only-evaluated prints some: give one of them");

    const machine = await runCli(["replay", "--state-machine", "efs-guard-migration", dangling]);
    expect(machine.code).toBe(2);
    expect(machine.stderr).toContain("not a Step Functions state machine ARN: efs-guard-migration");

    const help = await runCli(["replay", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: efs-guard replay");
  });

  it("as a subprocess: acts for real, then stops with exit 2 when AWS cannot be reached", async () => {
    const { seed, groupId, envelope, inside } = await openGroup();
    const d = dir();
    const file = write(join(d, "event.json"), envelope);
    const ok = await spawnCli(["replay", "--json", file], {});
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout.trim()).findings[0].action).toBe("remediated");
    expect(await ruleIds(seed, groupId)).toEqual([inside]);

    const second = write(join(d, "event2.json"), envelope);
    const port = await freePort();
    const down = await spawnCli(["replay", "--json", file, second], { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    expect(down.code).toBe(2);
    expect(down.stderr).toContain(`cannot reach AWS at http://127.0.0.1:${port}: `);
    expect(down.stderr).toContain("check AWS_ENDPOINT_URL / network / credentials");
    expect(down.stderr).toContain(`stopped at ${file}; nothing after it was replayed`);
    const out = down.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ file, outcome: "failed", error: { code: "ECONNREFUSED" } });
  });
  it("--quiet and --only-evaluated keep a long trail readable; the summary counts ignored by reason and actions", async () => {
    const { groupId, record } = await openGroup();
    const records = [unsupported(groupId), failed(groupId), record, unsupported(groupId)];
    const file = write(join(dir(), "trail.json"), { Records: records });
    const summary =
      "4 record(s) read from 1 file(s): 1 evaluated, 3 ignored (2 unsupported-event, 1 failed-call), 0 failed, " +
      "0 malformed; 1 non-compliant finding(s); actions: 1 would-remediate";
    const quiet = await runCli(["replay", "--dry-run", "--quiet", file]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe(`${summary}\n`);
    const only = await runCli(["replay", "--dry-run", "--only-evaluated", file]);
    expect(only.code).toBe(0);
    const out = only.stdout.trimEnd().split("\n");
    expect(out[0]).toBe(`${file} Records[2]: AuthorizeSecurityGroupIngress (ec2.amazonaws.com): evaluated`);
    expect(out[1]).toMatch(/^ {2}efs-nfs-ingress-restricted sg-\w+: non-compliant -> would-remediate: dry run: /);
    expect(out.slice(2)).toEqual(["", summary]);
    expect(only.stdout).not.toContain("): ignored (");
    // --json keeps stdout one event per line: the summary goes to stderr.
    const json = await runCli(["replay", "--dry-run", "--only-evaluated", "--json", file]);
    expect(lines(json.stdout).map((l) => l.outcome)).toEqual(["evaluated"]);
    expect(json.stderr.trimEnd().split("\n").at(-1)).toBe(`efs-guard replay: ${summary}`);
  });

  it("--dry-run says a migration would fail when the workflow is not deployed; --state-machine names one", async () => {
    const seed = new Seeder();
    const fileSystemId = await seed.fileSystem({ tags: { Name: "plain" } });
    const event = createFileSystemEvent({ fileSystemId, encrypted: false });
    const file = write(join(dir(), "create.json"), event);
    const run = await runCli(["replay", "--dry-run", file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("migration workflow not deployed in us-east-1 (no state machine efs-guard-migration)");
    expect(run.stdout).toMatch(
      new RegExp(
        `efs-encrypted-at-rest ${fileSystemId}: non-compliant -> would-remediate: dry run: would start the migration workflow .*; the real run would fail: migration workflow not deployed in us-east-1 \\(no state machine efs-guard-migration\\); pass --state-machine ARN or deploy the stack`,
      ),
    );
    expect(run.stdout.trimEnd().split("\n").at(-1)).toMatch(
      /; 1 would fail for real \(migration workflow not deployed\)$/,
    );
    // And the real run does fail, as the dry run said.
    const real = await runCli(["replay", file]);
    expect(real.code).toBe(1);
    expect(real.stdout).toMatch(
      new RegExp(
        `efs-encrypted-at-rest ${fileSystemId}: non-compliant -> failed: remediation failed: the migration workflow is not deployed`,
      ),
    );
    // A named workflow is what a real run would start: the dry run then has nothing to warn about.
    const arn = "arn:aws:states:us-east-1:123456789012:stateMachine:efs-guard-migration";
    const named = await runCli(["replay", "--dry-run", "--state-machine", arn, file]);
    expect(named.code).toBe(0);
    expect(named.stderr).toContain(`migration workflow ${arn}`);
    expect(named.stdout).not.toContain("would fail");
  });
});
