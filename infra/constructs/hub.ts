import { Fn, Stack } from "aws-cdk-lib";
import { CfnStackSet } from "aws-cdk-lib/aws-cloudformation";
import { EventBus } from "aws-cdk-lib/aws-events";
import { AnyPrincipal, type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import type { GuardConfig } from "../../shared/config/schema.js";
import { HUB_BUS_NAME, MEMBER_PARAMETERS, memberRegions, memberTemplate } from "../member-stack.js";

type Organization = NonNullable<GuardConfig["organization"]>;

/**
 * The organization's event bus in the hub: the member accounts' forwarding rules put their CloudTrail events here.
 * Its resource policy accepts PutEvents from principals of this organization only (aws:PrincipalOrgID, "Permissions
 * for Amazon EventBridge event buses", EventBridge User Guide); EventBridge sets each event's `account` to the
 * sender's, so a member cannot pass its events off as another account's.
 */
export class HubBus extends Construct {
  readonly bus: EventBus;

  constructor(scope: Construct, id: string, props: { organizationId: string }) {
    super(scope, id);
    this.bus = new EventBus(this, "Bus", { eventBusName: HUB_BUS_NAME });
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: "PutEventsFromThisOrganization",
        principals: [new AnyPrincipal()],
        actions: ["events:PutEvents"],
        resources: [this.bus.eventBusArn],
        conditions: { StringEquals: { "aws:PrincipalOrgID": props.organizationId } },
      }),
    );
  }
}

export interface MemberStackSetProps {
  config: GuardConfig;
  organization: Organization & { organizationId: string };
  /** "eventSource:eventName" keys the hub's functions subscribe to: what the members forward. */
  events: readonly string[];
  /** The hub's function roles: the only principals the member role trusts. */
  principals: IRole[];
  /** The roles of the migration steps that act in members: the only principals the member migration role trusts. */
  migrationPrincipals: IRole[];
}

/**
 * The members: a service-managed StackSet (AWS Organizations permissions, auto-deployment to accounts that join the
 * targeted organizational units) of the member template (infra/member-stack.ts), on organizationalUnitIds x
 * regions. TemplateBody carries the whole template, which needs no asset.
 */
export class MemberStackSet extends Construct {
  readonly stackSet: CfnStackSet;
  readonly template: object;
  readonly regions: string[];

  constructor(scope: Construct, id: string, props: MemberStackSetProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.regions = memberRegions(props.config, stack.region);
    const { efsGuard: _, ...context } = this.node.getAllContext() as Record<string, unknown>;
    this.template = memberTemplate(
      {
        config: props.config,
        organization: props.organization,
        events: props.events,
        regions: this.regions,
        description: "EFS Guard member: forwards CloudTrail events to the hub and lets the hub's functions act here",
      },
      context,
    );
    this.stackSet = new CfnStackSet(this, "StackSet", {
      stackSetName: "efs-guard-member",
      description: "EFS Guard members: event forwarding to the hub, the member roles, the migration vault and key",
      permissionModel: "SERVICE_MANAGED",
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      callAs: props.organization.callAs,
      capabilities: ["CAPABILITY_NAMED_IAM"],
      // Regions one after the other, accounts 25 % at a time: a faulty template stops after the first batch.
      operationPreferences: {
        regionConcurrencyType: "SEQUENTIAL",
        maxConcurrentPercentage: 25,
        failureTolerancePercentage: 10,
      },
      parameters: [
        { parameterKey: MEMBER_PARAMETERS.hubAccount, parameterValue: stack.account },
        { parameterKey: MEMBER_PARAMETERS.hubRegion, parameterValue: stack.region },
        {
          parameterKey: MEMBER_PARAMETERS.hubPrincipals,
          parameterValue: Fn.join(
            ",",
            props.principals.map((r) => r.roleArn),
          ),
        },
        {
          parameterKey: MEMBER_PARAMETERS.hubMigrationPrincipals,
          parameterValue: Fn.join(
            ",",
            props.migrationPrincipals.map((r) => r.roleArn),
          ),
        },
      ],
      stackInstancesGroup: [
        {
          deploymentTargets: { organizationalUnitIds: props.organization.organizationalUnitIds },
          regions: this.regions,
        },
      ],
      templateBody: JSON.stringify(this.template),
    });
  }
}
