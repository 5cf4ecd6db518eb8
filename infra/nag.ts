import { type App, Aspects, type IAspect, Stack, Validations } from "aws-cdk-lib";
import { CfnPolicy } from "aws-cdk-lib/aws-iam";
import { AwsSolutionsChecks } from "cdk-nag";
import { flattenCfnReference } from "cdk-nag/lib/utils/flatten-cfn-reference.js";
import type { IConstruct } from "constructs";
import { NO_RESOURCE_LEVEL_ACTIONS } from "./iam.js";

interface Statement {
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: unknown;
  Condition?: { StringEquals?: Record<string, unknown> };
}

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/**
 * `arn:PARTITION:SERVICE:REGION-or-*:ACCOUNT:TYPE/*` (or `TYPE:*`): every resource of one type in
 * this account. A guard acts on whichever file system, security group or key an event names, which no deploy-time
 * ARN can list; partition, service, account and type stay pinned, and the region fence pins the regions.
 */
const ACCOUNT_WIDE_TYPE =
  /^arn:(?:<AWS::Partition>|aws[a-z-]*):([a-z0-9-]+):(\*|<AWS::Region>|[a-z0-9-]+):(?:<AWS::AccountId>|\d{12}):([a-z-]+)[/:]\*$/;

/**
 * `arn:PARTITION:states:REGION:ACCOUNT:execution:NAME:*`: the executions of one named state machine. Execution names
 * are chosen when an execution starts, so no deploy-time ARN can list them.
 */
const EXECUTIONS_OF_ONE_STATE_MACHINE =
  /^arn:(?:<AWS::Partition>|aws[a-z-]*):states:(?:<AWS::Region>|[a-z0-9-]+):(?:<AWS::AccountId>|\d{12}):execution:([A-Za-z0-9_-]+):\*$/;

/**
 * The same, as CDK's DistributedMap writes it for its own child executions (DistributedMapPolicy): the state
 * machine's name cut from its Ref, `:*` for its executions (DescribeExecution, StopExecution) and `/*:*` for the
 * executions of its Map Runs (RedriveExecution).
 */
const EXECUTIONS_OF_THIS_STATE_MACHINE =
  /^arn:(?:<AWS::Partition>|aws[a-z-]*):states:(?:<AWS::Region>|[a-z0-9-]+):(?:<AWS::AccountId>|\d{12}):execution:\{"Fn::Select":\[6,\{"Fn::Split":\[":",\{"Ref":"([A-Za-z0-9]+)"\}\]\}\]\}(?:\/\*)?:\*$/;

/** The accounts of one organization (organizations:DescribeAccount, infra/constructs/alert-dedup.ts). */
const ACCOUNTS_OF_ONE_ORGANIZATION =
  /^arn:(?:<AWS::Partition>|aws[a-z-]*):organizations::\*:account\/(o-[a-z0-9]{10,32})\/\*$/;

/** One role name in any account: the member role the hub assumes (fenced to the organization by a condition). */
const MEMBER_ROLE_IN_ANY_ACCOUNT = /^arn:(?:<AWS::Partition>|aws[a-z-]*):iam::\*:role\/[\w+=,.@-]+$/;

/**
 * The organization sweep's run objects (infra/constructs/sweep.ts): one run's items or results under runs/NAME/, in
 * the stack's own runs bucket. The execution names are chosen when a sweep starts.
 */
const SWEEP_RUN_OBJECTS = /^<[A-Za-z0-9]+\.Arn>\/runs\/\*\/(items\.json|results\/\*)$/;
const SWEEP_RUN_ACTIONS = new Set([
  "s3:GetObject",
  "s3:PutObject",
  "s3:ListMultipartUploadParts",
  "s3:AbortMultipartUpload",
]);

/**
 * Acknowledges AwsSolutions-IAM5 findings that are justified by construction, and only those, with a reason that
 * says why. Checked on the resolved policy, after every grant was made:
 * - `Resource::*` when every Allow statement on `*` grants only actions of NO_RESOURCE_LEVEL_ACTIONS;
 * - `Resource::arn:...:TYPE/*` when the ARN is account-wide for one resource type (ACCOUNT_WIDE_TYPE);
 * - `Resource::arn:...:execution:NAME:*`, the executions of one named state machine (EXECUTIONS_OF_ONE_STATE_MACHINE);
 * - `Resource::<Fn.Arn>:*` in a statement that only allows lambda:InvokeFunction (versions and aliases of one
 *   function, as grantInvoke writes it).
 * - `Resource::arn:...:iam::*:role/NAME` in a statement that only allows sts:AssumeRole with aws:ResourceOrgID (the
 *   member role in the organization's accounts).
 * - `Resource::arn:...:organizations::*:account/o-ID/*` in a statement that only allows organizations:DescribeAccount
 *   (ACCOUNTS_OF_ONE_ORGANIZATION).
 * - `Resource::<Bucket.Arn>/runs/NAME/items.json` and `.../runs/NAME/results/OBJECT`, NAME and OBJECT wildcards, in a
 *   statement of object actions only (the organization sweep's run objects, SWEEP_RUN_OBJECTS).
 * Each resource wildcard is matched against RESOURCE_WILDCARD_RULES, one rule per shape above.
 * Action wildcards (`kms:GenerateDataKey*`, `ec2:*`) are never acknowledged: they fail the synth.
 */
