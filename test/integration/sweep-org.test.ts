import { PutBackupPolicyCommand, PutFileSystemPolicyCommand } from "@aws-sdk/client-efs";
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { LambdaHost } from "../../emulator/lambda-host.js";
import { Seeder } from "../../emulator/seed.js";
import { synthTemplate } from "../../emulator/template.js";
import { CONTROL_IDS } from "../../shared/config/controls.js";
import { consoleDefaultPolicy } from "../../shared/controls/policy.js";
import { mapLimit } from "../../shared/pipeline/concurrency.js";
import type { AccountTally, SweepSummary } from "../../shared/pipeline/sweep.js";
import { configureEmulator, resetEmulator } from "../support/emulator.js";
import { inAccount, memberPolicyFrom, memberRoleIn, organization } from "../support/organization.js";
import { maxOverlap } from "../support/overlap.js";

/**
 * Issue 13: the organization sweep on the emulator. 50 member accounts x 2 regions are the items of the synthesized
 * efs-guard-sweep Distributed Map (moto's Step Functions runs it), each child the deployed sweep bundle in its
 * Node.js 24 sandbox under the sweep function's role (IAM enforced), acting in its member through the member role
 * (the StackSet's policy; AssumeRole checks the trust, emulator/patches/sts_assume_role_trust.py). One member has
 * no role. Every member holds one file system per region in a known state: the summary's counts per account and
 * control must equal it exactly, and at most CONCURRENCY children may run at once (measured). The items and the
 * results go through the hub's runs bucket (the Map's ItemReader and ResultWriter; test/integration/sweep-org-s3.test.ts
 * takes them past 256 KiB).
 */
const HUB = "123456789012";
const MEMBERS = 50;
const CONCURRENCY = 5;
const REGIONS = ["us-east-1", "us-west-2"] as const;
const SWEEP = "functions/sweep/handler.ts";
/** The member whose StackSet instance never deployed: no role. */
const ROLELESS = 17;
/** Two controls on, the rest off: each seeded file system has exactly one outcome per control. */
const BACKUP = "efs-backup-enabled";
const TLS = "efs-tls-enforced";

let host: FunctionHost;
let lambdas: LambdaHost;
let members: string[];
let organizationId: string;
const sfn = new SFNClient({ region: "us-east-1" });

/** Member i in us-east-1: backups on for even i, the TLS deny for i divisible by 3; in us-west-2: backups off, TLS. */
function seededState(i: number, region: (typeof REGIONS)[number]) {
  return region === "us-east-1" ? { backup: i % 2 === 0, tls: i % 3 === 0 } : { backup: false, tls: true };
}

async function seedRegion(account: string, region: (typeof REGIONS)[number], state: { backup: boolean; tls: boolean }) {
  const seed = new Seeder(region);
  inAccount(seed.efs, account);
  const FileSystemId = await seed.fileSystem({ encrypted: true });
  await seed.efs.send(
    new PutBackupPolicyCommand({ FileSystemId, BackupPolicy: { Status: state.backup ? "ENABLED" : "DISABLED" } }),
  );
  if (state.tls) {
    const arn = `arn:aws:elasticfilesystem:${region}:${account}:file-system/${FileSystemId}`;
    await seed.efs.send(
      new PutFileSystemPolicyCommand({ FileSystemId, Policy: JSON.stringify(consoleDefaultPolicy(arn)) }),
    );
  }
}

/** What the summary must say for one member: one file system per region, one outcome per control each. */
function expectedTally(i: number): AccountTally {
  const counts: AccountTally["counts"] = {};
  let nonCompliant = 0;
  for (const region of REGIONS) {
    const state = seededState(i, region);
    for (const [control, ok] of [
      [BACKUP, state.backup],
      [TLS, state.tls],
    ] as const) {
      const outcome = ok ? "compliant" : "alerted";
      const perControl = counts[control] ?? {};
      counts[control] = perControl;
      perControl[outcome] = (perControl[outcome] ?? 0) + 1;
      if (!ok) nonCompliant += 1;
    }
  }
  return { counts, nonCompliant, remediated: 0, failed: 0, errors: 0 };
}

