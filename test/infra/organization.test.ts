import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flatten, REPORTING_ENTRIES, roleStatements, type Statement, type Template } from "./iam.js";
import { synthApp } from "./synth.js";

/**
 * An organization's hub (organization.organizationId): the efs-guard bus open to the organization only, every guard
 * function's rules on it too, and the member StackSet whose template needs no asset and whose member role grants
 * exactly what the guards use. The synth runs cdk-nag on both templates (an unacknowledged finding throws);
 * cfn-lint.test.ts lints the member template.
 */
const ORG = "o-abcdefghij";
const organization = { organizationId: ORG, organizationalUnitIds: ["ou-ab12-11112222", "ou-ab12-33334444"] };
const HUB = "111111111111";

let outdir: string;
let hub: Template;
let member: Template & { Parameters?: Record<string, unknown>; Conditions?: Record<string, unknown> };
let stackSet: { Type: string; Properties: any };
let single: Template;
let singleOutdir: string;
beforeAll(() => {
  const synth = synthApp({ organization, regions: ["us-east-1"] }, { region: "eu-west-1", account: HUB });
  outdir = synth.outdir;
  hub = synth.templates.EfsGuard!;
  stackSet = Object.values(hub.Resources).find((r) => r.Type === "AWS::CloudFormation::StackSet") as any;
  member = JSON.parse(stackSet.Properties.TemplateBody);
  forwarderTemplate = synth.templates["EfsGuardForwarder-us-east-1"]!;
  const plain = synthApp({ regions: ["us-east-1"] }, { region: "eu-west-1", account: HUB });
  singleOutdir = plain.outdir;
  single = plain.templates.EfsGuard!;
});
afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
  rmSync(singleOutdir, { recursive: true, force: true });
});

/** A function's resource without its configuration (which carries the organization block, by design). */
function withoutConfig(resource: { Type: string; Properties?: any }) {
  if (resource.Type !== "AWS::Lambda::Function") return resource;
  // The sweep's runs bucket (the hub's only) is named in its environment, like the configuration.
  const {
    EFS_GUARD_CONFIG: _c,
    EFS_GUARD_CONFIG_SHA256: _h,
    EFS_GUARD_SWEEP_BUCKET: _b,
    ...variables
  } = resource.Properties.Environment.Variables;
  return { ...resource, Properties: { ...resource.Properties, Environment: { Variables: variables } } };
}

let forwarderTemplate: Template;
function synthForwarderRules(): string[] {
  return ofType(forwarderTemplate, "AWS::Events::Rule")
    .map(([, r]) => JSON.stringify(r.Properties.EventPattern))
    .sort();
}

const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);

/** The one resource of `type` (that `where` accepts), as [logical id, resource]; throws unless exactly one. */
function one(t: Template, type: string, where: (r: any) => boolean = () => true) {
  const found = ofType(t, type).filter(([, r]) => where(r));
  if (found.length !== 1) throw new Error(`${found.length} resources of ${type}`);
  return found[0]!;
}
const memberRole = (t: Template) => one(t, "AWS::IAM::Role", (r) => r.Properties.RoleName === "efs-guard-member");

