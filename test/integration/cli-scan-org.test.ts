import { PutBackupPolicyCommand, PutFileSystemPolicyCommand } from "@aws-sdk/client-efs";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import {
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { ACCOUNT, resolveIntrinsics } from "../../emulator/intrinsics.js";
import { synthTemplate } from "../../emulator/template.js";
import { consoleDefaultPolicy } from "../../shared/controls/policy.js";
import { runCli } from "../support/cli.js";
import { resetEmulator } from "../support/emulator.js";
import { asAccount, KeySeeder } from "../support/seed-kms.js";

/**
 * `efs-guard scan --org` / `--accounts` on the emulator: a hub (the caller, moto's default account) and member
 * accounts, each reached by AssumeRole of its efs-guard-member role, whose policy is the member template's own
 * (synthesized from the StackSet, IAM enforced), and one member without the role. moto tells accounts apart by the
 * x-moto-account-id header (seeding) or by the AssumeRole credentials (the scan).
 */

const MEMBER_ROLE = "efs-guard-member";
let memberPolicy: string;

/** The member role's inline policy, from the member template the hub's StackSet deploys, for `account`. */
function memberPolicyFor(account: string): string {
  return memberPolicy.replaceAll(ACCOUNT, account);
}

/** A seeder acting in another account (the emulator's administrator there, as a member's own admin would be). */
function seederIn(account: string): KeySeeder {
  const seed = new KeySeeder();
  asAccount(seed.ec2, account);
  asAccount(seed.efs, account);
  asAccount(seed.kms, account);
  return seed;
}

/** What the member StackSet creates in the member's home region: the role, trusting the hub, with its policy. */
async function memberRole(account: string) {
  const iam = asAccount(new IAMClient({ region: "us-east-1" }), account);
  const trust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }],
  };
  await iam.send(new CreateRoleCommand({ RoleName: MEMBER_ROLE, AssumeRolePolicyDocument: JSON.stringify(trust) }));
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: MEMBER_ROLE,
      PolicyName: "GuardPermissions",
      PolicyDocument: memberPolicyFor(account),
    }),
  );
}

/** moto's ids come from its seedable random generator: the same seed before a create gives the same id. */
async function seedIds(seed: number) {
  const res = await fetch(`${inject("emulatorEndpoint")}/moto-api/seed?a=${seed}`, { method: "POST" });
  if (!res.ok) throw new Error(`seed failed: ${res.status}`);
}

/**
 * A file system compliant with every control but the ones `violate` names: open NFS on its mount target's group,
 * no TLS deny in its policy, or rotation off on its key. Created right after seedIds(7), so that every account
 * that seeds one gets the same file system id.
 */