beforeAll(async () => {
  const started = Date.now();
  await resetEmulator();
  await configureEmulator({ stepfunctions: { execute_state_machine: true } });
  const org = await organization(Array.from({ length: MEMBERS }, (_, i) => `member-${i}`));
  organizationId = org.id;
  members = org.members;
  const modes = Object.fromEntries(CONTROL_IDS.map((c) => [c, "off"]));
  const template = synthTemplate(
    {
      observeDays: 0,
      alertDedupWindowMinutes: 0,
      regions: ["us-west-2"],
      modes: { ...modes, [BACKUP]: "alert", [TLS]: "alert" },
      organization: { organizationId, organizationalUnitIds: ["ou-ab12-11112222"], sweepConcurrency: CONCURRENCY },
    },
    { region: "us-east-1" },
  );
  const fn = Object.values(template.Resources).find((r: any) => r.Metadata?.EfsGuardEntry === SWEEP) as any;
  const sweepRole = `arn:aws:iam::${HUB}:role/${fn.Properties.Role["Fn::GetAtt"][0]}`;
  const policyFor = memberPolicyFrom(template, HUB, "us-east-1");
  host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  lambdas = await LambdaHost.deploy(template, {
    topicArn: host.alertsTopicArn,
    region: "us-east-1",
    stateMachines: ["SweepSplit"],
  });
  // Seeded in parallel, a few calls per account and region (the emulator answers them independently).
  await mapLimit(members, 8, async (account, i) => {
    if (i !== ROLELESS) {
      await memberRoleIn(account, { principals: [sweepRole], organizationId, policy: policyFor(account) });
    }
    for (const region of REGIONS) await seedRegion(account, region, seededState(i, region));
  });
  process.stderr.write(
    `sweep-org: seeded ${MEMBERS} members x ${REGIONS.length} regions in ${Date.now() - started} ms\n`,
  );
}, 900_000);

afterAll(async () => {
  await configureEmulator({ stepfunctions: { execute_state_machine: false } });
  await lambdas?.stop();
  await host?.stop();
});

describe("the organization sweep on the Distributed Map (emulator)", () => {
  it("50 members x 2 regions: at most 5 children at once, the member without a role named, exact counts per account", async () => {
    const started = Date.now();
    const parent = (await host.invoke(SWEEP, {})) as SweepSummary;
    expect(parent.split).toMatchObject({ items: MEMBERS * REGIONS.length, failedItems: 0 });
    const executionArn = parent.split?.execution as string;
    let status = "RUNNING";
    let output = "";
    let input = "";
    for (let i = 0; i < 1200 && status === "RUNNING"; i += 1) {
      await new Promise((done) => setTimeout(done, 500));
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      status = out.status ?? "";
      output = out.output ?? "";
      input = out.input ?? "";
    }
    // The items went through the runs bucket (the Map's ItemReader), not the execution's input.
    expect(JSON.parse(input)).toEqual({
      itemsKey: expect.stringMatching(/^runs\/sweep-[\w-]+\/items\.json$/),
      resultsPrefix: expect.stringMatching(/^runs\/sweep-[\w-]+\/results$/),
      done: expect.any(Object),
      run: {},
    });
    if (status !== "SUCCEEDED") {
      const history = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 15 }),
      );
      process.stderr.write(
        `sweep-org: execution ${status}:\n${JSON.stringify(history.events, null, 1).slice(0, 6000)}\n`,
      );
    }
    expect(status).toBe("SUCCEEDED");
    const children = lambdas.invocations.filter((c) => c.event?.sweepItem);
    const overlap = maxOverlap(children);
    process.stderr.write(
      `sweep-org: ${children.length} children, at most ${overlap} at once, ${Date.now() - started} ms from the schedule to the summary\n`,
    );
    expect(children).toHaveLength(MEMBERS * REGIONS.length);
    expect(overlap).toBeLessThanOrEqual(CONCURRENCY);
    expect(overlap).toBeGreaterThan(1);

    const summary = JSON.parse(output) as SweepSummary;
    const roleless = members[ROLELESS] as string;
    // The member without its role: both its items failed with the typed error naming it, the others went on.
    expect(summary.split).toEqual({ items: MEMBERS * REGIONS.length, failedItems: 2 });
    expect(summary.unreachable).toEqual([
      {
        account: roleless,
        regions: [...REGIONS],
        code: "MemberRoleUnavailableError",
        message: expect.stringContaining(`in account ${roleless}: AccessDenied`),
      },
    ]);
    expect(summary.errors.map((e) => [e.account, e.region, e.code])).toEqual(
      REGIONS.map((r) => [roleless, r, "MemberRoleUnavailableError"]),
    );
    // Exactly the seeded state, per account and control; the hub's own account holds nothing.
    const expected: Record<string, AccountTally> = {
      [HUB]: { counts: {}, nonCompliant: 0, remediated: 0, failed: 0, errors: 0 },
    };
    members.forEach((account, i) => {
      if (i !== ROLELESS) expected[account] = expectedTally(i);
    });
    expect(summary.accounts).toEqual(expected);
    const total = Object.values(expected).reduce((n, t) => n + t.nonCompliant, 0);
    expect(summary.nonCompliant).toBe(total);

    // One summary message, naming the unreachable member; one alert per non-compliant finding, each in its account.
    const alerts = await host.alerts();
    const summaries = alerts.filter((a) => a.attributes.outcome === "summary");
    expect(summaries).toHaveLength(1);
    const text = JSON.stringify(summaries[0]?.message);
    expect(text).toContain(`account \`${roleless}\` not swept in us-east-1, us-west-2: MemberRoleUnavailableError`);
    expect(text).toContain(`${MEMBERS} swept, 1 unreachable`);
    const findings = alerts.filter((a) => a.attributes.outcome !== "summary");
    expect(findings).toHaveLength(total);
  }, 1_200_000);
});
