import type { EFSClient } from "@aws-sdk/client-efs";
import type { KMSClient } from "@aws-sdk/client-kms";
import { DescribeExecutionCommand, ExecutionDoesNotExist, type SFNClient } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { migrationExecutionName } from "../../shared/aws/migration.js";
import type { Finding } from "../../shared/controls/types.js";
import { fileSystemGuard } from "../../shared/guards/file-system.js";
import { memberStepDeps, requireCoveredAccount } from "../../shared/migration/account.js";
import type { MigrationBase } from "../../shared/migration/deps.js";
import { claimedCreator } from "../../shared/migration/provenance.js";
import { ERRORS, type MigrationState, MigrationStepError } from "../../shared/migration/types.js";
import { testDeps } from "../support/deps.js";

/**
 * The hub's migration of a member's file system (issue 13): the member guard starts the hub's workflow with the
 * account in the input and in the execution name; the steps refuse an account the hub does not cover and act in a
 * covered member with its migration role's clients.
 */
const MEMBER = "222222222222";
const HUB = "111111111111";
const FS = "fs-0123456789abcdef0";
const SM = `arn:aws:states:eu-west-1:${HUB}:stateMachine:efs-guard-migration`;
const FN = `arn:aws:lambda:eu-west-1:${HUB}:function:efs-guard-migration-capture`;
const untouchable = () =>
  ({
    send: async (command: object) => {
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  }) as never;

/** A Step Functions double: no execution exists, StartExecution is recorded. */
function recordingSfn() {
  const started: { name?: string; input?: string }[] = [];
  const sfn = {
    send: async (command: { input: { name?: string; input?: string } }) => {
      if (command instanceof DescribeExecutionCommand) {
        throw new ExecutionDoesNotExist({ message: "none", $metadata: {} });
      }
      started.push(command.input);
      return { executionArn: `${SM}:${command.input.name}`, startDate: new Date() };
    },
  } as unknown as SFNClient;
  return { sfn, started };
}

const unencrypted: Finding = {
  control: "efs-encrypted-at-rest",
  resource: { type: "file-system", id: FS, region: "eu-west-1" },
  verdict: "non-compliant",
  severity: "high",
  summary: `${FS} is not encrypted at rest`,
  evidence: { encrypted: false },
  plan: {
    kind: "start-migration",
    fileSystemId: FS,
    reason: "not encrypted at rest",
    describe: "start the migration",
    done: "migration started",
  },
};

const organization = (accounts: string[] = []) =>
  ({ organizationId: "o-abcdefghij", memberRoleName: "efs-guard-member", accounts }) as never;

describe("a member's unencrypted file system in the hub", () => {
  it("the member guard starts the hub's workflow with the account in the input and the execution name", async () => {
    const { sfn, started } = recordingSfn();
    const clients = { efs: (): EFSClient => untouchable(), kms: (): KMSClient => untouchable(), sfn: () => sfn };
    const guard = fileSystemGuard({ clients, memberAccount: MEMBER, migrationStateMachineArn: SM });
    const deps = testDeps();
    const config = { ...deps.config, organization: organization() };
    const outcome = await guard.remediate(unencrypted.plan!, "eu-west-1", config);
    expect(outcome).toMatchObject({ status: "done", outcome: "migration-started" });
    expect(started).toHaveLength(1);
    expect(started[0]!.name).toBe(`efs-guard-migrate-${FS}-${MEMBER}`);
    expect(JSON.parse(started[0]!.input!)).toMatchObject({ fileSystemId: FS, account: MEMBER, region: "eu-west-1" });
  });

  it("declines without an organization block, or for an account not in organization.accounts", async () => {
    const clients = { efs: (): EFSClient => untouchable(), kms: (): KMSClient => untouchable(), sfn: untouchable };
    const guard = fileSystemGuard({ clients, memberAccount: MEMBER, migrationStateMachineArn: SM });
    const deps = testDeps();
    await expect(guard.remediate(unencrypted.plan!, "eu-west-1", deps.config)).resolves.toMatchObject({
      status: "declined",
      detail: expect.stringContaining("no organization block"),
    });
    const config = { ...deps.config, organization: organization(["333333333333"]) };
    await expect(guard.remediate(unencrypted.plan!, "eu-west-1", config)).resolves.toMatchObject({
      status: "declined",
      detail: expect.stringContaining("not in organization.accounts"),
    });
  });

  it("names differ per account, the hub's own keep theirs, and the longest fits Step Functions' 80", () => {
    expect(migrationExecutionName(FS)).toBe(`efs-guard-migrate-${FS}`);
    expect(migrationExecutionName(FS, 2, MEMBER)).toBe(`efs-guard-migrate-${FS}-${MEMBER}-2`);
    expect(migrationExecutionName(FS, 1, MEMBER)).not.toBe(migrationExecutionName(FS, 1, "333333333333"));
    expect(migrationExecutionName(`fs-${"a".repeat(40)}`, 20, MEMBER).length).toBeLessThanOrEqual(80);
  });

  it("a replacement tagged by another account's migration of the same id is not this migration's", () => {
    const tags = (name: string) => ({ "efs-guard:migration": name, "efs-guard:migrated-from": FS });
    const mine = migrationExecutionName(FS, 1, MEMBER);
    expect(claimedCreator(tags(mine), FS, MEMBER)).toBe(mine);
    expect(claimedCreator(tags(migrationExecutionName(FS, 1, "333333333333")), FS, MEMBER)).toBeUndefined();
    expect(claimedCreator(tags(migrationExecutionName(FS)), FS, MEMBER)).toBeUndefined();
    expect(claimedCreator(tags(mine), FS)).toBeUndefined();
  });
});

describe("the steps in a member", () => {
  const base = (accounts?: string[]) => {
    const deps = testDeps();
    return {
      config: { ...deps.config, ...(accounts ? { organization: organization(accounts) } : {}) },
      clock: deps.clock,
      topicArn: "arn:aws:sns:eu-west-1:111111111111:t",
      homeRegion: "eu-west-1",
      kmsKeyArn: "arn:aws:kms:eu-west-1:111111111111:key/k",
      backupRoleArn: `arn:aws:iam::${HUB}:role/hub-backup`,
    } satisfies MigrationBase;
  };
  const hubEfs = (_region: string) => untouchable() as EFSClient;
  const state = (account?: string) =>
    ({
      fileSystemId: FS,
      region: "eu-west-1",
      reason: "",
      requestedBy: "",
      ...(account ? { account } : {}),
    }) as MigrationState;

  it("keep the step's own clients for the hub's file system", () => {
    const inAccount = memberStepDeps("capture", { efs: () => untouchable() });
    const deps = { ...base(), efs: hubEfs };
    expect(inAccount(deps, state(), FN)).toBe(deps);
    expect(inAccount(deps, state(HUB), FN)).toBe(deps);
  });

  it("use the member's migration role's clients and the member's backup role", () => {
    const made: unknown[] = [];
    const factory = (settings: unknown) => {
      made.push(settings);
      return untouchable() as EFSClient;
    };
    const inAccount = memberStepDeps("capture", { efs: factory });
    const deps = { ...base([]), efs: hubEfs };
    const here = inAccount(deps, state(MEMBER), FN);
    expect(here.efs).not.toBe(hubEfs);
    expect(here.backupRoleArn).toBe(`arn:aws:iam::${MEMBER}:role/efs-guard-member-backup`);
    here.efs("eu-west-1");
    expect(made).toHaveLength(1);
    expect((made[0] as { credentials?: unknown }).credentials).toBeTypeOf("function");
    // Once per container: the same clients for the next event of the account.
    expect(inAccount(deps, state(MEMBER), FN).efs("eu-west-1")).toBe(here.efs("eu-west-1"));
    expect(made).toHaveLength(1);
  });

  it("refuse an account without an organization block, or one not in organization.accounts", () => {
    const refused = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return error instanceof MigrationStepError && error.name === ERRORS.refused ? error.message : String(error);
      }
      return "not refused";
    };
    expect(refused(() => requireCoveredAccount(MEMBER, base().config))).toContain("no organization block");
    expect(refused(() => requireCoveredAccount(MEMBER, base(["333333333333"]).config))).toContain(
      "not in organization.accounts",
    );
    expect(refused(() => requireCoveredAccount("x", base([]).config))).toContain("no account id");
  });
});
