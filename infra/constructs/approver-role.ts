import { CfnOutput, Duration, Stack } from "aws-cdk-lib";
import { AccountPrincipal, AccountRootPrincipal, type IPrincipal, PolicyStatement, Role } from "aws-cdk-lib/aws-iam";
import type { IStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { STATE_MACHINE_NAME } from "../../shared/aws/approvals.js";
import type { GuardConfig } from "../../shared/config/schema.js";
import { APPROVER_ROLE_NAME } from "../../shared/migration/approval.js";
import { regionFence } from "../iam.js";

export interface ApproverRoleProps {
  config: GuardConfig;
  stateMachine: IStateMachine;
}

/** The approver role's ARN, known before the role exists (its name is fixed), for the verify step's environment. */
export function approverRoleArn(stack: Stack): string {
  return `arn:${stack.partition}:iam::${stack.account}:role/${APPROVER_ROLE_NAME}`;
}

/**
 * Who may answer a migration's approval (issue 11 item 6). `approvers` names them: account ids (whoever IAM in
 * that account lets assume this role) and role or user ARNs, with `*` in the name for IAM Identity Center's
 * permission-set roles (their ARNs carry a path and a suffix AWS chooses, so they are matched on aws:PrincipalArn,
 * as the IAM guide recommends, rather than named as principals). Empty: this account.
 *
 * The role may read the workflow's executions and send task answers, nothing else. It is not what makes an answer
 * count: SendTaskSuccess / SendTaskFailure have no resource type in the Service Authorization Reference, so IAM
 * cannot limit them to this state machine, and anyone with the task token can call them. The workflow's verify
 * step accepts only answers signed by a session of this role and by an approver's own identity (see
 * shared/migration/approval.ts). The trust policy here and the verify step's check read the same `approvers`.
 */
export class ApproverRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ApproverRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const principals = trustedPrincipals(props.config.approvers);
    this.role = new Role(this, "Role", {
      roleName: APPROVER_ROLE_NAME,
      description:
        "EFS Guard: answers migration approvals (efs-guard approve / reject assume it); answers count only when the approver's own identity signs them too",
      assumedBy: principals[0]!,
      maxSessionDuration: Duration.hours(1),
    });
    for (const principal of principals.slice(1)) {
      this.role.assumeRolePolicy?.addStatements(
        new PolicyStatement({ actions: ["sts:AssumeRole"], principals: [principal] }),
      );
    }
    const machine = props.stateMachine.stateMachineArn;
    this.role.addToPolicy(
      new PolicyStatement({
        sid: "AnswerTasks",
        // No resource type exists for these (Service Authorization Reference): "*" is the only resource IAM accepts.
        actions: ["states:SendTaskSuccess", "states:SendTaskFailure"],
        resources: ["*"],
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({ sid: "FindTheWorkflow", actions: ["states:ListStateMachines"], resources: ["*"] }),
    );
    this.role.addToPolicy(
      new PolicyStatement({ sid: "FindRunningMigrations", actions: ["states:ListExecutions"], resources: [machine] }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        sid: "ReadTheWaitingExecution",
        actions: ["states:DescribeExecution", "states:GetExecutionHistory"],
        resources: [`arn:${stack.partition}:states:${stack.region}:${stack.account}:execution:${STATE_MACHINE_NAME}:*`],
      }),
    );
    this.role.addToPolicy(regionFence([stack.region, ...props.config.regions]));
    new CfnOutput(this, "ApproverRoleArn", {
      value: this.role.roleArn,
      description: "The role efs-guard approve / reject assume (trusted: the approvers configuration)",
    });
  }
}

/**
 * The trust policy's principals: each listed account as itself, and the listed ARNs as their account with an
 * aws:PrincipalArn condition (which takes the path and `*`, and keeps working when a role is recreated).
 */
export function trustedPrincipals(approvers: readonly string[]): IPrincipal[] {
  if (approvers.length === 0) return [new AccountRootPrincipal()];
  const accounts = approvers.filter((a) => /^\d{12}$/.test(a));
  const byAccount = new Map<string, string[]>();
  for (const arn of approvers.filter((a) => a.startsWith("arn:"))) {
    const account = arn.split(":")[4]!;
    byAccount.set(account, [...(byAccount.get(account) ?? []), arn]);
  }
  return [
    ...accounts.map((a) => new AccountPrincipal(a)),
    ...[...byAccount].map(([account, arns]) =>
      new AccountPrincipal(account).withConditions({ ArnLike: { "aws:PrincipalArn": arns } }),
    ),
  ];
}
