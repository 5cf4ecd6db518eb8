import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  EnableSecurityHubCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import { beforeEach, describe, expect, it } from "vitest";
import { resetEmulator } from "../support/emulator.js";

const ACCOUNT = "123456789012";
const PRODUCT = `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`;
const hub = new SecurityHubClient({ region: "us-east-1" });

function finding(id: string, overrides: Partial<AwsSecurityFinding> = {}): AwsSecurityFinding {
  return {
    SchemaVersion: "2018-10-08",
    Id: id,
    ProductArn: PRODUCT,
    GeneratorId: "efs-tls-enforced",
    AwsAccountId: ACCOUNT,
    Types: ["Software and Configuration Checks/AWS Security Best Practices"],
    CreatedAt: "2026-11-26T12:00:00.000Z",
    UpdatedAt: "2026-11-26T12:00:00.000Z",
    Severity: { Label: "HIGH" },
    Title: "t",
    Description: "d",
    Resources: [{ Type: "AwsEfsFileSystem", Id: `arn:aws:elasticfilesystem:us-east-1:${ACCOUNT}:file-system/fs-1` }],
    Compliance: { Status: "FAILED" },
    ...overrides,
  };
}

async function get(id: string) {
  const out = await hub.send(new GetFindingsCommand({ Filters: { Id: [{ Value: id, Comparison: "EQUALS" }] } }));
  expect(out.Findings).toHaveLength(1);
  return out.Findings![0]!;
}

