import {
  CreateReplicationConfigurationCommand,
  type EFSClient,
  UpdateFileSystemProtectionCommand,
} from "@aws-sdk/client-efs";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { Seeder } from "../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { createReplicationConfigurationEvent } from "../../events/build.js";
import { efsClient } from "../../shared/aws/efs.js";
import { efsAccessGuard } from "../../shared/guards/efs-access.js";
import { allGuards } from "../../shared/guards/index.js";
import { processEvent } from "../../shared/pipeline/run.js";
import { sweepRegion } from "../../shared/pipeline/sweep.js";
import { testDeps } from "../support/deps.js";
import { resetEmulator } from "../support/emulator.js";

const ENTRY = "functions/efs-access/handler.ts";
const CONTROL = "efs-replica-encrypted";
const ACCOUNT = "123456789012";
const WEST = "us-west-2";

type Alert = { message: any; attributes: Record<string, string> };
const ofControl = (alerts: Alert[]) => alerts.filter((a) => a.attributes.control === CONTROL);

/** A source in us-east-1 replicated to a new file system in us-west-2 (with that region's key, or EFS's default). */
async function replicated(options: { westKey?: boolean; tags?: Record<string, string> } = {}) {
  const seed = new Seeder();
  const source = await seed.fileSystem({ encrypted: true, ...(options.tags ? { tags: options.tags } : {}) });
  const westKey = options.westKey
    ? (await new KMSClient({ region: WEST }).send(new CreateKeyCommand({}))).KeyMetadata!.Arn!
    : undefined;
  const out = await seed.efs.send(
    new CreateReplicationConfigurationCommand({
      SourceFileSystemId: source,
      Destinations: [{ Region: WEST, ...(westKey ? { KmsKeyId: westKey } : {}) }],
    }),
  );
  return { seed, source, destination: out.Destinations![0]!.FileSystemId!, westKey };
}

let template: CfnTemplate;
beforeAll(() => {
  // us-west-2 guarded: the roles' region fence denies every call in a region the deployment does not guard.
  template = synthTemplate({ modes: { "efs-tls-enforced": "alert" }, regions: [WEST] });
});

describe("efs-replica-encrypted end to end: CreateReplicationConfiguration -> rule -> efs-access function -> alert", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });

  it("a replica on a customer managed key in its region: compliant, no alert; 3 reads (source region, then replica's)", async () => {
    const r = await replicated({ westKey: true });
    await host.putEvents([
      createReplicationConfigurationEvent(r.source, { region: WEST, fileSystemId: r.destination }),
    ]);
    const invocations = await host.drain();
    expect(invocations.map((i) => [i.entry, i.error])).toEqual([[ENTRY, undefined]]);
    expect(await host.alerts()).toEqual([]);
    const fn = invocations[0]!.function;
    const calls = host.recorder.calls.filter((c) => c.function === fn).map((c) => `${c.region}:${c.operation}`);
    expect(calls).toEqual([
      "us-east-1:DescribeReplicationConfigurations",
      `${WEST}:DescribeFileSystems`,
      `${WEST}:DescribeKey`,
    ]);
  });

  it("a replica on the AWS managed key while requireCustomerManagedKey: high alert naming the replica and its region", async () => {
    const r = await replicated();
    await host.putEvents([
      createReplicationConfigurationEvent(r.source, { region: WEST, fileSystemId: r.destination }),
    ]);
    expect((await host.drain()).map((i) => i.error)).toEqual([undefined]);
    const alerts = ofControl(await host.alerts());
    expect(alerts.map((a) => a.attributes)).toEqual([{ control: CONTROL, severity: "high", outcome: "alerted" }]);
    const description = alerts[0]!.message.content.description;
    expect(description).toContain(`${r.destination} in ${WEST} is encrypted with the AWS managed key`);
    expect(description).toContain(r.source);
  });

  it("a forged event naming an encrypted destination: the real replication is read, and its replica alerted", async () => {
    const r = await replicated();
    await host.putEvents([
      createReplicationConfigurationEvent(r.source, {
        region: "eu-west-1",
        fileSystemId: "fs-0fedcba9876543210",
        kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      }),
    ]);
    expect((await host.drain()).map((i) => i.error)).toEqual([undefined]);
    const alerts = ofControl(await host.alerts());
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.message.content.description).toContain(`${r.destination} in ${WEST}`);
    expect(alerts[0]!.message.content.description).not.toContain("fs-0fedcba9876543210");
  });
});

