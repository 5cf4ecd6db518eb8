import type { EFSClient } from "@aws-sdk/client-efs";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import type { Finding } from "../../shared/controls/types.js";
import { fileSystemGuard, memberMigrationDeclined } from "../../shared/guards/file-system.js";
import { handleFinding } from "../../shared/pipeline/run.js";
import { testDeps } from "../support/deps.js";

/**
 * The hub's file-system guard of a member (functions/file-system/handler.ts, allGuards with a member's clients): an
 * unencrypted file system there is not migrated by the hub's workflow, and the outcome says where it can be.
 * Every client throws: declining must not call any service.
 */
const MEMBER = "222222222222";
const FS = "fs-0123456789abcdef0";
const untouchable = () =>
  ({
    send: async (command: object) => {
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  }) as never;
const clients = {
  efs: (): EFSClient => untouchable(),
  kms: (): KMSClient => untouchable(),
  sfn: (): SFNClient => untouchable(),
};

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

describe("a member's unencrypted file system in the hub", () => {
  it("the member guard declines the migration, naming the account, the file system and where to migrate it", async () => {
    const guard = fileSystemGuard({ clients, memberAccount: MEMBER });
    const deps = testDeps();
    const plan = unencrypted.plan!;
    await expect(guard.remediate(plan, "eu-west-1", deps.config)).resolves.toEqual({
      status: "declined",
      detail: `the migration workflow runs in the hub account only; migrate ${FS} in account ${MEMBER} with an EFS Guard deployment there (efs-guard migrate ${FS} --region eu-west-1, with that account's credentials)`,
    });
    expect(memberMigrationDeclined(FS, MEMBER, "eu-west-1")).toEqual(
      await guard.remediate(plan, "eu-west-1", deps.config),
    );
  });

  it("is reported as alerted, not a failed remediation, with that reason", async () => {
    const guard = fileSystemGuard({ clients, memberAccount: MEMBER });
    const deps = testDeps({ modes: { "efs-encrypted-at-rest": "remediate" } });
    const origin = { kind: "sweep" as const, region: "eu-west-1", account: MEMBER };
    const result = await handleFinding(unencrypted, origin, guard, deps);
    expect(result).toMatchObject({
      action: "none",
      outcome: "alerted",
      detail: `not remediated: the migration workflow runs in the hub account only; migrate ${FS} in account ${MEMBER} with an EFS Guard deployment there (efs-guard migrate ${FS} --region eu-west-1, with that account's credentials)`,
    });
    expect(result.error).toBeUndefined();
  });

  it("the hub's own guard without a workflow still fails loudly (a single account without the migration deployed)", async () => {
    const guard = fileSystemGuard({ clients });
    const deps = testDeps({ modes: { "efs-encrypted-at-rest": "remediate" } });
    const result = await handleFinding(unencrypted, { kind: "sweep", region: "eu-west-1" }, guard, deps);
    expect(result).toMatchObject({ outcome: "remediation-failed", error: { code: "NOT_DEPLOYED" } });
  });
});
