import { GUARD_TAG_PREFIX } from "../config/controls.js";

/**
 * The preventive side of EFS Guard: service control policies that stop, before it happens, what the guards would
 * otherwise detect and repair. Pure builders, one definition: `efs-guard guardrails` prints them, the stack attaches
 * them (opt-in, `organization.guardrails`), docs/policies/efs-guard-tags-scp.json is the tag policy as built here
 * (test/unit/guardrails.test.ts checks both, and evaluates every statement with an IAM policy simulator).
 *
 * What an SCP never covers (AWS Organizations User Guide, "SCP effects on permissions"): the management account,
 * service-linked roles, principals outside the organization. Detection stays on for all of it.
 */

export interface PolicyStatement {
  Sid: string;
  Effect: "Deny";
  Action: string | string[];
  Resource: string;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export interface Guardrail {
  /** A short stable name (the CLI's row, the JSON's key). */
  id: string;
  /** What it prevents, and which control would otherwise catch it after the fact. */
  rationale: string;
  /** The control that detects what this guardrail prevents (or would, where IAM cannot express it). */
  control: string;
  /** The statements; empty where IAM cannot express the rule (see `limitation`). */
  statements: PolicyStatement[];
  /** What IAM cannot express here, and why detection remains. */
  limitation?: string;
}

/** The default security role: the one role that may write efs-guard:* tags (docs/exemptions.md). */
export const DEFAULT_SECURITY_ROLE_ARN = "arn:aws:iam::*:role/EfsGuardExemptions";

/**
 * EFS Guard's own migration roles (home and forwarder stacks: CloudFormation names them after the stack and the
 * logical id, e.g. EfsGuard-MigrationRecreateRole145D0A5B-…), which tag what the migration creates and its source.
 */
export const MIGRATION_ROLE_ARN_PATTERN = "arn:aws:iam::*:role/EfsGuard*-Migration*";

/**
 * The tag that marks a KMS key as an EFS key for the key guardrail. It is in the efs-guard: namespace on purpose:
 * the tag guardrail keeps that namespace to the security role, so nobody else can remove the tag to disable the key
 * afterwards (nor add it to someone else's key to lock its owners out).
 */
export const EFS_KEY_TAG = `${GUARD_TAG_PREFIX}efs-key`;

/** The name of the one SCP the stack attaches (all statements: an OU or account takes at most 5 SCPs). */
export const GUARDRAILS_POLICY_NAME = "EfsGuardGuardrails";

/** AWS Organizations' limit on a service control policy document (Organizations quotas: 5,120 characters). */
export const SCP_MAX_CHARACTERS = 5120;

export interface GuardrailOptions {
  /** The security role's ARN (`*` allowed for the account, to name the role in every member account). */
  securityRoleArn?: string;
}

function tagStatements(security: string): PolicyStatement[] {
  return [
    {
      Sid: "EfsGuardTagsOnlyBySecurityRole",
      Effect: "Deny",
      Action: [
        "ec2:CreateTags",
        "ec2:DeleteTags",
        "elasticfilesystem:CreateFileSystem",
        "elasticfilesystem:CreateTags",
        "elasticfilesystem:DeleteTags",
        "elasticfilesystem:TagResource",
        "elasticfilesystem:UntagResource",
        "kms:CreateKey",
        "kms:TagResource",
        "kms:UntagResource",
      ],
      Resource: "*",
      Condition: {
        "ForAnyValue:StringLike": { "aws:TagKeys": [`${GUARD_TAG_PREFIX}*`] },
        ArnNotLike: { "aws:PrincipalArn": [security, MIGRATION_ROLE_ARN_PATTERN] },
      },
    },
    {
      Sid: "NoDeleteEveryTagOfAGroupButBySecurityRole",
      Effect: "Deny",
      Action: "ec2:DeleteTags",
      Resource: "arn:aws:ec2:*:*:security-group/*",
      Condition: {
        Null: { "aws:TagKeys": "true" },
        ArnNotLike: { "aws:PrincipalArn": [security] },
      },
    },
    {
      Sid: "NoBlanketExemption",
      Effect: "Deny",
      Action: ["ec2:CreateTags", "elasticfilesystem:TagResource", "elasticfilesystem:CreateTags", "kms:TagResource"],
      Resource: "*",
      Condition: { StringEqualsIgnoreCase: { [`aws:RequestTag/${GUARD_TAG_PREFIX}exempt`]: "all" } },
    },
  ];
}

/** The tag SCP of docs/exemptions.md (docs/policies/efs-guard-tags-scp.json is this, for the default role). */
export function tagPolicy(options: GuardrailOptions = {}): PolicyDocument {
  return { Version: "2012-10-17", Statement: tagStatements(options.securityRoleArn ?? DEFAULT_SECURITY_ROLE_ARN) };
}

/** Every guardrail, in the order the CLI prints them. */
export function guardrails(options: GuardrailOptions = {}): Guardrail[] {
  const security = options.securityRoleArn ?? DEFAULT_SECURITY_ROLE_ARN;
  return [
    {
      id: "encrypted-file-systems",
      control: "efs-encrypted-at-rest",
      rationale:
        "An unencrypted file system cannot be encrypted afterwards: the only repair is a migration to a new file system. Denying CreateFileSystem unless elasticfilesystem:Encrypted is true stops it at the door. BoolIfExists also denies a request without Encrypted, which the API creates unencrypted.",
      statements: [
        {
          Sid: "EfsGuardNoUnencryptedFileSystem",
          Effect: "Deny",
          Action: "elasticfilesystem:CreateFileSystem",
          Resource: "*",
          Condition: { BoolIfExists: { "elasticfilesystem:Encrypted": "false" } },
        },
      ],
    },
    {
      id: "guard-tags",
      control: "efs-guard-tags-audited",
      rationale: `Exemptions (${GUARD_TAG_PREFIX}exempt) and the migration's records live in ${GUARD_TAG_PREFIX}* tags: only the security role (${security}) and EFS Guard's migration roles may write or remove them, nobody may write ${GUARD_TAG_PREFIX}exempt=all, and only the security role may delete every tag of a security group at once (DeleteTags without keys). See docs/exemptions.md.`,
      statements: tagStatements(security),
    },
    {
      id: "efs-keys",
      control: "efs-key-rotation-enabled, efs-key-usable",
      rationale: `Disabling rotation, disabling or scheduling the deletion of the KMS key of a file system makes its data unreadable or its key stale; EFS Guard can re-enable rotation but cannot undo a deletion after the waiting period. Keys tagged ${EFS_KEY_TAG} (any value; the tag guardrail keeps the tag itself to the security role) are the security role's alone for these three actions.`,
      statements: [
        {
          Sid: "EfsGuardKeysOnlyBySecurityRole",
          Effect: "Deny",
          Action: ["kms:DisableKeyRotation", "kms:DisableKey", "kms:ScheduleKeyDeletion"],
          Resource: "*",
          Condition: {
            Null: { [`aws:ResourceTag/${EFS_KEY_TAG}`]: "false" },
            ArnNotLike: { "aws:PrincipalArn": [security] },
          },
        },
      ],
    },
    {
      id: "nfs-open-to-internet",
      control: "efs-nfs-ingress-restricted",
      rationale:
        "A security group rule that opens NFS (TCP 2049) to 0.0.0.0/0 or ::/0 exposes every file system behind it.",
      statements: [],
      limitation:
        "Not expressible in IAM: the Service Authorization Reference lists for ec2:AuthorizeSecurityGroupIngress only aws:ResourceTag/*, ec2:ResourceTag/*, ec2:SecurityGroupID and ec2:Vpc (security group), aws:RequestTag/* and aws:TagKeys (security-group-rule) and ec2:Region; none carries a rule's CIDR, port or protocol, so no policy can deny 2049 from 0.0.0.0/0 while allowing other rules. Denying AuthorizeSecurityGroupIngress altogether would stop every deployment. Detection remains: efs-nfs-ingress-restricted sees the rule in the CloudTrail event within seconds and revokes it (remediate mode), and the sweep finds what events missed.",
    },
  ];
}

/** The one SCP that carries every expressible guardrail (what the stack attaches, what --json prints as `policy`). */
export function guardrailsPolicy(options: GuardrailOptions = {}): PolicyDocument {
  return { Version: "2012-10-17", Statement: guardrails(options).flatMap((g) => g.statements) };
}

/** The policy as Organizations stores it (no whitespace): what the 5,120-character limit counts. */
export function policyCharacters(policy: PolicyDocument): number {
  return JSON.stringify(policy).length;
}