describe("efs-replica-encrypted: a replica outside the guarded regions", () => {
  let unguarded: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    unguarded = await FunctionHost.deploy(synthTemplate({ modes: { "efs-tls-enforced": "alert" } }), {
      env: { LOG_LEVEL: "WARN" },
    });
  });

  it("a replica in a region the deployment does not guard cannot be verified (the region fence): medium, never assumed", async () => {
    const r = await replicated({ westKey: true });
    await unguarded.putEvents([
      createReplicationConfigurationEvent(r.source, { region: WEST, fileSystemId: r.destination }),
    ]);
    expect((await unguarded.drain()).map((i) => i.error)).toEqual([undefined]);
    const alerts = ofControl(await unguarded.alerts());
    expect(alerts.map((a) => a.attributes)).toEqual([{ control: CONTROL, severity: "medium", outcome: "alerted" }]);
    expect(alerts[0]!.message.content.description).toContain(
      `${r.destination} in ${WEST} cannot be verified: ${WEST} is not among the guarded regions (add it to `,
    );
  });
});

describe("efs-replica-encrypted: unencrypted replicas, exemptions, sweep (same pipeline, in process)", () => {
  beforeEach(resetEmulator);

  it("an unencrypted source replicated to an existing unencrypted file system: critical", async () => {
    // EFS refuses an encrypted source to an unencrypted destination, and creates every new destination encrypted;
    // an existing unencrypted file system can still receive an unencrypted source's replica.
    const seed = new Seeder();
    const source = await seed.fileSystem({ encrypted: false });
    const west = new Seeder(WEST);
    const target = await west.fileSystem({ encrypted: false });
    await west.efs.send(
      new UpdateFileSystemProtectionCommand({ FileSystemId: target, ReplicationOverwriteProtection: "DISABLED" }),
    );
    await seed.efs.send(
      new CreateReplicationConfigurationCommand({
        SourceFileSystemId: source,
        Destinations: [{ Region: WEST, FileSystemId: target }],
      }),
    );
    const deps = testDeps({ regions: [WEST] });
    const report = await processEvent(
      createReplicationConfigurationEvent(source, { region: WEST, fileSystemId: target }),
      efsAccessGuard(),
      deps,
    );
    expect(report.findings.map((f) => [f.control, f.verdict, f.outcome])).toEqual([
      [CONTROL, "non-compliant", "alerted"],
    ]);
    const { finding } = deps.notifier.published[0]!.result;
    expect(finding.severity).toBe("critical");
    expect(finding.summary).toContain(`${target} in ${WEST} is not encrypted at rest`);
  });

  it("with requireCustomerManagedKey false, the AWS managed key is enough; the source's exemption tag is honoured", async () => {
    const r = await replicated({ tags: { "efs-guard:exempt": CONTROL, "efs-guard:exempt-until": "2027-01-31" } });
    const event = createReplicationConfigurationEvent(r.source, { region: WEST, fileSystemId: r.destination });
    const relaxed = await processEvent(
      event,
      efsAccessGuard(),
      testDeps({ requireCustomerManagedKey: false, regions: [WEST] }),
    );
    expect(relaxed.findings.map((f) => [f.control, f.verdict])).toEqual([[CONTROL, "compliant"]]);
    const exempt = await processEvent(event, efsAccessGuard(), testDeps({ regions: [WEST] }));
    expect(exempt.findings.map((f) => [f.control, f.verdict, f.outcome])).toEqual([
      [CONTROL, "non-compliant", "exempt"],
    ]);
  });

  it("sweep and scan: one DescribeReplicationConfigurations for the region, a finding only for what replicates", async () => {
    const r = await replicated();
    const alone = await new Seeder().fileSystem({ encrypted: true });
    const efs: EFSClient = efsClient("us-east-1");
    const listings: string[] = [];
    efs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "DescribeReplicationConfigurationsCommand") {
          listings.push(String((args.input as { FileSystemId?: string }).FileSystemId ?? "(all)"));
        }
        return next(args);
      },
      { step: "initialize", name: "count-replications" },
    );
    let report: Awaited<ReturnType<typeof sweepRegion>>;
    try {
      report = await sweepRegion(allGuards(), "us-east-1", testDeps({ dryRun: true, regions: [WEST] }), {
        account: ACCOUNT,
      });
    } finally {
      efs.middlewareStack.remove("count-replications");
    }
    expect(report.errors).toEqual([]);
    expect(listings).toEqual(["(all)"]);
    const findings = report.results.filter((x) => x.finding.control === CONTROL);
    expect(findings.map((x) => [x.finding.resource.id, x.finding.verdict, x.finding.severity])).toEqual([
      [r.source, "non-compliant", "high"],
    ]);
    expect(findings.some((x) => x.finding.resource.id === alone)).toBe(false);
  });
});