async function memberAccount(account: string, violate: "nfs" | "tls" | "rotation") {
  const seed = seederIn(account);
  const { vpcId, subnets } = await seed.vpc("10.0.0.0/16");
  const group = await seed.securityGroup(vpcId, "mt");
  await seed.nfsFrom(group, violate === "nfs" ? "0.0.0.0/0" : "10.0.0.0/16");
  const key = await seed.key({ rotation: violate === "rotation" ? false : 365 });
  await seedIds(7);
  const fileSystemId = await seed.fileSystem({ encrypted: true, kmsKeyId: key.keyId });
  const arn = `arn:aws:elasticfilesystem:us-east-1:${account}:file-system/${fileSystemId}`;
  const [, tlsDeny] = consoleDefaultPolicy(arn).Statement as unknown[];
  const appOnly = {
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${account}:role/app` },
    Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"],
    Resource: arn,
  };
  const statements = violate === "tls" ? [appOnly] : [appOnly, tlsDeny];
  await seed.efs.send(
    new PutFileSystemPolicyCommand({
      FileSystemId: fileSystemId,
      Policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
    }),
  );
  await seed.efs.send(new PutBackupPolicyCommand({ FileSystemId: fileSystemId, BackupPolicy: { Status: "ENABLED" } }));
  await seed.mountTarget(fileSystemId, subnets[0]!, [group]);
  return { fileSystemId, group, keyId: key.keyId };
}

/** An organization (the caller is its management account) with `n` member accounts, in creation order. */
async function organization(names: string[]): Promise<string[]> {
  const org = new OrganizationsClient({ region: "us-east-1" });
  await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  const ids: string[] = [];
  for (const name of names) {
    const out = await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
    ids.push(out.CreateAccountStatus!.AccountId!);
  }
  return ids;
}

const VIOLATION = {
  nfs: "efs-nfs-ingress-restricted",
  tls: "efs-tls-enforced",
  rotation: "efs-key-rotation-enabled",
} as const;

beforeAll(() => {
  // The member template as the hub's StackSet carries it: its GuardPermissions policy is what the role grants.
  const hub = synthTemplate(
    {
      organization: { organizationId: "o-a1b2c3d4e5", organizationalUnitIds: ["ou-ab12-11112222"] },
    },
    { region: "us-east-1" },
  );
  const stackSet = Object.values(hub.Resources).find((r) => r.Type === "AWS::CloudFormation::StackSet")!;
  const member = JSON.parse(stackSet.Properties.TemplateBody);
  const policy = Object.values(member.Resources as Record<string, any>).find(
    (r) => r.Type === "AWS::IAM::Policy" && r.Properties.PolicyName.startsWith("GuardPermissions"),
  )!;
  memberPolicy = JSON.stringify(
    resolveIntrinsics(
      policy.Properties.PolicyDocument,
      // The StackSet's parameters, as the hub fills them in.
      new Map([
        ["HubRegion", { ref: "us-east-1", atts: {} }],
        ["HubAccountId", { ref: ACCOUNT, atts: {} }],
      ]),
      "us-east-1",
    ),
  );
}, 120_000);

describe("efs-guard scan --org and --accounts against the emulator", () => {
  beforeEach(resetEmulator);

  it("--org: every ACTIVE member through its role, an account column, the same file system id twice, a member without the role named", async () => {
    const [a, b, c, noRole, closed] = await organization(["alpha", "beta", "gamma", "delta", "closed"]);
    const seeded: Record<string, Awaited<ReturnType<typeof memberAccount>>> = {};
    for (const [account, violate] of [
      [a, "nfs"],
      [b, "tls"],
      [c, "rotation"],
    ] as const) {
      await memberRole(account!);
      seeded[account!] = await memberAccount(account!, violate);
    }
    // A member whose StackSet instance never deployed: resources, no role.
    await memberAccount(noRole!, "nfs");
    await new OrganizationsClient({ region: "us-east-1" }).send(new CloseAccountCommand({ AccountId: closed! }));
    expect(seeded[a!]!.fileSystemId).toBe(seeded[b!]!.fileSystemId);

    const run = await runCli(["scan", "--org", "--region", "us-east-1"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("efs-guard scan: 4 account(s), role efs-guard-member, 4 at a time");
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^account\s+control\s+resource\s+region\s+verdict\s+severity\s+would do\s+summary$/);
    const nonCompliant = lines.filter((l) => /\snon-compliant\s/.test(l)).map((l) => l.split(/\s+/).slice(0, 3));
    expect(nonCompliant.sort()).toEqual(
      [
        [a, VIOLATION.nfs, seeded[a!]!.group],
        [b, VIOLATION.tls, seeded[b!]!.fileSystemId],
        [c, VIOLATION.rotation, seeded[c!]!.keyId],
      ].sort(),
    );
    // The same file system id in two accounts: two rows per control, one per account, each with its own verdict.
    const fs = seeded[a!]!.fileSystemId;
    const tlsRows = lines.filter((l) => l.includes(` ${fs} `) && l.includes(` ${VIOLATION.tls} `));
    expect(tlsRows.map((l) => l.split(/\s+/)[0]).sort()).toEqual([a, b, c].sort());
    expect(tlsRows.find((l) => l.startsWith(a!))).toMatch(/\scompliant\s/);
    expect(tlsRows.find((l) => l.startsWith(b!))).toMatch(/\snon-compliant\s/);
    // Nothing of the account without the role, nor of the closed one, nor of the hub itself.
    expect(lines.some((l) => l.startsWith(noRole!) || l.startsWith(closed!) || l.startsWith(ACCOUNT))).toBe(false);
    expect(run.stdout).toMatch(
      new RegExp(`account ${noRole} \\(delta\\): not scanned: no efs-guard-member role \\(AccessDenied: `),
    );
    expect(run.stdout).toMatch(
      /INCOMPLETE: 1 account\(s\) not scanned, 0 error\(s\); what could be read: 9 resource\(s\)/,
    );
  }, 180_000);

  it("--accounts --json and --format csv name each finding's account; an account without the role is exit 2, the rest exit 1", async () => {
    const a = "111122223333";
    const b = "444455556666";
    const noRole = "777788889999";
    await memberRole(a);
    await memberRole(b);
    const sa = await memberAccount(a, "nfs");
    const sb = await memberAccount(b, "rotation");
    await memberAccount(noRole, "tls");

    const json = await runCli(["scan", "--accounts", `${a},${b}`, "--json", "--concurrency", "1"]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.accounts).toEqual([
      { id: a, status: "scanned" },
      { id: b, status: "scanned" },
    ]);
    expect(report.summary).toMatchObject({ accounts: 2, unavailable: 0, nonCompliant: 2, complete: true });
    const bad = report.findings.filter((f: any) => f.verdict === "non-compliant");
    expect(bad.map((f: any) => [f.account, f.control, f.resource]).sort()).toEqual(
      [
        [a, VIOLATION.nfs, sa.group],
        [b, VIOLATION.rotation, sb.keyId],
      ].sort(),
    );
    expect(report.findings.every((f: any) => f.account === a || f.account === b)).toBe(true);

    const csv = await runCli(["scan", "--accounts", a, "--accounts", noRole, "--format", "csv"]);
    expect(csv.code).toBe(2);
    const rows = csv.stdout.trim().split("\r\n");
    const header = rows[0]!.split(",");
    const accountCol = header.indexOf("account");
    const arnCol = header.indexOf("resource_arn");
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows.slice(1)) {
      const cells = row.split(",");
      expect(cells[accountCol]).toBe(a);
      expect(cells[arnCol]).toContain(`:${a}:`);
    }
    expect(csv.stderr).toMatch(
      new RegExp(`efs-guard scan: account ${noRole}: not scanned: no efs-guard-member role \\(`),
    );
  }, 180_000);

  it("refuses bad account ids, --org with --accounts, and the options that need them, before any call", async () => {
    for (const [args, message] of [
      [["--accounts", "12345"], "--accounts 12345: not a 12-digit account id"],
      [["--org", "--accounts", "111122223333"], "--org and --accounts: pass one of them"],
      [["--concurrency", "3"], "--concurrency needs --org or --accounts"],
      [["--org", "--concurrency", "0"], "--concurrency 0: expected a whole number from 1 to 64"],
      [["--org", "--role-name", "a/b"], "--role-name a/b: not an IAM role name"],
    ] as const) {
      const run = await runCli(["scan", ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
    }
  });
});
