import { CreateTagsCommand, DeleteTagsCommand } from "@aws-sdk/client-ec2";
import { DeleteFileSystemCommand, DeleteMountTargetCommand } from "@aws-sdk/client-efs";
import {
  type AwsSecurityFinding,
  BatchUpdateFindingsCommand,
  EnableSecurityHubCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionHost } from "../../emulator/host.js";
import { REGION, Seeder } from "../../emulator/seed.js";
import { type CfnTemplate, synthTemplate } from "../../emulator/template.js";
import { authorizeIngressEvent, createFileSystemEvent } from "../../events/build.js";
import { type ConfigInput, parseConfig } from "../../shared/config/schema.js";
import { allGuards } from "../../shared/guards/index.js";
import { nfsIngressGuard } from "../../shared/guards/nfs-ingress.js";
import { snsFindingsSink } from "../../shared/notify/findings.js";
import { silentNotifier } from "../../shared/notify/sns.js";
import type { PipelineDeps } from "../../shared/pipeline/run.js";
import { processEvent } from "../../shared/pipeline/run.js";
import { findingId, productArn } from "../../shared/report/asff.js";
import type { Clock } from "../../shared/runtime/clock.js";
import { resetEmulator } from "../support/emulator.js";

const ACCOUNT = "123456789012";
const PRODUCT = productArn(REGION, ACCOUNT);
const hub = new SecurityHubClient({ region: REGION });

let template: CfnTemplate;
beforeAll(() => {
  template = synthTemplate({ securityHub: true });
});

/** A clock the test moves forward: every evaluation is later than the one before, as in real life. */
function steppingClock(start = "2026-11-26T12:00:00.000Z"): Clock & { step(): void } {
  let t = Date.parse(start);
  return { now: () => new Date(t), step: () => (t += 60_000) };
}

async function findingsTopic(host: FunctionHost): Promise<string> {
  const fn = (host as unknown as { functions: { environment: Record<string, string> }[] }).functions.find(
    (f) => f.environment.FINDINGS_TOPIC_ARN,
  );
  if (!fn) throw new Error("no function has FINDINGS_TOPIC_ARN");
  return fn.environment.FINDINGS_TOPIC_ARN!;
}

async function read(id: string): Promise<AwsSecurityFinding | undefined> {
  const out = await hub.send(new GetFindingsCommand({ Filters: { Id: [{ Value: id, Comparison: "EQUALS" }] } }));
  return out.Findings?.[0];
}

async function exposedGroup() {
  const seed = new Seeder();
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const groupId = await seed.securityGroup(vpcId, "data");
  const fileSystemId = await seed.fileSystem({ tags: { Name: "data" } });
  const mountTargetId = await seed.mountTarget(fileSystemId, subnets[0]!, [groupId]);
  const ruleId = await seed.nfsFrom(groupId, "0.0.0.0/0");
  return { seed, groupId, fileSystemId, mountTargetId, ruleId };
}