describe("securityhub_findings", () => {
  beforeEach(async () => {
    await resetEmulator();
  });

  it("fails every finding with InvalidAccess while Security Hub is not enabled in the region", async () => {
    const out = await hub.send(new BatchImportFindingsCommand({ Findings: [finding("a")] }));
    expect(out).toMatchObject({ FailedCount: 1, SuccessCount: 0 });
    expect(out.FailedFindings![0]).toMatchObject({ Id: "a", ErrorCode: "InvalidAccess" });
  });

  it("validates each finding, rejects a batch over 100, and checks the account and default product", async () => {
    await hub.send(new EnableSecurityHubCommand({}));
    const out = await hub.send(
      new BatchImportFindingsCommand({
        Findings: [
          finding("ok"),
          finding("no-title", { Title: " " }),
          finding("long", { Title: "x".repeat(257) }),
          finding("other-account", { AwsAccountId: "210987654321" }),
          finding("other-product", {
            ProductArn: "arn:aws:securityhub:us-east-1:210987654321:product/210987654321/default",
          }),
        ],
      }),
    );
    expect(out.SuccessCount).toBe(1);
    expect(Object.fromEntries(out.FailedFindings!.map((f) => [f.Id, f.ErrorCode]))).toEqual({
      "no-title": "InvalidInput",
      long: "InvalidInput",
      "other-account": "AccessDeniedException",
      "other-product": "AccessDeniedException",
    });
    await expect(
      hub.send(new BatchImportFindingsCommand({ Findings: Array.from({ length: 101 }, (_, i) => finding(`f${i}`)) })),
    ).rejects.toMatchObject({ name: "InvalidInputException" });
  });

  it("creates with NEW/ACTIVE defaults, ignores restricted fields and older updates, resets the workflow as AWS does", async () => {
    await hub.send(new EnableSecurityHubCommand({}));
    await hub.send(
      new BatchImportFindingsCommand({
        Findings: [
          finding("w", {
            Compliance: { Status: "PASSED" },
            Note: { Text: "first", UpdatedBy: "me", UpdatedAt: "2026-11-26T12:00:00.000Z" },
          }),
        ],
      }),
    );
    let f = await get("w");
    expect(f).toMatchObject({
      Workflow: { Status: "NEW" },
      RecordState: "ACTIVE",
      Region: "us-east-1",
      Note: { Text: "first" },
      Severity: { Label: "HIGH", Normalized: 70 },
      FindingProviderFields: { Severity: { Label: "HIGH" } },
    });
    // A later import cannot change Workflow or Note.
    await hub.send(
      new BatchImportFindingsCommand({
        Findings: [
          finding("w", {
            UpdatedAt: "2026-11-26T13:00:00.000Z",
            Compliance: { Status: "PASSED" },
            Workflow: { Status: "SUPPRESSED" },
            Note: { Text: "second", UpdatedBy: "me", UpdatedAt: "2026-11-26T13:00:00.000Z" },
            Title: "t2",
          }),
        ],
      }),
    );
    f = await get("w");
    expect(f).toMatchObject({ Title: "t2", Workflow: { Status: "NEW" }, Note: { Text: "first" } });
    // BatchUpdateFindings can; it leaves UpdatedAt alone.
    const upd = await hub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [
          { Id: "w", ProductArn: PRODUCT },
          { Id: "nope", ProductArn: PRODUCT },
        ],
        Workflow: { Status: "RESOLVED" },
        Note: { Text: "fixed", UpdatedBy: "EFS Guard" },
      }),
    );
    expect(upd.ProcessedFindings).toEqual([{ Id: "w", ProductArn: PRODUCT }]);
    expect(upd.UnprocessedFindings![0]).toMatchObject({ ErrorCode: "FindingNotFound" });
    f = await get("w");
    expect(f).toMatchObject({ Workflow: { Status: "RESOLVED" }, Note: { Text: "fixed", UpdatedBy: "EFS Guard" } });
    expect(f.UpdatedAt).toBe("2026-11-26T13:00:00.000Z");
    // An older update is ignored.
    await hub.send(
      new BatchImportFindingsCommand({
        Findings: [finding("w", { UpdatedAt: "2026-11-26T12:30:00.000Z", Title: "old" })],
      }),
    );
    expect((await get("w")).Title).toBe("t2");
    // PASSED -> FAILED reopens a RESOLVED finding.
    await hub.send(
      new BatchImportFindingsCommand({
        Findings: [finding("w", { UpdatedAt: "2026-11-26T14:00:00.000Z", Compliance: { Status: "FAILED" } })],
      }),
    );
    expect((await get("w")).Workflow).toEqual({ Status: "NEW" });
  });

  it("filters GetFindings by attribute (values of one attribute OR, attributes AND) within AWS's limits", async () => {
    await hub.send(new EnableSecurityHubCommand({}));
    await hub.send(
      new BatchImportFindingsCommand({
        Findings: [
          finding("a", { GeneratorId: "efs-tls-enforced" }),
          finding("b", { GeneratorId: "efs-backup-enabled" }),
          finding("c", { GeneratorId: "efs-tls-enforced", RecordState: "ARCHIVED" }),
        ],
      }),
    );
    const ids = async (Filters: any) =>
      ((await hub.send(new GetFindingsCommand({ Filters }))).Findings ?? []).map((f) => f.Id).sort();
    expect(await ids({ GeneratorId: [{ Value: "efs-tls-enforced", Comparison: "EQUALS" }] })).toEqual(["a", "c"]);
    expect(
      await ids({
        GeneratorId: [{ Value: "efs-tls-enforced", Comparison: "EQUALS" }],
        RecordState: [{ Value: "ACTIVE", Comparison: "EQUALS" }],
      }),
    ).toEqual(["a"]);
    expect(await ids({ Id: ["a", "b"].map((Value) => ({ Value, Comparison: "EQUALS" })) })).toEqual(["a", "b"]);
    expect(await ids({ GeneratorId: [{ Value: "efs-backup", Comparison: "NOT_EQUALS" }] })).toEqual(["a", "b", "c"]);
    await expect(
      hub.send(
        new GetFindingsCommand({
          Filters: { Id: Array.from({ length: 21 }, (_, i) => ({ Value: `x${i}`, Comparison: "EQUALS" as const })) },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidInputException" });
  });
});