export class JustifiedWildcards implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof CfnPolicy)) return;
    const document = Stack.of(node).resolve(node.policyDocument) as { Statement?: Statement[] };
    const allows = (document.Statement ?? []).filter((s) => s.Effect === "Allow");
    const starActions = allows.filter((s) => list(s.Resource).some((r) => r === "*")).flatMap((s) => list(s.Action));
    if (starActions.length > 0 && starActions.every((a) => NO_RESOURCE_LEVEL_ACTIONS.has(a))) {
      Validations.of(node).acknowledge({
        id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        reason: `${[...new Set(starActions)].sort().join(", ")} support no resource-level permissions (Service Authorization Reference), so IAM accepts only "*" for them; the role's region fence denies them outside the guarded regions.`,
      });
    }
    const seen = new Set<string>();
    for (const statement of allows) {
      for (const resource of list(statement.Resource).map(flattenCfnReference)) {
        if (seen.has(resource)) continue;
        const reason = RESOURCE_WILDCARD_RULES.map((rule) => rule(statement, resource)).find((r) => r !== undefined);
        if (reason === undefined) continue;
        seen.add(resource);
        Validations.of(node).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`, reason });
      }
    }
  }
}

/** A rule: the reason a resource wildcard in this Allow statement is justified, or undefined when it is not. */
type WildcardRule = (statement: Statement, resource: string) => string | undefined;

/** The justified resource wildcards, one rule each (the first that gives a reason acknowledges the finding). */
const RESOURCE_WILDCARD_RULES: readonly WildcardRule[] = [
  // grantInvoke names the function and `${arn}:*`, its versions and aliases: still that one function.
  (statement, resource) =>
    list(statement.Action).every((a) => a === "lambda:InvokeFunction") && /^<[A-Za-z0-9]+\.Arn>:\*$/.test(resource)
      ? `lambda:InvokeFunction on ${resource.slice(0, -2)} and its qualified ARNs (versions and aliases) only: one named function, no other.`
      : undefined,
  (_statement, resource) => {
    const machine = EXECUTIONS_OF_ONE_STATE_MACHINE.exec(resource)?.[1];
    return machine
      ? `The executions of the state machine ${machine} only, in this account: an execution's name is chosen when it starts, so no deploy-time ARN can list them.`
      : undefined;
  },
  (_statement, resource) => {
    const machine = EXECUTIONS_OF_THIS_STATE_MACHINE.exec(resource)?.[1];
    return machine
      ? `The executions of the state machine ${machine} and of its Map Runs only (a Distributed Map's child workflows, named by Step Functions when they start).`
      : undefined;
  },
  // The member role by its name in any account of this organization (infra/permissions.ts memberRoleStatements).
  (statement, resource) => {
    const orgFenced = statement.Condition?.StringEquals?.["aws:ResourceOrgID"];
    return orgFenced &&
      list(statement.Action).every((a) => a === "sts:AssumeRole") &&
      MEMBER_ROLE_IN_ANY_ACCOUNT.test(resource)
      ? `sts:AssumeRole of the one member role name, in the accounts of organization ${String(orgFenced)} only (aws:ResourceOrgID): the hub acts in whichever member account an event comes from, which no deploy-time ARN can list.`
      : undefined;
  },
  (statement, resource) => {
    const org = ACCOUNTS_OF_ONE_ORGANIZATION.exec(resource)?.[1];
    return org && list(statement.Action).every((a) => a === "organizations:DescribeAccount")
      ? `organizations:DescribeAccount (an account's name for the alerts) on the accounts of organization ${org} only: an alert may be about any of them, and the management account is not known when the hub is a delegated administrator.`
      : undefined;
  },
  (statement, resource) => {
    const objects = SWEEP_RUN_OBJECTS.exec(resource)?.[1];
    return objects && list(statement.Action).every((a) => SWEEP_RUN_ACTIONS.has(a))
      ? `Object actions on the organization sweep's ${objects === "items.json" ? "items" : "results"} of any run (runs/NAME/, NAME the execution's, chosen when the sweep starts) in the stack's own runs bucket: no listing, no deletion, no other object.`
      : undefined;
  },
  (_statement, resource) => {
    const match = ACCOUNT_WIDE_TYPE.exec(resource);
    if (!match) return undefined;
    const [, service, region, type] = match;
    return `The guard acts on whichever ${service} ${type} a CloudTrail event or the sweep names, which no deploy-time ARN can list; the ARN pins partition, service, this account and the resource type${region === "*" ? ", and the role's region fence limits it to the guarded regions" : ""}.`;
  },
];

/**
 * cdk-nag's AwsSolutions pack on every synth (`cdk synth`, `cdk deploy`, the tests): any unacknowledged finding
 * fails the synth with CDK's validation report. Acknowledgements live next to what they excuse, with their reason.
 */
export function enableNag(app: App): void {
  Aspects.of(app).add(new JustifiedWildcards());
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