describe("Security Hub: every finding imported, read back field by field through its whole life", () => {
  let host: FunctionHost;
  beforeEach(async () => {
    await resetEmulator();
    await hub.send(new EnableSecurityHubCommand({}));
    host = await FunctionHost.deploy(template, { env: { LOG_LEVEL: "WARN" } });
  });

  it("new (FAILED/NEW) -> exempt (SUPPRESSED) -> exemption removed (NEW) -> a person's NOTIFIED kept -> remediated (PASSED/RESOLVED) -> detached (ARCHIVED)", async () => {
    const { seed, groupId, mountTargetId, ruleId } = await exposedGroup();
    const clock = steppingClock();
    const topic = await findingsTopic(host);
    const deps = (config: ConfigInput): PipelineDeps => ({
      config: parseConfig({ securityHub: true, ...config }),
      clock,
      notifier: silentNotifier,
      findings: snsFindingsSink(topic, clock),
    });
    const alertMode = deps({ modes: { "efs-nfs-ingress-restricted": "alert" } });
    const event = authorizeIngressEvent(
      { groupId, ruleId, cidr: "0.0.0.0/0" },
      { actor: { arn: "arn:aws:sts::123456789012:assumed-role/Dev/mallory", sourceIPAddress: "198.51.100.7" } },
    );
    const guard = nfsIngressGuard();
    const id = findingId({
      control: "efs-nfs-ingress-restricted",
      resource: { type: "security-group", id: groupId, region: REGION, account: ACCOUNT },
    });
    const step = async (d: PipelineDeps) => {
      clock.step();
      await processEvent(event, guard, d);
      const runs = await host.drain();
      expect(runs.every((r) => r.error === undefined && (r.result as any)?.batchItemFailures?.length === 0)).toBe(true);
      return (await read(id))!;
    };

    // 1. New: FAILED, NEW, ACTIVE, with every field of the issue.
    const created = await step(alertMode);
    expect(created).toMatchObject({
      SchemaVersion: "2018-10-08",
      Id: `efs-guard/${REGION}/${ACCOUNT}/efs-nfs-ingress-restricted/${groupId}`,
      ProductArn: PRODUCT,
      ProductName: "EFS Guard",
      GeneratorId: "efs-nfs-ingress-restricted",
      AwsAccountId: ACCOUNT,
      Region: REGION,
      Types: [
        "Software and Configuration Checks/AWS Security Best Practices/Network Reachability",
        "Effects/Data Exposure",
      ],
      Severity: { Label: "CRITICAL", Original: "critical" },
      Compliance: { Status: "FAILED", SecurityControlId: "EC2.18", RelatedRequirements: ["AWS Security Hub EC2.18"] },
      RecordState: "ACTIVE",
      Workflow: { Status: "NEW" },
      Resources: [
        {
          Type: "AwsEc2SecurityGroup",
          Id: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/${groupId}`,
          Partition: "aws",
          Region: REGION,
          Details: {
            AwsEc2SecurityGroup: {
              GroupId: groupId,
              IpPermissions: [{ IpProtocol: "tcp", FromPort: 2049, ToPort: 2049, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
            },
          },
        },
      ],
    });
    expect(created.Title).toBe(
      "EC2.18 efs-nfs-ingress-restricted: Mount-target security groups should not allow NFS from outside the allowed sources",
    );
    expect(created.Description).toContain(`${groupId} lets NFS (TCP 2049) in from the internet`);
    expect(created.Remediation?.Recommendation?.Text).toContain(`EFS Guard would revoke 1 rule(s) on ${groupId}`);
    expect(created.ProductFields).toMatchObject({
      "efs-guard/outcome": "alerted",
      "efs-guard/lifecycle": "failed",
      "efs-guard/event/name": "ec2.amazonaws.com:AuthorizeSecurityGroupIngress",
      "efs-guard/actor": "arn:aws:iam::123456789012:role/Dev",
      "efs-guard/actor/sourceIPAddress": "198.51.100.7",
    });
    expect(created.Resources![0]!.Details!.Other).toMatchObject({ offendingRuleIds: ruleId });
    expect(created.CreatedAt).toBe(created.UpdatedAt);

    // 2. Exempt: SUPPRESSED, with the reason and the expiry (30 days after the test clock, within maxExemptionDays).
    const until = "2026-12-26";
    await seed.ec2.send(
      new CreateTagsCommand({
        Resources: [groupId],
        Tags: [
          { Key: "efs-guard:exempt", Value: "efs-nfs-ingress-restricted" },
          { Key: "efs-guard:exempt-until", Value: until },
        ],
      }),
    );
    const exempt = await step(alertMode);
    expect(exempt).toMatchObject({ Compliance: { Status: "FAILED" }, Workflow: { Status: "SUPPRESSED" } });
    expect(exempt.Note).toMatchObject({ UpdatedBy: "EFS Guard" });
    expect(exempt.Note!.Text).toMatch(
      new RegExp(`^\\[EFS Guard SUPPRESSED\\] exempt: exempted by tag efs-guard:exempt until ${until}`),
    );
    expect(exempt.ProductFields).toMatchObject({
      "efs-guard/outcome": "exempt",
      "efs-guard/exemption/until": until,
    });
    expect(exempt.CreatedAt).toBe(created.CreatedAt);
    expect(Date.parse(exempt.UpdatedAt!)).toBeGreaterThan(Date.parse(created.UpdatedAt!));

    // 3. The exemption is removed: EFS Guard set SUPPRESSED itself, so it reopens the finding.
    await seed.ec2.send(
      new DeleteTagsCommand({
        Resources: [groupId],
        Tags: [{ Key: "efs-guard:exempt" }, { Key: "efs-guard:exempt-until" }],
      }),
    );
    const reopened = await step(alertMode);
    expect(reopened.Workflow).toEqual({ Status: "NEW" });
    expect(reopened.Note!.Text).toMatch(/^\[EFS Guard NEW\] reopened/);

    // 4. A person notifies the owner: EFS Guard leaves that status alone while the finding stays failed.
    await hub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: id, ProductArn: PRODUCT }],
        Workflow: { Status: "NOTIFIED" },
        Note: { Text: "ticket SEC-1234 for the data team", UpdatedBy: "arn:aws:iam::123456789012:role/SecOps" },
      }),
    );
    const kept = await step(alertMode);
    expect(kept.Workflow).toEqual({ Status: "NOTIFIED" });
    expect(kept.Note!.Text).toBe("ticket SEC-1234 for the data team");

    // 5. Remediated: PASSED and RESOLVED, with what EFS Guard did.
    const fixed = await step(deps({}));
    expect((await seed.ingressRules(groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([]);
    expect(fixed).toMatchObject({
      Compliance: { Status: "PASSED" },
      Workflow: { Status: "RESOLVED" },
      Severity: { Label: "INFORMATIONAL", Original: "critical" },
      RecordState: "ACTIVE",
      ProductFields: expect.objectContaining({ "efs-guard/outcome": "remediated", "efs-guard/lifecycle": "passed" }),
    });
    expect(fixed.Note!.Text).toMatch(
      new RegExp(
        `^\\[EFS Guard RESOLVED\\] remediated at .* after AuthorizeSecurityGroupIngress by arn:aws:iam::123456789012:role/Dev: revoked 1 rule\\(s\\) on ${groupId}`,
      ),
    );

    // 6. The group leaves EFS (its mount target is deleted): not applicable, archived.
    await seed.efs.send(new DeleteMountTargetCommand({ MountTargetId: mountTargetId }));
    const gone = await step(deps({}));
    expect(gone).toMatchObject({ RecordState: "ARCHIVED", Compliance: { Status: "NOT_AVAILABLE" } });
    expect(gone.CreatedAt).toBe(created.CreatedAt);
  });

  it("the deployed functions report through the findings topic; the sweep archives what it no longer finds", async () => {
    const { seed, fileSystemId } = await exposedGroup();
    // A CreateFileSystem event through the real rule, handler and reporter: four controls of the file system.
    await host.putEvents([createFileSystemEvent({ fileSystemId, encrypted: false })]);
    await host.drain();
    await host.drain();
    const of = async (control: string) =>
      read(
        findingId({
          control: control as any,
          resource: { type: "file-system", id: fileSystemId, region: REGION, account: ACCOUNT },
        }),
      );
    expect(await of("efs-tls-enforced")).toMatchObject({
      Compliance: { Status: "PASSED" },
      Workflow: { Status: "RESOLVED" },
    });
    expect(await of("efs-backup-enabled")).toMatchObject({
      Compliance: { Status: "FAILED" },
      Workflow: { Status: "NEW" },
      Resources: [{ Type: "AwsEfsFileSystem", Details: { Other: { backupPolicy: "none" } } }],
    });
    // The migration workflow is not deployed in this host: the remediation failed, the finding stays failed.
    expect(await of("efs-encrypted-at-rest")).toMatchObject({
      Compliance: {
        Status: "FAILED",
        SecurityControlId: "EFS.1",
        RelatedRequirements: ["AWS Security Hub EFS.1", "AWS Security Hub EFS.8"],
      },
      ProductFields: expect.objectContaining({ "efs-guard/outcome": "remediation-failed" }),
    });

    // The sweep through its deployed handler: every resource, then the file system is deleted and swept again.
    const sweep = async () => {
      // The module builds its deployed dependencies at load, as in Lambda: it needs the alerts topic's ARN.
      process.env.ALERTS_TOPIC_ARN ??= host.alertsTopicArn;
      const { createHandler } = await import("../../functions/sweep/handler.js");
      const clock = { now: () => new Date() };
      const topic = await findingsTopic(host);
      const handler = createHandler(
        allGuards(),
        {
          config: parseConfig({ securityHub: true, dryRun: true }),
          clock,
          notifier: silentNotifier,
          findings: snsFindingsSink(topic, clock),
        },
        REGION,
      );
      const summary = await handler({}, {} as any);
      await host.drain();
      return summary;
    };
    expect((await sweep()).errors).toEqual([]);
    const active = async () =>
      (
        await hub.send(
          new GetFindingsCommand({
            Filters: {
              ProductArn: [{ Value: PRODUCT, Comparison: "EQUALS" }],
              RecordState: [{ Value: "ACTIVE", Comparison: "EQUALS" }],
            },
          }),
        )
      )
        .Findings!.map((f) => f.Id!.split("/").slice(3).join("/"))
        .sort();
    const before = await active();
    // The file-system guard's four controls, the access guard's two policy controls and efs-mount-target-private.
    expect(before.filter((x) => x.endsWith(fileSystemId))).toHaveLength(7);
    expect(
      before.filter((x) => x.endsWith(fileSystemId)).filter((x) => x.includes("efs-mount-target-private")),
    ).toHaveLength(1);
    for (const mt of (
      await seed.efs.send(
        new (
          await import("@aws-sdk/client-efs")
        ).DescribeMountTargetsCommand({ FileSystemId: fileSystemId }),
      )
    ).MountTargets ?? []) {
      await seed.efs.send(new DeleteMountTargetCommand({ MountTargetId: mt.MountTargetId! }));
    }
    await seed.efs.send(new DeleteFileSystemCommand({ FileSystemId: fileSystemId }));
    await new Promise((r) => setTimeout(r, 1100));
    expect((await sweep()).errors).toEqual([]);
    const after = await active();
    // The file system's six findings and the group's (no longer on a mount target) are archived.
    expect(after.filter((x) => x.endsWith(fileSystemId))).toEqual([]);
    expect((await of("efs-backup-enabled"))!.RecordState).toBe("ARCHIVED");
    expect((await of("efs-backup-enabled"))!.ProductFields!["efs-guard/archived"]).toContain("not found by the sweep");
  });
});
