import { CfnPolicy } from "aws-cdk-lib/aws-organizations";
import { Construct } from "constructs";
import type { GuardConfig } from "../../shared/config/schema.js";
import { GUARDRAILS_POLICY_NAME, guardrailsPolicy } from "../../shared/guardrails/scp.js";

export interface GuardrailsProps {
  organization: NonNullable<GuardConfig["organization"]>;
}

/**
 * The guardrail SCP (shared/guardrails/scp.ts, what `efs-guard guardrails` prints), attached to the configured
 * organizational units or root: opt-in (organization.guardrails.attach), since an SCP binds every account below its
 * target. AWS::Organizations::Policy must be deployed in the management account or a delegated administrator
 * account for policy management (Organizations User Guide, "Delegated administrator for AWS Organizations").
 */
export class GuardrailsPolicy extends Construct {
  readonly policy: CfnPolicy;

  constructor(scope: Construct, id: string, props: GuardrailsProps) {
    super(scope, id);
    this.policy = new CfnPolicy(this, "Policy", {
      name: GUARDRAILS_POLICY_NAME,
      type: "SERVICE_CONTROL_POLICY",
      description:
        "EFS Guard guardrails: encrypted file systems, efs-guard:* tags and EFS keys kept to the security role",
      content: guardrailsPolicy({ securityRoleArn: props.organization.guardrails.securityRoleArn }),
      targetIds: props.organization.organizationalUnitIds,
    });
  }
}