describe("the hub", () => {
  it("has the efs-guard bus, which accepts PutEvents from this organization only", () => {
    const [busId, bus] = one(hub, "AWS::Events::EventBus");
    expect(bus.Properties.Name).toBe("efs-guard");
    const policies = ofType(hub, "AWS::Events::EventBusPolicy").map(([, p]) => p.Properties);
    expect(policies).toHaveLength(1);
    expect(policies[0].EventBusName).toEqual({ Ref: busId });
    expect(policies[0].Statement).toEqual({
      Sid: "cdk-PutEventsFromThisOrganization",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: "events:PutEvents",
      Resource: { "Fn::GetAtt": [busId, "Arn"] },
      Condition: { StringEquals: { "aws:PrincipalOrgID": ORG } },
    });
  });

  it("every rule of the default bus has its twin on the hub bus, same pattern, same function", () => {
    const rules = ofType(hub, "AWS::Events::Rule").map(([, r]) => r.Properties);
    const onDefault = rules.filter((r) => r.EventBusName === undefined);
    const onHub = rules.filter((r) => r.EventBusName !== undefined);
    expect(onDefault.length).toBeGreaterThan(5);
    const key = (r: any) => JSON.stringify([r.EventPattern, r.Targets.map((t: any) => t.Arn)]);
    expect(onHub.map(key).sort()).toEqual(onDefault.map(key).sort());
    // Each hub rule keeps the retry policy and the dead-letter queue of its twin.
    for (const r of onHub) {
      expect(r.Targets[0].RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 8 });
      expect(r.Targets[0].DeadLetterConfig).toBeDefined();
    }
  });

  it("a single-account deployment has no bus, no StackSet and the same rules and roles as before", () => {
    expect(ofType(single, "AWS::Events::EventBus")).toEqual([]);
    expect(ofType(single, "AWS::CloudFormation::StackSet")).toEqual([]);
    const ids = (t: Template) => Object.keys(t.Resources).sort();
    // The hub adds resources, and changes none of the single-account ones (same logical ids, same properties)
    // apart from what names the hub's resources.
    const added = ids(hub).filter((id) => !(id in single.Resources));
    expect(ids(single).filter((id) => !(id in hub.Resources))).toEqual([]);
    // The hub's runs bucket (the organization sweep's items and results) and its TLS-only policy are the hub's too.
    expect(added.filter((id) => !/HubBus|Members|Hub\d/.test(id))).toEqual([
      expect.stringMatching(/^SweepRuns[0-9A-F]{8}$/),
      expect.stringMatching(/^SweepRunsPolicy[0-9A-F]{8}$/),
    ]);
    for (const id of ids(single)) {
      const before = single.Resources[id]!;
      const after = hub.Resources[id]!;
      if (before.Type === "AWS::SQS::QueuePolicy") {
        // A dead-letter queue's policy also lets the hub bus's rules send to it: statements added, none changed.
        const added = after.Properties.PolicyDocument.Statement.filter(
          (x: any) =>
            !before.Properties.PolicyDocument.Statement.some((y: any) => JSON.stringify(x) === JSON.stringify(y)),
        );
        expect(after.Properties.PolicyDocument.Statement).toEqual(
          expect.arrayContaining(before.Properties.PolicyDocument.Statement),
        );
        expect(added.every((x: any) => /Hub\d/.test(JSON.stringify(x.Condition)))).toBe(true);
        continue;
      }
      if (before.Type === "AWS::IAM::Policy") {
        // The functions that act in the members may also assume the member role, and the alerts function read the
        // accounts' names: those statements added, none changed. The sweep also lists the organization's accounts
        // (organizationSweepStatements); its region fence leaves that one global action out (NotAction): the same
        // fence otherwise.
        const statements = after.Properties.PolicyDocument.Statement.filter(
          (x: any) =>
            x.Sid !== "AssumeTheMemberRoleInThisOrganization" &&
            x.Sid !== "AssumeTheMemberMigrationRole" &&
            x.Sid !== "NameTheAlertsAccount" &&
            x.Sid !== "ListTheOrganizationsAccounts" &&
            !["WriteSweepItems", "ReadSweepRun", "ReadSweepItems", "WriteSweepResults"].includes(x.Sid),
        ).map(({ NotAction, ...x }: any) =>
          x.Sid === "DenyOutsideGuardedRegions" && NotAction
            ? { ...x, Action: "*" }
            : { ...x, ...(NotAction ? { NotAction } : {}) },
        );
        expect([
          id,
          {
            ...after,
            Properties: {
              ...after.Properties,
              PolicyDocument: { ...after.Properties.PolicyDocument, Statement: statements },
            },
          },
        ]).toEqual([id, before]);
        continue;
      }
      if (before.Type === "AWS::StepFunctions::StateMachine") {
        // The sweep's Map is bounded by organization.sweepConcurrency (20) in the hub, sweepMap.maxConcurrency (4)
        // otherwise, and in the hub reads its items from and writes its results to the runs bucket (asserted below):
        // its definition and nothing else.
        const bound = (r: object, n?: string) => JSON.stringify(r).replace(/(MaxConcurrency\\":)\d+/g, `$1${n ?? "N"}`);
        const isSweep = id.startsWith("SweepSplit");
        const rest = (r: any) => (isSweep ? { ...r, Properties: { ...r.Properties, DefinitionString: "" } } : r);
        expect(bound(rest(after))).toEqual(bound(rest(before)));
        continue;
      }
      expect([id, withoutConfig(after)]).toEqual([id, withoutConfig(before)]);
    }
  });
});

describe("the organization sweep", () => {
  const sweepOf = (t: Template) => {
    const fn = ofType(t, "AWS::Lambda::Function").find(
      ([, r]) => r.Metadata?.EfsGuardEntry === "functions/sweep/handler.ts",
    )?.[1] as any;
    return roleStatements(t, fn.Properties.Role["Fn::GetAtt"][0]);
  };
  const mapBound = (t: Template) =>
    ofType(t, "AWS::StepFunctions::StateMachine")
      .map(([, r]) => /MaxConcurrency\\":(\d+)/.exec(JSON.stringify(r))?.[1])
      .filter(Boolean);

  it("its Map runs at most organization.sweepConcurrency children (default 20); a single account keeps sweepMap's", () => {
    expect(mapBound(hub)).toEqual(["20"]);
    expect(mapBound(single)).toEqual(["4"]);
  });

  it("its region fence does not deny ListAccounts, whose one endpoint is us-east-1, and denies all else", () => {
    const fence = sweepOf(hub).filter((s) => s.effect === "Deny");
    expect(JSON.stringify(fence)).toContain("organizations:ListAccounts");
    expect(fence).toHaveLength(1);
  });

  it("lists the accounts (ListAccounts, which has no resource form) only without organization.accounts", () => {
    const list = (t: Template) => sweepOf(t).filter((s) => s.actions.some((a) => a.startsWith("organizations:")));
    expect(list(hub)).toEqual([
      expect.objectContaining({ effect: "Allow", actions: ["organizations:ListAccounts"], resources: ["*"] }),
    ]);
    expect(list(single)).toEqual([]);
    const explicit = synthApp(
      { organization: { ...organization, accounts: [HUB, "222222222222"], sweepConcurrency: 5 } },
      { region: "eu-west-1", account: HUB },
    );
    try {
      const t = explicit.templates.EfsGuard!;
      expect(list(t)).toEqual([]);
      expect(mapBound(t)).toEqual(["5"]);
      expect(sweepOf(t).filter((s) => s.actions.includes("sts:AssumeRole"))).toHaveLength(1);
    } finally {
      rmSync(explicit.outdir, { recursive: true, force: true });
    }
  });
});

describe("the organization sweep's runs bucket (ItemReader / ResultWriter)", () => {
  const sweepFn = (t: Template) =>
    ofType(t, "AWS::Lambda::Function").find(([, r]) => r.Metadata?.EfsGuardEntry === "functions/sweep/handler.ts")!;
  const splitOf = (t: Template) =>
    ofType(t, "AWS::StepFunctions::StateMachine").find(([id]) => id.startsWith("SweepSplit"))![1] as any;
  const s3Of = (statements: Statement[]) =>
    statements
      .filter((x) => x.actions.some((a) => a.startsWith("s3:")))
      .map((x) => ({ effect: x.effect, actions: [...x.actions].sort(), resources: x.resources }));

  it("only in the hub: one bucket, SSE, TLS only, never public, owner-enforced, runs expired after 30 days", () => {
    expect(ofType(single, "AWS::S3::Bucket")).toEqual([]);
    expect(ofType(single, "AWS::S3::BucketPolicy")).toEqual([]);
    expect(sweepFn(single)[1].Properties.Environment.Variables.EFS_GUARD_SWEEP_BUCKET).toBeUndefined();
    const [bucketId, bucket] = one(hub, "AWS::S3::Bucket");
    expect(bucket.Properties).toEqual({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
      LifecycleConfiguration: {
        Rules: [
          {
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            ExpirationInDays: 30,
            Prefix: "runs/",
            Status: "Enabled",
          },
        ],
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    const [, policy] = one(hub, "AWS::S3::BucketPolicy");
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Effect: "Deny",
        Action: "s3:*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    ]);
    expect(sweepFn(hub)[1].Properties.Environment.Variables.EFS_GUARD_SWEEP_BUCKET).toEqual({ Ref: bucketId });
  });

  it("the Map reads the items object and writes its results there; the summary step gets where they are", () => {
    const [bucketId] = one(hub, "AWS::S3::Bucket");
    const parts = splitOf(hub).Properties.DefinitionString["Fn::Join"][1] as unknown[];
    const def = JSON.parse(
      parts.map((p) => (typeof p === "string" ? p : `<${JSON.stringify(p).replace(/"/g, "'")}>`)).join(""),
    );
    const bucket = `<{'Ref':'${bucketId}'}>`;
    const map = def.States.Items;
    expect(map.ItemsPath).toBeUndefined();
    expect(map.ItemReader).toEqual({
      Resource: "arn:aws:states:::s3:getObject",
      ReaderConfig: { InputType: "JSON" },
      Parameters: { Bucket: bucket, "Key.$": "$.itemsKey" },
    });
    expect(map.ResultWriter).toEqual({
      Resource: "arn:aws:states:::s3:putObject",
      Parameters: { Bucket: bucket, "Prefix.$": "$.resultsPrefix" },
    });
    expect(map).toMatchObject({ MaxConcurrency: 20, ToleratedFailurePercentage: 100, ResultPath: "$.results" });
    expect(def.States.Summarize.Parameters).toEqual({
      sweepSummary: {
        "itemsKey.$": "$.itemsKey",
        "done.$": "$.done",
        "resultWriter.$": "$.results.ResultWriterDetails",
      },
    });
  });

  it("least privilege: the function puts and gets its run objects, the state machine gets items and writes results", () => {
    const [bucketId] = one(hub, "AWS::S3::Bucket");
    const items = `<${bucketId}.Arn>/runs/*/items.json`;
    const results = `<${bucketId}.Arn>/runs/*/results/*`;
    expect(s3Of(roleStatements(hub, sweepFn(hub)[1].Properties.Role["Fn::GetAtt"][0]))).toEqual([
      { effect: "Allow", actions: ["s3:PutObject"], resources: [items] },
      { effect: "Allow", actions: ["s3:GetObject"], resources: [items, results] },
    ]);
    expect(s3Of(roleStatements(hub, splitOf(hub).Properties.RoleArn["Fn::GetAtt"][0]))).toEqual([
      { effect: "Allow", actions: ["s3:GetObject"], resources: [items] },
      {
        effect: "Allow",
        actions: ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"],
        resources: [results],
      },
    ]);
    // No other role of the hub, and no role of a single account, may touch S3.
    const others = ofType(hub, "AWS::IAM::Role")
      .map(([id]) => id)
      .filter(
        (id) =>
          id !== sweepFn(hub)[1].Properties.Role["Fn::GetAtt"][0] &&
          id !== splitOf(hub).Properties.RoleArn["Fn::GetAtt"][0],
      );
    for (const id of others) expect(s3Of(roleStatements(hub, id)), id).toEqual([]);
    for (const [id] of ofType(single, "AWS::IAM::Role")) expect(s3Of(roleStatements(single, id)), id).toEqual([]);
  });
});

describe("the hub's functions in the members", () => {
  it("the functions that act in the members may assume the member role, in this organization's accounts only", () => {
    const assumers: string[] = [];
    for (const [, fn] of ofType(hub, "AWS::Lambda::Function")) {
      const statements = roleStatements(hub, fn.Properties.Role["Fn::GetAtt"][0]);
      const assume = statements.filter((s) => s.actions.includes("sts:AssumeRole"));
      if (assume.length === 0) continue;
      const entry: string = fn.Metadata?.EfsGuardEntry;
      assumers.push(entry);
      // The migration's member-side steps assume the member's migration role, not the guards' member role.
      const role = entry.startsWith("functions/migration/") ? "efs-guard-member-migration" : "efs-guard-member";
      expect(assume).toEqual([
        expect.objectContaining({
          effect: "Allow",
          actions: ["sts:AssumeRole"],
          resources: [`arn:<AWS::Partition>:iam::*:role/${role}`],
          condition: { StringEquals: { "aws:ResourceOrgID": ORG } },
        }),
      ]);
    }
    expect(assumers.sort()).toEqual([
      "functions/ecs-clients/handler.ts",
      "functions/efs-access/handler.ts",
      "functions/file-system/handler.ts",
      "functions/kms-key/handler.ts",
      "functions/migration/capture/handler.ts",
      "functions/migration/recreate/handler.ts",
      "functions/migration/safety-backup/handler.ts",
      "functions/migration/surroundings/handler.ts",
      "functions/migration/verify/handler.ts",
      "functions/mount-targets/handler.ts",
      "functions/nfs-ingress/handler.ts",
      "functions/sweep/handler.ts",
      "functions/tag-audit/handler.ts",
    ]);
    // A single-account deployment assumes no role.
    for (const [, fn] of ofType(single, "AWS::Lambda::Function")) {
      const statements = roleStatements(single, fn.Properties.Role["Fn::GetAtt"][0]);
      expect(statements.filter((s) => s.actions.includes("sts:AssumeRole"))).toEqual([]);
    }
  });
});

describe("account names in the hub's alerts", () => {
  it("only the alerts function may read account names: DescribeAccount on this organization's accounts, nothing else", () => {
    const readers: string[] = [];
    const listers: string[] = [];
    for (const [, fn] of ofType(hub, "AWS::Lambda::Function")) {
      const statements = roleStatements(hub, fn.Properties.Role["Fn::GetAtt"][0]);
      // The one other Organizations grant is the sweep's ListAccounts (its own test above).
      const other = statements.filter((s) =>
        s.actions.some((a) => a.startsWith("organizations:") && a !== "organizations:DescribeAccount"),
      );
      if (other.length > 0) {
        listers.push(fn.Metadata?.EfsGuardEntry);
        expect(other.flatMap((s) => s.actions)).toEqual(["organizations:ListAccounts"]);
      }
      const names = statements.filter((s) => s.actions.includes("organizations:DescribeAccount"));
      if (names.length === 0) continue;
      readers.push(fn.Metadata?.EfsGuardEntry);
      expect(names).toEqual([
        expect.objectContaining({
          effect: "Allow",
          actions: ["organizations:DescribeAccount"],
          resources: [`arn:<AWS::Partition>:organizations::*:account/${ORG}/*`],
        }),
      ]);
    }
    expect(readers).toEqual(["functions/alerts/handler.ts"]);
    expect(listers).toEqual(["functions/sweep/handler.ts"]);
    // A single account reads no names: no Organizations action in any role.
    for (const [, fn] of ofType(single, "AWS::Lambda::Function")) {
      const statements = roleStatements(single, fn.Properties.Role["Fn::GetAtt"][0]);
      expect(statements.filter((s) => s.actions.some((a) => a.startsWith("organizations:")))).toEqual([]);
    }
  });
});

describe("the member StackSet", () => {
  it("is service-managed, auto-deployed, on the configured OUs and the guarded regions", () => {
    const p = stackSet.Properties;
    expect(p).toMatchObject({
      StackSetName: "efs-guard-member",
      PermissionModel: "SERVICE_MANAGED",
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      CallAs: "DELEGATED_ADMIN",
      Capabilities: ["CAPABILITY_NAMED_IAM"],
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: organization.organizationalUnitIds },
          Regions: ["eu-west-1", "us-east-1"],
        },
      ],
    });
    const params = Object.fromEntries(p.Parameters.map((x: any) => [x.ParameterKey, x.ParameterValue]));
    expect(params.HubAccountId).toBe(HUB);
    expect(params.HubRegion).toBe("eu-west-1");
    // The member role trusts the roles of the functions that report decisions, and no other.
    const roleIds = params.HubPrincipalArns["Fn::Join"][1].map((x: any) => x["Fn::GetAtt"][0]).sort();
    const functionRoles = ofType(hub, "AWS::Lambda::Function")
      .filter(([, f]) => REPORTING_ENTRIES.includes(f.Metadata?.EfsGuardEntry))
      .map(([, f]) => f.Properties.Role["Fn::GetAtt"][0])
      .sort();
    expect(roleIds).toEqual(functionRoles);
    expect(roleIds).toHaveLength(REPORTING_ENTRIES.length);
  });

  it("needs no asset: no code, no bootstrap bucket or version, only its four parameters", () => {
    const body = stackSet.Properties.TemplateBody as string;
    expect(body.length).toBeLessThan(51_200); // CloudFormation's TemplateBody limit
    expect(Object.keys(member.Parameters ?? {}).sort()).toEqual([
      "HubAccountId",
      "HubMigrationPrincipalArns",
      "HubPrincipalArns",
      "HubRegion",
    ]);
    expect(body).not.toMatch(/cdk-hnb659fds|BootstrapVersion|aws:asset|AssetParameters/);
    const types = [...new Set(Object.values(member.Resources).map((r) => r.Type))].sort();
    expect(types).toEqual([
      // The migration's vault and key (test/infra/member-migration.test.ts).
      "AWS::Backup::BackupVault",
      "AWS::Events::Rule",
      "AWS::IAM::Policy",
      "AWS::IAM::Role",
      "AWS::KMS::Alias",
      "AWS::KMS::Key",
      "AWS::SQS::Queue",
      "AWS::SQS::QueuePolicy",
    ]);
  });

  it("forwards what the hub's functions subscribe to, to the hub's efs-guard bus", () => {
    // The same patterns as the region forwarders (the union of the hub functions' events, one rule per source).
    const forwarder = synthForwarderRules();
    const forwarded = ofType(member, "AWS::Events::Rule").map(([, r]) => r.Properties);
    expect(forwarded.map((r) => JSON.stringify(r.EventPattern)).sort()).toEqual(forwarder);
    expect(forwarded.length).toBeGreaterThan(5);
    for (const r of forwarded) {
      expect(flatten(r.Targets[0].Arn)).toBe(
        "arn:<AWS::Partition>:events:<HubRegion>:<HubAccountId>:event-bus/efs-guard",
      );
      expect(r.Targets[0].RoleArn).toBeDefined();
    }
  });

  it("the member role: only the hub's function roles of this organization may assume it, in one region", () => {
    const [, role] = memberRole(member);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Sid: "HubFunctionsOfThisOrganization",
        Effect: "Allow",
        Principal: { AWS: { Ref: "HubPrincipalArns" } },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:PrincipalOrgID": ORG } },
      },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect((role as any).Condition).toBe("InHubRegion");
    expect(member.Conditions?.InHubRegion).toEqual({ "Fn::Equals": [{ Ref: "AWS::Region" }, { Ref: "HubRegion" }] });
  });

  it("the member role grants exactly the union of the guard functions' permissions on this account's resources", () => {
    const [roleId] = memberRole(member);
    // A statement as a set of "action resource condition" grants, so that how CDK groups them does not matter.
    const grants = (statements: Statement[]) =>
      new Set(
        statements
          .filter((s) => s.effect === "Allow")
          .flatMap((s) =>
            s.actions.flatMap((a) => s.resources.map((r) => `${a} ${r} ${JSON.stringify(s.condition ?? {})}`)),
          ),
      );
    const memberGrants = grants(roleStatements(member, roleId));
    // The hub roles' grants on the account's resources. What stays in the hub: what names a hub resource (the
    // alerts topic and its key, the dead-letter queues, the log groups, the migration's record key), what serves the
    // function itself (logs, X-Ray), the migration's executions (the workflow runs in the hub: states:) and the
    // observe period's read of the hub stack (cloudformation:DescribeStacks on its own stack id).
    const hubGrants = new Set<string>();
    for (const [, fn] of ofType(hub, "AWS::Lambda::Function")) {
      if (!REPORTING_ENTRIES.includes(fn.Metadata?.EfsGuardEntry)) continue;
      for (const g of grants(roleStatements(hub, fn.Properties.Role["Fn::GetAtt"][0]))) {
        const resource = g.split(" ")[1]!;
        // Assuming the member roles stays in the hub too (it is how the hub gets there).
        // So does listing the organization's accounts (the sweep's, in the hub's own account).
        if (
          /<(?!AWS::Partition)[^>]+>/.test(resource) ||
          /^(logs|xray|states|cloudformation|sts|organizations):/.test(g)
        )
          continue;
        // The hub's ARNs name its account; the member's the same resources in the member's (AWS::AccountId).
        hubGrants.add(g.replaceAll(`:${HUB}:`, ":<AWS::AccountId>:"));
      }
    }
    expect(hubGrants.size).toBeGreaterThan(15);
    expect([...memberGrants].sort()).toEqual([...hubGrants].sort());
    // And the same region fence as the guards, on the StackSet's regions.
    const denies = roleStatements(member, roleId).filter((s) => s.effect === "Deny");
    expect(denies).toEqual([
      expect.objectContaining({
        actions: ["*"],
        resources: ["*"],
        condition: { StringNotEquals: { "aws:RequestedRegion": ["eu-west-1", "us-east-1"] } },
      }),
    ]);
  });
});

describe("the configuration of a hub", () => {
  it("refuses an organizationId without OUs, and members' regions outside the guarded ones", () => {
    expect(() => synthApp({ organization: { organizationId: ORG } }, { region: "eu-west-1" })).toThrow(
      /organizationalUnitIds/,
    );
    expect(() =>
      synthApp(
        { organization: { ...organization, regions: ["us-east-1"] }, regions: ["us-east-1"] },
        { region: "eu-west-1" },
      ),
    ).toThrow(/must include the home region eu-west-1/);
    expect(() =>
      synthApp({ organization: { ...organization, regions: ["eu-west-1", "ap-south-1"] } }, { region: "eu-west-1" }),
    ).toThrow(/among the guarded regions/);
  });
});
